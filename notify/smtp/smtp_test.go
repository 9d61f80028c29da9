package smtp_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // decodes ISO-2022-JP in the checks; registers in its init
	gomail "github.com/emersion/go-message/mail"
	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/smtp"
)

const recipient = "kenji@family.example"

func secretFile(t testing.TB, value string) config.Secret {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(value), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.SecretFromFile(p)
}

type variant struct {
	name    string
	tls     notifytest.SMTPTLS
	mode    string
	auth    bool
	charset string
}

var variants = []variant{
	{"starttls with auth", notifytest.SMTPStartTLS, notify.TLSStartTLS, true, notify.CharsetUTF8},
	{"implicit tls with auth", notifytest.SMTPImplicitTLS, notify.TLSImplicit, true, notify.CharsetISO2022JP},
	{"plain loopback", notifytest.SMTPPlain, notify.TLSNone, false, notify.CharsetUTF8},
}

func newChannel(t testing.TB, srv *notifytest.SMTPServer, v variant) *smtp.Channel {
	t.Helper()
	cfg := notify.SMTPConfig{
		Host: srv.Host(), Port: srv.Port(), TLS: v.mode, From: "詐欺見守り <alerts@scamscreen.test>",
		Charset: v.charset, Timeout: config.Duration(10 * time.Second),
	}
	if v.auth {
		cfg.Username = notifytest.SMTPUser
		cfg.Password = secretFile(t, notifytest.SMTPPassword)
	}
	var opts []smtp.Option
	if tc := srv.TLSConfig(); tc != nil {
		opts = append(opts, smtp.WithTLSConfig(tc))
	}
	c, err := smtp.New(cfg, zaptest.NewLogger(t), opts...)
	if err != nil {
		t.Fatalf("smtp.New() = %v", err)
	}
	return c
}

var modes = map[notifytest.Behavior]notifytest.SMTPMode{
	notifytest.Accept:          notifytest.SMTPAccept,
	notifytest.RefuseRecipient: notifytest.SMTPRejectRecipient,
	notifytest.RefuseAuth:      notifytest.SMTPAuthFail,
	notifytest.RateLimit:       notifytest.SMTPTempFail,
	notifytest.Unavailable:     notifytest.SMTPTempFail,
	notifytest.Hang:            notifytest.SMTPHang,
}

// parsed is a received message decoded as a mail client would.
type parsed struct {
	subject, to, messageID, body, contentType string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		t.Fatalf("received message does not parse: %v", err)
	}
	var p parsed
	p.subject, err = r.Header.Subject()
	if err != nil {
		t.Fatalf("Subject: %v", err)
	}
	to, _ := r.Header.AddressList("To")
	if len(to) == 1 {
		p.to = to[0].Address
	}
	p.messageID, _ = r.Header.MessageID()
	p.contentType = r.Header.Get("Content-Type")
	part, err := r.NextPart()
	if err != nil {
		t.Fatalf("NextPart: %v", err)
	}
	b, err := io.ReadAll(part.Body)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	p.body = strings.ReplaceAll(string(b), "\r\n", "\n")
	return p
}

