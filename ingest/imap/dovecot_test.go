package imap_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	imapclient "github.com/emersion/go-imap/v2/imapclient"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

// Dovecot tests run against the server testdata/dovecot/start.sh starts.
// Its users are alice@example.test (alicepw) and bob@example.test (bobpw).
const (
	dovecotUser     = "alice@example.test"
	dovecotPassword = "alicepw"
	benchUser       = "bob@example.test"
	benchPassword   = "bobpw"
)

// dovecotEnv is where the test Dovecot listens and how to reach doveadm.
type dovecotEnv struct {
	addr, tlsAddr, conf, ca string
}

// dovecot returns the test Dovecot, or skips the test with instructions
// when none is configured ($SCAMSCREEN_REQUIRE_DOVECOT=1 makes that a
// failure, for CI).
func dovecot(t testing.TB) dovecotEnv {
	t.Helper()
	e := dovecotEnv{
		addr:    os.Getenv("SCAMSCREEN_DOVECOT"),
		tlsAddr: os.Getenv("SCAMSCREEN_DOVECOT_TLS"),
		conf:    os.Getenv("SCAMSCREEN_DOVECOT_CONF"),
		ca:      os.Getenv("SCAMSCREEN_DOVECOT_CA"),
	}
	if e.addr == "" || e.conf == "" {
		msg := "no Dovecot: run `eval \"$(bash ingest/imap/testdata/dovecot/start.sh)\"` (installs dovecot-imapd if missing, needs root), " +
			"which sets SCAMSCREEN_DOVECOT, SCAMSCREEN_DOVECOT_TLS, SCAMSCREEN_DOVECOT_CONF and SCAMSCREEN_DOVECOT_CA"
		if os.Getenv("SCAMSCREEN_REQUIRE_DOVECOT") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return e
}

// doveadm runs doveadm against the test instance.
func (e dovecotEnv) doveadm(t testing.TB, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("doveadm", append([]string{"-c", e.conf}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("doveadm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// folder creates a folder for this test in user's mailbox and deletes it
// when the test ends.
func (e dovecotEnv) folder(t testing.TB, user string) string {
	t.Helper()
	name := fmt.Sprintf("t-%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), time.Now().UnixNano())
	e.doveadm(t, nil, "mailbox", "create", "-u", user, name)
	t.Cleanup(func() {
		_ = exec.Command("doveadm", "-c", e.conf, "mailbox", "delete", "-u", user, name).Run()
	})
	return name
}

// save delivers raw into folder as the MDA would.
func (e dovecotEnv) save(t testing.TB, user, folder string, raw []byte) {
	t.Helper()
	e.doveadm(t, raw, "save", "-u", user, "-m", folder)
}

// account returns a mailbox on the test Dovecot watching folder (in).
func (e dovecotEnv) account(t testing.TB, id, user, password, folder string, useTLS bool) imap.Account {
	t.Helper()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := e.addr
	if useTLS {
		addr = e.tlsAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("dovecot address %q: %v", addr, err)
	}
	p, _ := strconv.Atoi(port)
	m := imap.Mailbox{ID: id, Host: host, Port: p, Username: user, Password: config.SecretFromFile(pw), Inbox: []string{folder}, Sent: []string{}}
	if useTLS {
		m.TLS, m.CAFile, m.ServerName = imap.TLSImplicit, e.ca, "localhost"
	} else {
		m.TLS, m.AllowPlaintext = imap.TLSNone, true
	}
	return imap.Account{Mailbox: m, Household: testHousehold, Person: testPerson}
}

// client logs in to the test Dovecot directly.
func (e dovecotEnv) client(t testing.TB, user, password string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(e.addr, nil)
	if err != nil {
		t.Fatalf("dial dovecot: %v", err)
	}
	if err := c.Login(user, password).Wait(); err != nil {
		c.Close()
		t.Fatalf("login: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDovecotLogin(t *testing.T) {
	e := dovecot(t)
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "plaintext loopback", true: "implicit TLS"}[useTLS], func(t *testing.T) {
			folder := e.folder(t, dovecotUser)
			acct := e.account(t, "alice", dovecotUser, dovecotPassword, folder, useTLS)
			pub := newRecorder(nil)
			r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
			waitSessions(t, r, 1)
			e.save(t, dovecotUser, folder, mail(1, "login test"))
			got := pub.waitCount(t, 1, waitLong)
			if got[0].msg.Subject != "login test" {
				t.Errorf("Subject = %q, want %q", got[0].msg.Subject, "login test")
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		folder := e.folder(t, dovecotUser)
		acct := e.account(t, "alice", dovecotUser, "wrong", folder, false)
		r := startWorker(t, testConfig(), []imap.Account{acct}, newRecorder(nil), imap.NewMemoryStore())
		waitFor(t, waitLong, "an auth error", func() bool {
			return r.counter("scamscreen_imap_errors_total", "kind", "auth") >= 1
		})
	})
}

func TestDovecotIdleLureIsScam(t *testing.T) {
	e := dovecot(t)
	b := natstest.Embedded(t)
	folder := e.folder(t, dovecotUser)
	acct := e.account(t, "alice", dovecotUser, dovecotPassword, folder, true)
	pub := newRecorder(b)
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore()) // polls hourly: IDLE must deliver
	waitSessions(t, r, 1)

	lure := sample(t, "lure_unpaid_iso2022jp")
	start := time.Now()
	e.save(t, dovecotUser, folder, lure.Raw)
	pub.waitCount(t, 1, waitLong)
	t.Logf("doveadm save to published on INBOUND: %v", time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var msg *event.Message
	err := b.Replay(ctx, event.StreamInbound, nil, bus.ReplayFrom{}, func(_ context.Context, d *bus.Delivery) error {
		m, err := event.Decode[event.Message](d.Data())
		msg = m
		return err
	})
	if err != nil || msg == nil {
		t.Fatalf("Replay(INBOUND) = %v, message %v", err, msg)
	}
	raw, err := b.FetchRaw(ctx, msg.Raw)
	if err != nil || !bytes.Equal(raw, lure.Raw) {
		t.Errorf("FetchRaw() = %d bytes, %v; want the %d bytes saved", len(raw), err, len(lure.Raw))
	}

	set, err := rules.LoadFS(configs.Rules, configs.RulesDir, "(built-in)/rules")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := screen.New(set, screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := eng.Screen(msg)
	if v.Level != event.LevelScam {
		t.Errorf("Screen(ISO-2022-JP lure from Dovecot) = %v (score %v, %v), want scam", v.Level, v.Score, v.Categories)
	}
	if !v.Has(event.CategoryGiftCardDemand) {
		t.Errorf("verdict categories %v, want %s among them", v.Categories, event.CategoryGiftCardDemand)
	}

	// \Seen (and every other flag) is as the MDA left it.
	c := e.client(t, dovecotUser, dovecotPassword)
	if _, err := c.Select(folder, &goimap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	loc, _ := imap.LocationFromMessage(msg)
	bufs, err := c.Fetch(goimap.UIDSetNum(goimap.UID(loc.UID)), &goimap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil || len(bufs) != 1 {
		t.Fatalf("fetch flags: %v (%d results)", err, len(bufs))
	}
	for _, f := range bufs[0].Flags {
		if f == goimap.FlagSeen {
			t.Errorf("flags after ingest = %v, want no \\Seen", bufs[0].Flags)
		}
	}
}

func TestDovecotBadMail(t *testing.T) {
	e := dovecot(t)
	folder := e.folder(t, dovecotUser)
	acct := e.account(t, "alice", dovecotUser, dovecotPassword, folder, false)
	pub := newRecorder(nil)
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(t, r, 1)
	// Dovecot serves a NUL byte as 0x80, so the binary case has none.
	cases := [][]byte{
		[]byte("\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0e\x0f\x10\x11\x12PK zip\r\n"),
		[]byte("From: a@example.com\r\nthis line is not a header\r\nSubject: x\r\n\r\nbody\r\n"),
	}
	for _, raw := range cases {
		e.save(t, dovecotUser, folder, raw)
	}
	got := pub.waitCount(t, len(cases), waitLong)
	for i, raw := range cases {
		m := got[i].msg
		if !bytes.Equal(m.Raw.Inline, raw) {
			t.Errorf("mail %d: raw original %q, want %q", i, m.Raw.Inline, raw)
		}
	}
	if got[0].msg.ParseError == "" {
		t.Errorf("binary mail: ParseError is empty")
	}
}

func TestDovecotSpecialUseFolders(t *testing.T) {
	e := dovecot(t)
	acct := e.account(t, "alice", dovecotUser, dovecotPassword, "", false)
	acct.Inbox, acct.Sent = nil, nil // find Junk and Sent by SPECIAL-USE
	pub := newRecorder(nil)
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(t, r, 3)
	e.save(t, dovecotUser, "Sent", sample(t, "sent_giftcode_iso2022jp").Raw)
	got := pub.waitCount(t, 1, waitLong)
	if m := got[0].msg; m.Direction != event.DirectionOut || m.Source != "imap:alice/Sent" {
		t.Errorf("sent mail: direction %q, source %q; want out from imap:alice/Sent", m.Direction, m.Source)
	}
}

// dovecotTLSConfig trusts the test Dovecot's certificate.
func (e dovecotEnv) tlsConfig(t testing.TB) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(e.ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, ServerName: "localhost"}
}
