package imap_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

const waitLong = 20 * time.Second

func TestIdleDelivery(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(nil)
	store := imap.NewMemoryStore()
	// Mail that is already there is not ingested on a first start.
	if _, err := srv.Append(testUser, "INBOX", mail(0, "old")); err != nil {
		t.Fatal(err)
	}
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
	cp := waitCheckpoint(t, store, testMailbox, "INBOX", nil)
	if cp.LastUID != 1 {
		t.Errorf("first checkpoint LastUID = %d, want 1 (the mail already there)", cp.LastUID)
	}
	waitSessions(t, r, 1)

	lure := sample(t, "lure_unpaid_iso2022jp")
	uid, err := srv.Append(testUser, "INBOX", lure.Raw)
	if err != nil {
		t.Fatal(err)
	}
	got := pub.waitCount(t, 1, waitLong)
	if len(got) != 1 {
		t.Fatalf("published %d messages, want 1", len(got))
	}
	msg := got[0].msg
	_, uv, _ := srv.Status(testUser, "INBOX")
	want := struct {
		ID, Source, Subject, Household, Person string
		Direction                              event.Direction
		Channel                                event.Channel
		Loc                                    imap.Location
	}{
		ID: event.EmailID(testHousehold, testPerson, lure.Raw), Source: "imap:" + testMailbox + "/INBOX",
		Subject: "【重要】ご利用料金未払いのお知らせ（本日中にご連絡ください）", Household: testHousehold, Person: testPerson,
		Direction: event.DirectionIn, Channel: event.ChannelEmail,
		Loc: imap.Location{Mailbox: testMailbox, Folder: "INBOX", UIDValidity: uv, UID: uid},
	}
	loc, _ := imap.LocationFromMessage(msg)
	have := want
	have.ID, have.Source, have.Subject, have.Household, have.Person = msg.ID, msg.Source, msg.Subject, msg.Household, msg.Person
	have.Direction, have.Channel, have.Loc = msg.Direction, msg.Channel, loc
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("published message (-want +got):\n%s", diff)
	}
	if msg.Raw == nil || !bytes.Equal(msg.Raw.Inline, lure.Raw) || msg.Raw.Size != int64(len(lure.Raw)) || msg.Raw.SHA256 == "" {
		t.Errorf("message Raw does not hold the original byte for byte")
	}
	if msg.ParseError != "" {
		t.Errorf("ParseError = %q, want none", msg.ParseError)
	}
	waitCheckpoint(t, store, testMailbox, "INBOX", func(cp imap.Checkpoint) bool { return cp.LastUID == uid })
	if n := r.counter("scamscreen_imap_reconnects_total"); n != 0 {
		t.Errorf("reconnects = %v, want 0", n)
	}
}

func TestPollingFallback(t *testing.T) {
	srv := startServer(t, imaptest.Options{NoIdle: true})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(nil)
	store := imap.NewMemoryStore()
	cfg := testConfig()
	cfg.PollInterval = config.Duration(50 * time.Millisecond)
	r := startWorker(t, cfg, []imap.Account{acct}, pub, store)
	waitSessions(t, r, 1)
	for i := range 3 {
		if _, err := srv.Append(testUser, "INBOX", mail(i, "poll")); err != nil {
			t.Fatal(err)
		}
	}
	got := pub.waitCount(t, 3, waitLong)
	if len(got) != 3 {
		t.Errorf("published %d messages, want 3", len(got))
	}
	// The server refuses IDLE: a worker that tried would have failed and
	// reconnected.
	if n := r.counter("scamscreen_imap_errors_total"); n != 0 {
		t.Errorf("errors = %v, want 0 (the worker must poll, not IDLE)", n)
	}
}

// uids returns the UIDs recorded in published messages, in order.
func uids(t testing.TB, ps []published) []uint32 {
	t.Helper()
	var out []uint32
	for _, p := range ps {
		loc, ok := imap.LocationFromMessage(p.msg)
		if !ok {
			t.Fatalf("message %s has no location headers", p.msg.ID)
		}
		out = append(out, loc.UID)
	}
	return out
}