func TestContract(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			notifytest.Run(t, func(t *testing.T) *notifytest.Harness {
				srv, err := notifytest.NewSMTPServer(v.tls, v.auth)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(srv.Close)
				ch := newChannel(t, srv, v)
				refuseAuth := v.auth
				return &notifytest.Harness{
					Channel: ch,
					To:      notify.Destination{Name: "健二", Email: recipient},
					Behave: func(b notifytest.Behavior) {
						if b == notifytest.RefuseAuth && !refuseAuth {
							// A relay without AUTH refuses the sender instead.
							srv.SetMode(notifytest.SMTPRejectRecipient)
							return
						}
						srv.SetMode(modes[b])
					},
					Secrets: []string{notifytest.SMTPPassword},
					Sent: func() []notifytest.Sent {
						var out []notifytest.Sent
						for _, m := range srv.Messages() {
							id := ""
							if r, err := gomail.CreateReader(bytes.NewReader(m.Data)); err == nil || message.IsUnknownCharset(err) {
								id, _ = r.Header.MessageID()
							}
							out = append(out, notifytest.Sent{To: strings.Join(m.To, ","), Raw: m.Data, Key: id})
						}
						return out
					},
					CheckWire: func(t *testing.T, d *notify.Delivery, s notifytest.Sent) {
						m := srv.Messages()[0]
						if m.From != "alerts@scamscreen.test" || s.To != recipient {
							t.Errorf("envelope from %q to %q, want alerts@scamscreen.test to %s", m.From, s.To, recipient)
						}
						if m.TLS != (v.tls != notifytest.SMTPPlain) {
							t.Errorf("message over TLS = %v, want %v", m.TLS, v.tls != notifytest.SMTPPlain)
						}
						if v.auth && m.AuthUser != notifytest.SMTPUser {
							t.Errorf("authenticated as %q, want %q", m.AuthUser, notifytest.SMTPUser)
						}
						p := parse(t, s.Raw)
						if p.subject != d.Message.Subject {
							t.Errorf("Subject = %q, want %q", p.subject, d.Message.Subject)
						}
						if p.to != recipient {
							t.Errorf("To = %q, want %q", p.to, recipient)
						}
						if want := d.Message.Text + "\n"; p.body != want {
							t.Errorf("body = %q, want %q", p.body, want)
						}
						if !strings.HasPrefix(p.messageID, d.Alert.ID+"@") {
							t.Errorf("Message-ID = %q, want the alert id %s", p.messageID, d.Alert.ID)
						}
						wantCharset := "UTF-8"
						if v.charset == notify.CharsetISO2022JP {
							wantCharset = "ISO-2022-JP"
						}
						if !strings.Contains(p.contentType, wantCharset) {
							t.Errorf("Content-Type = %q, want charset %s", p.contentType, wantCharset)
						}
						for _, line := range strings.Split(string(s.Raw), "\r\n") {
							if len(line) > 998 {
								t.Errorf("line of %d bytes exceeds RFC 5322's 998", len(line))
							}
							if !isASCII(line) {
								t.Errorf("raw message has a non-ASCII line: %q", line)
							}
						}
					},
				}
			})
		})
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestISO2022JPFallsBackToUTF8(t *testing.T) {
	srv, err := notifytest.NewSMTPServer(notifytest.SMTPPlain, false)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ch := newChannel(t, srv, variant{mode: notify.TLSNone, charset: notify.CharsetISO2022JP})
	d := notifytest.NewDelivery(notify.Destination{Email: recipient}, notify.ChannelEmail, 1)
	d.Message.Subject = "【詐欺注意】絵文字 😀 と ① は ISO-2022-JP にありません"
	if _, err := ch.Send(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	p := parse(t, srv.Messages()[0].Data)
	if p.subject != d.Message.Subject || !strings.Contains(p.contentType, "UTF-8") {
		t.Errorf("subject %q charset %q, want %q in UTF-8", p.subject, p.contentType, d.Message.Subject)
	}
}

func TestLongJapaneseSubjectIsFolded(t *testing.T) {
	for _, cs := range []string{notify.CharsetUTF8, notify.CharsetISO2022JP} {
		srv, err := notifytest.NewSMTPServer(notifytest.SMTPPlain, false)
		if err != nil {
			t.Fatal(err)
		}
		ch := newChannel(t, srv, variant{mode: notify.TLSNone, charset: cs})
		d := notifytest.NewDelivery(notify.Destination{Email: recipient}, notify.ChannelEmail, 1)
		d.Message.Subject = strings.Repeat("詐欺の可能性が高いメッセージが届きました。", 6)
		if _, err := ch.Send(context.Background(), d); err != nil {
			t.Fatal(err)
		}
		raw := srv.Messages()[0].Data
		if p := parse(t, raw); p.subject != d.Message.Subject {
			t.Errorf("%s: Subject = %q, want %q", cs, p.subject, d.Message.Subject)
		}
		for _, line := range strings.Split(string(raw), "\r\n") {
			if len(line) > 78 && strings.HasPrefix(strings.TrimSpace(line), "=?") {
				t.Errorf("%s: header line of %d characters: %q", cs, len(line), line)
			}
		}
		srv.Close()
	}
}

func TestUntrustedCertificateIsReported(t *testing.T) {
	srv, err := notifytest.NewSMTPServer(notifytest.SMTPStartTLS, true)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := notify.SMTPConfig{Host: srv.Host(), Port: srv.Port(), TLS: notify.TLSStartTLS, From: "alerts@scamscreen.test",
		Username: notifytest.SMTPUser, Password: secretFile(t, notifytest.SMTPPassword), Timeout: config.Duration(5 * time.Second)}
	ch, err := smtp.New(cfg, nil) // system roots: the self-signed certificate is not trusted
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.Send(context.Background(), notifytest.NewDelivery(notify.Destination{Email: recipient}, notify.ChannelEmail, 1))
	se, ok := notify.AsSendError(err)
	if !ok || se.Reason != notify.ReasonConfig || !errkind.IsPermanent(err) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Send() to an untrusted relay = %v, want a permanent config error about the certificate", err)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("relay received %d messages, want 0", n)
	}
}

func TestNoAuthWithoutTLS(t *testing.T) {
	// A relay that is not on loopback but offers no TLS must never see the
	// password; the channel refuses before AUTH. Simulated by dialing the
	// plain fake while the configuration names another host.
	srv, err := notifytest.NewSMTPServer(notifytest.SMTPPlain, true)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := notify.SMTPConfig{Host: "relay.example.jp", Port: srv.Port(), TLS: notify.TLSNone, From: "alerts@scamscreen.test",
		Username: notifytest.SMTPUser, Password: secretFile(t, notifytest.SMTPPassword), Timeout: config.Duration(5 * time.Second)}
	dial := smtp.WithDialer(func(ctx context.Context, network, _ string) (netConn, error) {
		var d netDialer
		return d.DialContext(ctx, network, srv.Addr())
	})
	ch, err := smtp.New(cfg, nil, dial)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ch.Send(context.Background(), notifytest.NewDelivery(notify.Destination{Email: recipient}, notify.ChannelEmail, 1))
	if se, ok := notify.AsSendError(err); !ok || se.Reason != notify.ReasonConfig {
		t.Errorf("Send() with auth over plain text to a remote host = %v, want a config refusal", err)
	}
}

type (
	netConn   = net.Conn
	netDialer = net.Dialer
)