func TestCheckpointResume(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	store := imap.NewMemoryStore()

	pub1 := newRecorder(nil)
	r1 := startWorker(t, testConfig(), []imap.Account{acct}, pub1, store)
	waitSessions(t, r1, 1)
	for i := range 3 {
		if _, err := srv.Append(testUser, "INBOX", mail(i, "before restart")); err != nil {
			t.Fatal(err)
		}
	}
	pub1.waitCount(t, 3, waitLong)
	r1.stop(t)

	for i := 3; i < 6; i++ { // arrives while the worker is down
		if _, err := srv.Append(testUser, "INBOX", mail(i, "while down")); err != nil {
			t.Fatal(err)
		}
	}
	pub2 := newRecorder(nil)
	r2 := startWorker(t, testConfig(), []imap.Account{acct}, pub2, store)
	waitSessions(t, r2, 1)
	if _, err := srv.Append(testUser, "INBOX", mail(6, "after restart")); err != nil {
		t.Fatal(err)
	}
	pub2.waitCount(t, 4, waitLong)
	r2.stop(t)

	if got, want := uids(t, pub1.all()), []uint32{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("first run published UIDs %v, want %v", got, want)
	}
	if got, want := uids(t, pub2.all()), []uint32{4, 5, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("second run published UIDs %v, want %v (no duplicates, no gaps)", got, want)
	}
}

func TestUIDValidityChange(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	store := imap.NewMemoryStore()
	pub := newRecorder(nil)

	r1 := startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
	waitSessions(t, r1, 1)
	for i := range 3 {
		if _, err := srv.Append(testUser, "INBOX", mail(i, "published before")); err != nil {
			t.Fatal(err)
		}
	}
	pub.waitCount(t, 3, waitLong)
	r1.stop(t)
	// One mail arrives while the worker is down, then the folder is
	// recreated: four mails under new UIDs, three of them published.
	if _, err := srv.Append(testUser, "INBOX", mail(3, "never published")); err != nil {
		t.Fatal(err)
	}
	_, oldUV, _ := srv.Status(testUser, "INBOX")
	newUV, err := srv.BumpUIDValidity(testUser, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if newUV == oldUV {
		t.Fatalf("BumpUIDValidity kept UIDVALIDITY %d", oldUV)
	}

	r2 := startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
	waitSessions(t, r2, 1)
	if _, err := srv.Append(testUser, "INBOX", mail(4, "after resync")); err != nil {
		t.Fatal(err)
	}
	got := pub.waitCount(t, 5, waitLong)
	cp := waitCheckpoint(t, store, testMailbox, "INBOX", func(cp imap.Checkpoint) bool { return cp.UIDValidity == newUV })
	r2.stop(t)

	var subjects []string
	for _, p := range got {
		subjects = append(subjects, p.msg.Subject)
		if p.dup {
			t.Errorf("message %s (%q) was published twice", p.msg.ID, p.msg.Subject)
		}
	}
	want := []string{"published before", "published before", "published before", "never published", "after resync"}
	if diff := cmp.Diff(want, subjects); diff != "" {
		t.Errorf("published subjects (-want +got):\n%s", diff)
	}
	if cp.UIDValidity != newUV {
		t.Errorf("checkpoint UIDValidity = %d, want %d", cp.UIDValidity, newUV)
	}
	if n := r2.counter("scamscreen_imap_messages_skipped_total"); n != 3 {
		t.Errorf("skipped = %v, want 3", n)
	}
}

func TestReconnectMidIdle(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(nil)
	store := imap.NewMemoryStore()
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
	waitSessions(t, r, 1)
	if n := srv.DropConnections(); n == 0 {
		t.Fatalf("DropConnections() = 0, want the worker's connection")
	}
	// Mail arriving while the worker is disconnected is caught up.
	if _, err := srv.Append(testUser, "INBOX", mail(1, "during outage")); err != nil {
		t.Fatal(err)
	}
	pub.waitCount(t, 1, waitLong)
	waitFor(t, waitLong, "a new IDLE session", func() bool { return srv.Connections() > 0 && r.counter("scamscreen_imap_sessions") == 1 })
	if _, err := srv.Append(testUser, "INBOX", mail(2, "after reconnect")); err != nil {
		t.Fatal(err)
	}
	got := pub.waitCount(t, 2, waitLong)
	if n := r.counter("scamscreen_imap_reconnects_total", "mailbox", testMailbox); n < 1 {
		t.Errorf("reconnects = %v, want at least 1", n)
	}
	if u := uids(t, got); !slices.Equal(u, []uint32{1, 2}) {
		t.Errorf("published UIDs %v, want [1 2]", u)
	}
}

func TestFolderDirections(t *testing.T) {
	for _, specialUse := range []bool{true, false} {
		t.Run(fmt.Sprintf("special-use=%v", specialUse), func(t *testing.T) {
			srv := startServer(t, imaptest.Options{NoSpecialUse: !specialUse})
			acct := account(t, srv, testMailbox) // folders found by SPECIAL-USE or by name
			pub := newRecorder(nil)
			r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
			waitSessions(t, r, 3) // INBOX, Junk, Sent
			sent := sample(t, "sent_giftcode_iso2022jp")
			if _, err := srv.Append(testUser, "Sent", sent.Raw); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Append(testUser, "Junk", sample(t, "lure_account_lock_sjis").Raw); err != nil {
				t.Fatal(err)
			}
			got := pub.waitCount(t, 2, waitLong)
			dirs := map[string]event.Direction{}
			for _, p := range got {
				dirs[p.msg.Source] = p.msg.Direction
			}
			want := map[string]event.Direction{
				"imap:" + testMailbox + "/Sent": event.DirectionOut,
				"imap:" + testMailbox + "/Junk": event.DirectionIn,
			}
			if diff := cmp.Diff(want, dirs); diff != "" {
				t.Errorf("directions by source (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSeenUnchanged(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(nil)
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(t, r, 1)
	unread, err := srv.Append(testUser, "INBOX", mail(1, "unread"))
	if err != nil {
		t.Fatal(err)
	}
	read, err := srv.AppendAt(testUser, "INBOX", mail(2, "read"), time.Time{}, goimap.FlagSeen, "$Label1")
	if err != nil {
		t.Fatal(err)
	}
	pub.waitCount(t, 2, waitLong)
	for _, c := range []struct {
		uid  uint32
		want []goimap.Flag
	}{
		{unread, nil},
		{read, []goimap.Flag{"$label1", goimap.FlagSeen}}, // the memory server lower-cases keywords
	} {
		got, err := srv.Flags(testUser, "INBOX", c.uid)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("flags of uid %d after ingest = %v, want %v", c.uid, got, c.want)
		}
	}
}

func TestLargeMailByteForByte(t *testing.T) {
	if testing.Short() {
		t.Skip("25 MB mail: skipped in -short")
	}
	b := natstest.Embedded(t)
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(b)
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(t, r, 1)

	raw := bigMail(25 << 20)
	if _, err := srv.Append(testUser, "INBOX", raw); err != nil {
		t.Fatal(err)
	}
	pub.waitCount(t, 1, time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got *event.Message
	err := b.Replay(ctx, event.StreamInbound, nil, bus.ReplayFrom{}, func(_ context.Context, d *bus.Delivery) error {
		m, err := event.Decode[event.Message](d.Data())
		got = m
		return err
	})
	if err != nil || got == nil {
		t.Fatalf("Replay(INBOUND) = %v, message %v", err, got)
	}
	if got.Raw == nil || got.Raw.Object == "" {
		t.Fatalf("a 25 MB original should travel in the object store, Raw = %+v", got.Raw)
	}
	back, err := b.FetchRaw(ctx, got.Raw)
	if err != nil {
		t.Fatalf("FetchRaw() = %v", err)
	}
	if !bytes.Equal(back, raw) {
		t.Errorf("FetchRaw() returned %d bytes that differ from the %d-byte original", len(back), len(raw))
	}
	if len(got.Attachments) != 1 || got.Attachments[0].Name != "写真.jpg" {
		t.Errorf("Attachments = %+v, want the one attachment", got.Attachments)
	}
}

// bigMail builds a mail of about size bytes: a short Japanese text and a
// base64 attachment.
func bigMail(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: keiko@family.example.jp\r\nTo: " + testUser + "\r\nSubject: =?UTF-8?B?5pen6KGM44Gu5YaZ55yf?=\r\n" +
		"Message-ID: <big.1@family.example.jp>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0900\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"旅行の写真を送ります。\r\n--b1\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename*=UTF-8''%E5%86%99%E7%9C%9F.jpg\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n")
	line := []byte("/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsN\r\n")
	for i := 0; b.Len() < size-100; i++ {
		line[i%76] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i%64]
		b.Write(line)
	}
	b.WriteString("--b1--\r\n")
	return b.Bytes()
}

func TestBadMailStillPublished(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(nil)
	cfg := testConfig()
	cfg.MaxMessageSize = 1 << 20
	r := startWorker(t, cfg, []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(t, r, 1)
	// go-imap's memory server answers BODY[] of a mail whose header block
	// it cannot read with nothing, so the truly unreadable cases (binary,
	// a non-header line) run against Dovecot in TestDovecotBadMail.
	cases := []struct {
		name string
		raw  []byte
	}{
		{"bad base64", []byte("From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n44GC44GE!!!not base64***\r\n")},
		{"multipart without boundary", []byte("From: a@example.com\r\nSubject: y\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhello\r\n--x--\r\n")},
		{"too large", append([]byte("From: a@example.com\r\nSubject: big\r\n\r\n"), bytes.Repeat([]byte("あいうえお\r\n"), 200_000)...)},
	}
	for _, c := range cases {
		if _, err := srv.Append(testUser, "INBOX", c.raw); err != nil {
			t.Fatal(err)
		}
	}
	got := pub.waitCount(t, len(cases), waitLong)
	for i, c := range cases {
		m := got[i].msg
		if m.ParseError == "" {
			t.Errorf("%s: ParseError is empty, want the problem flagged", c.name)
		}
		if c.name == "too large" {
			if len(m.Raw.Inline) != 1<<20 || m.Headers[imap.HeaderTruncated][0] != strconv.Itoa(len(c.raw)) {
				t.Errorf("too large: kept %d bytes, truncated header %v; want 1 MiB and %d", len(m.Raw.Inline), m.Headers[imap.HeaderTruncated], len(c.raw))
			}
			continue
		}
		if !bytes.Equal(m.Raw.Inline, c.raw) {
			t.Errorf("%s: raw original not kept byte for byte: got %q, want %q", c.name, m.Raw.Inline, c.raw)
		}
	}
}

func TestPublishFailureLosesNothing(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(nil)
	store := imap.NewMemoryStore()
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
	waitSessions(t, r, 1)
	fails := 0
	pub.setFail(func(m *event.Message) error {
		if m.Subject == "second" && fails < 3 {
			fails++
			return errInjected
		}
		return nil
	})
	for i, s := range []string{"first", "second", "third"} {
		if _, err := srv.Append(testUser, "INBOX", mail(i, s)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, waitLong, "all three mails", func() bool {
		n := 0
		for _, p := range pub.all() {
			if !p.dup {
				n++
			}
		}
		return n == 3
	})
	var order []string
	for _, p := range pub.all() {
		if !p.dup {
			order = append(order, p.msg.Subject)
		}
	}
	if diff := cmp.Diff([]string{"first", "second", "third"}, order); diff != "" {
		t.Errorf("publish order (-want +got):\n%s", diff)
	}
	if n := r.counter("scamscreen_imap_errors_total", "kind", "publish"); n != 3 {
		t.Errorf("publish errors = %v, want 3", n)
	}
}

func TestPermanentPublishErrorShrinks(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(nil)
	pub.setFail(func(m *event.Message) error {
		if len(m.Text) > 300<<10 {
			return errkind.Permanent(fmt.Errorf("publish %s: maximum payload exceeded", m.ID))
		}
		return nil
	})
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(t, r, 1)
	raw := append([]byte("From: a@example.com\r\nSubject: long\r\n\r\n"), bytes.Repeat([]byte("long text line\r\n"), 60_000)...)
	if _, err := srv.Append(testUser, "INBOX", raw); err != nil {
		t.Fatal(err)
	}
	m := pub.waitCount(t, 1, waitLong)[0].msg
	if len(m.Text) > 256<<10 || !strings.Contains(m.ParseError, "shortened") || !bytes.Equal(m.Raw.Inline, raw) {
		t.Errorf("shrunk message: text %d bytes, ParseError %q, raw kept %v", len(m.Text), m.ParseError, bytes.Equal(m.Raw.Inline, raw))
	}
}

func TestFailingAccountDoesNotStopOthers(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	good := account(t, srv, "good")
	good.Inbox, good.Sent = []string{"INBOX"}, []string{}
	bad := account(t, srv, "bad")
	bad.Inbox, bad.Sent = []string{"INBOX"}, []string{}
	dir := t.TempDir()
	wrong := filepath.Join(dir, "wrong")
	if err := os.WriteFile(wrong, []byte("not-the-password"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad.Password = config.SecretFromFile(wrong)
	down := account(t, srv, "down")
	down.Port = 1 // nothing listens there
	down.Inbox, down.Sent = []string{"INBOX"}, []string{}
	down.Household, down.Person = "other", "taro"

	pub := newRecorder(nil)
	r := startWorker(t, testConfig(), []imap.Account{bad, down, good}, pub, imap.NewMemoryStore())
	waitFor(t, waitLong, "failures of the bad accounts", func() bool {
		return r.counter("scamscreen_imap_errors_total", "mailbox", "bad", "kind", "auth") >= 1 &&
			r.counter("scamscreen_imap_errors_total", "mailbox", "down", "kind", "dial") >= 1
	})
	waitSessions(t, r, 1)
	if _, err := srv.Append(testUser, "INBOX", mail(1, "for the good account")); err != nil {
		t.Fatal(err)
	}
	got := pub.waitCount(t, 1, waitLong)
	if src := got[0].msg.Source; src != "imap:good/INBOX" {
		t.Errorf("Source = %q, want imap:good/INBOX", src)
	}
}

func TestBackfill(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	now := time.Now()
	for i, age := range []time.Duration{30 * 24 * time.Hour, 10 * 24 * time.Hour, 3 * 24 * time.Hour, time.Hour} {
		if _, err := srv.AppendAt(testUser, "INBOX", mail(i, fmt.Sprintf("age %v", age)), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig()
	cfg.Backfill = config.Duration(7 * 24 * time.Hour)
	cfg.FetchBatch = 1
	pub := newRecorder(nil)
	store := imap.NewMemoryStore()
	r := startWorker(t, cfg, []imap.Account{acct}, pub, store)
	waitSessions(t, r, 1)
	if _, err := srv.Append(testUser, "INBOX", mail(9, "new")); err != nil {
		t.Fatal(err)
	}
	got := pub.waitCount(t, 3, waitLong)
	var subjects []string
	for _, p := range got {
		subjects = append(subjects, p.msg.Subject)
	}
	if diff := cmp.Diff([]string{"age 72h0m0s", "age 1h0m0s", "new"}, subjects); diff != "" {
		t.Errorf("backfilled subjects (-want +got):\n%s", diff)
	}
	// The checkpoint is saved after the publish it covers, so wait for it
	// to catch up with the last message; it must never go past it.
	cp := waitCheckpoint(t, store, testMailbox, "INBOX", func(cp imap.Checkpoint) bool { return cp.LastUID >= 5 })
	if cp.FilterEnd != 4 || cp.LastUID != 5 {
		t.Errorf("checkpoint after backfill = %+v, want FilterEnd 4, LastUID 5", cp)
	}
}

func TestLoginMethods(t *testing.T) {
	for _, c := range []struct {
		name string
		tls  bool
		xo   bool
	}{
		{"plaintext loopback", false, false},
		{"implicit TLS", true, false},
		{"XOAUTH2", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, imaptest.Options{TLS: c.tls})
			acct := account(t, srv, testMailbox)
			acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
			if c.xo {
				tok := filepath.Join(t.TempDir(), "token")
				if err := os.WriteFile(tok, []byte("ya29.test-access-token\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := srv.AddToken(testUser, "ya29.test-access-token"); err != nil {
					t.Fatal(err)
				}
				acct.Password, acct.XOAuth2Token = config.Secret{}, config.SecretFromFile(tok)
			}
			pub := newRecorder(nil)
			r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
			waitSessions(t, r, 1)
			if _, err := srv.Append(testUser, "INBOX", mail(1, c.name)); err != nil {
				t.Fatal(err)
			}
			pub.waitCount(t, 1, waitLong)
		})
	}
}

func TestGracefulShutdownLogsOut(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox) // three folders
	r := startWorker(t, testConfig(), []imap.Account{acct}, newRecorder(nil), imap.NewMemoryStore())
	waitSessions(t, r, 3)
	r.stop(t)
	waitFor(t, 10*time.Second, "connections closed", func() bool { return srv.Connections() == 0 })
}

func TestSamplesScreen(t *testing.T) {
	// The samples must parse into what their descriptions promise.
	for _, s := range imaptest.Samples() {
		if s.Folder != "INBOX" && s.Folder != "Sent" {
			t.Errorf("sample %s: folder %q", s.Name, s.Folder)
		}
		if !bytes.Contains(s.Raw, []byte("\r\n\r\n")) {
			t.Errorf("sample %s: no header/body separator", s.Name)
		}
	}
}

// blackhole is a TCP proxy that can stop forwarding without closing
// anything: a half-open connection, as a NAT box that forgot the
// connection or a dead server leaves behind.
type blackhole struct {
	ln      net.Listener
	backend string
	silent  atomic.Bool
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

func newBlackhole(t *testing.T, backend string) *blackhole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackhole{ln: ln, backend: backend}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", backend)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			p.wg.Go(func() { p.pipe(b, c) })
			p.wg.Go(func() { p.pipe(c, b) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *blackhole) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.silent.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *blackhole) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func TestDeadConnectionDetected(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	proxy := newBlackhole(t, srv.Addr())
	acct := account(t, srv, testMailbox)
	acct.Port = proxy.port()
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	cfg := testConfig()
	cfg.IdleRestart = config.Duration(100 * time.Millisecond)
	cfg.CommandTimeout = config.Duration(300 * time.Millisecond)
	pub := newRecorder(nil)
	r := startWorker(t, cfg, []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(t, r, 1)
	waitFor(t, waitLong, "IDLE renewals", func() bool { return r.counter("scamscreen_imap_idle_restarts_total") >= 2 })

	proxy.silent.Store(true) // the connection stays open but nothing gets through
	waitFor(t, waitLong, "the dead connection detected", func() bool {
		return r.counter("scamscreen_imap_errors_total", "kind", "timeout") >= 1
	})
	proxy.silent.Store(false)
	if _, err := srv.Append(testUser, "INBOX", mail(1, "after the outage")); err != nil {
		t.Fatal(err)
	}
	pub.waitCount(t, 1, waitLong)
}
