package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
)

// impersonationLure is a "new number, buy me gift cards" mail from a
// stranger posing as her grandson, in ISO-2022-JP as Japanese mailers send.
func impersonationLure(t *testing.T) []byte {
	t.Helper()
	enc := func(s string) string {
		out, err := japanese.ISO2022JP.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var b bytes.Buffer
	b.WriteString("From: =?ISO-2022-JP?B?" + b64(enc("翔太")) + "?= <shota.newphone2026@gmail.com>\r\n")
	b.WriteString("To: hanako@example.jp\r\nSubject: =?ISO-2022-JP?B?" + b64(enc("おばあちゃんへ")) + "?=\r\n")
	b.WriteString("Date: Sun, 29 Nov 2026 10:00:00 +0900\r\nMessage-ID: <e2e-lure@gmail.example>\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	b.WriteString(enc("おばあちゃん、翔太だよ。携帯が壊れて新しいアドレスにしたんだ。\r\n" +
		"今すぐお願いがあって、近くのコンビニでAmazonのギフトカードを3万円分買ってきてくれない？\r\n" +
		"買ったらカードの裏の番号を写真に撮って送ってほしい。今は電話に出られないからメールでお願い。\r\n" +
		"お母さんには内緒にしてね。\r\n"))
	return b.Bytes()
}

// TestEndToEndIMAPToAlerts: a Japanese impersonation lure delivered to the
// protected person's IMAP mailbox becomes, through every stage, one alert
// SMS to her son and one short warning to her, at a server speaking
// Twilio's REST API; delivering the mail a second time sends nothing more.
func TestEndToEndIMAPToAlerts(t *testing.T) {
	dir := t.TempDir()
	srv, err := imaptest.Start(imaptest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddUser("hanako@example.jp", "pw")
	mb, err := srv.Mailbox("hanako-mail", "hanako@example.jp", dir)
	if err != nil {
		t.Fatal(err)
	}
	mb.TLS, mb.AllowPlaintext = imap.TLSNone, true

	fake := notifytest.NewTwilioFake("AC"+randomAlnum(32), randomAlnum(32))
	defer fake.Close()
	cfg := DefaultConfig()
	cfg.NATS = natstest.Config(t)
	cfg.Admin.Listen = "off"
	cfg.Ingest.IMAP.Backfill = config.Duration(24 * time.Hour)
	if cfg.Notify.Twilio, err = fake.Config(dir); err != nil {
		t.Fatal(err)
	}
	cfg.Households = []Household{{ID: "tanaka", People: []Person{{
		ID: "hanako", Name: "田中花子", Phones: []string{"090-1234-5678"}, Mailboxes: []imap.Mailbox{mb},
		Notify: notify.PersonConfig{Contacts: []notify.ContactConfig{{ID: "kenji", Name: "田中健二", Relation: "son", SMS: "090-1111-2222", Consent: notify.ConsentReasons, Order: 1}}},
	}}}}
	startPipeline(t, &cfg)

	lure := impersonationLure(t)
	if _, err := srv.Append("hanako@example.jp", "INBOX", lure); err != nil {
		t.Fatal(err)
	}
	son, her := "+819011112222", "+819012345678"
	deadline := time.Now().Add(30 * time.Second)
	for len(fake.MessagesTo(son)) == 0 || len(fake.MessagesTo(her)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("alerts after 30s: %d to the son, %d to her", len(fake.MessagesTo(son)), len(fake.MessagesTo(her)))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The same mail delivered again (a resend, a resync): the same id,
	// dropped by JetStream, so nothing more is sent.
	if _, err := srv.Append("hanako@example.jp", "INBOX", lure); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // nothing to wait for: a second alert would have arrived by now
	sonMsgs, herMsgs := fake.MessagesTo(son), fake.MessagesTo(her)
	if len(sonMsgs) != 1 || len(herMsgs) != 1 {
		t.Fatalf("alerts: %d to the son, %d to her; want exactly one each", len(sonMsgs), len(herMsgs))
	}
	for _, want := range []string{"田中花子", "ギフト", "いつもの番号"} {
		if !strings.Contains(sonMsgs[0].Body, want) {
			t.Errorf("the son's alert lacks %q:\n%s", want, sonMsgs[0].Body)
		}
	}
	if !strings.Contains(herMsgs[0].Body, "ギフト券は買わないでください") || !strings.Contains(herMsgs[0].Body, "田中健二") {
		t.Errorf("her warning should tell her not to buy and whom to call:\n%s", herMsgs[0].Body)
	}
	if strings.Contains(sonMsgs[0].Body, "shota.newphone2026@gmail.com") {
		t.Errorf("the son's alert shows the sender's full address despite consent masking:\n%s", sonMsgs[0].Body)
	}
}

// startPipeline runs every stage of cfg until the test ends.
func startPipeline(t *testing.T, cfg *Config) *pipeline {
	t.Helper()
	cfg.fill()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p, err := newPipeline(context.Background(), cfg, allStages, Env{Out: io.Discard}, natstest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.group.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("pipeline: %v", err)
		}
	})
	return p
}

// TestEndToEndReplyStopsEscalation: the same urgent SMS lure reaches two
// protected people, each with one trusted contact. Kenji replies to his
// alert by SMS; Ichiro does not. Ichiro gets the escalation reminder when
// the ack timeout passes, and by then Kenji, whose reply went through the
// Twilio webhook, the ALERTS stream and the notify worker, must have
// heard nothing more.
func TestEndToEndReplyStopsEscalation(t *testing.T) {
	dir := t.TempDir()
	fake := notifytest.NewTwilioFake("AC"+randomAlnum(32), randomAlnum(32))
	defer fake.Close()
	cfg := DefaultConfig()
	cfg.NATS = natstest.Config(t)
	cfg.Admin.Listen = "off"
	var err error
	if cfg.Notify.Twilio, err = fake.Config(dir); err != nil {
		t.Fatal(err)
	}
	token := randomAlnum(32)
	const publicURL = "https://sms.e2e.scamscreen.invalid"
	cfg.Ingest.SMS.Listen, cfg.Ingest.SMS.PublicURL = "127.0.0.1:0", publicURL
	if cfg.Ingest.SMS.Twilio.AuthToken, err = secretFile(dir, "twilio.token", token); err != nil {
		t.Fatal(err)
	}
	const ackTimeout = 3 * time.Second
	person := func(household, id, phone, contact, contactPhone string) Household {
		return Household{ID: household, People: []Person{{ID: id, Name: id, Phones: []string{phone}, Notify: notify.PersonConfig{
			Self:       notify.SelfConfig{Channels: []string{notify.ChannelConsole}},
			Contacts:   []notify.ContactConfig{{ID: contact, Name: contact, SMS: contactPhone, Consent: notify.ConsentCategory, Order: 1}},
			Escalation: notify.EscalationConfig{AckTimeout: config.Duration(ackTimeout)},
		}}}}
	}
	cfg.Households = []Household{
		person("tanaka", "hanako", "090-1234-5678", "kenji", "090-1111-2222"),
		person("sato", "yoshiko", "090-3333-4444", "ichiro", "090-5555-6666"),
	}
	p := startPipeline(t, &cfg)
	<-p.sms.Started()
	client := &smstest.Client{BaseURL: "http://" + p.sms.Addr().String(), PublicURL: publicURL, TwilioAuthToken: token}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	post := func(sid, from, to, body string) {
		t.Helper()
		resp, err := client.PostTwilio(ctx, url.Values{"MessageSid": {sid}, "AccountSid": {"AC" + randomAlnum(32)}, "From": {from}, "To": {to}, "Body": {body}})
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("POST /sms/twilio (%s): %v %+v", sid, err, resp)
		}
	}
	const lure = "【Amazon】お客様のアカウントに未払い料金があります。本日中にコンビニでAmazonギフトカード5万円分を購入し、裏面の番号をこのメッセージに返信してください。"
	post("SM"+randomAlnum(32), "+819099998888", "+819012345678", lure)
	post("SM"+randomAlnum(32), "+819099998888", "+819033334444", lure)

	kenji, ichiro := "+819011112222", "+819055556666"
	waitUntil(t, 30*time.Second, "the first alert to each contact", func() bool {
		return len(fake.MessagesTo(kenji)) >= 1 && len(fake.MessagesTo(ichiro)) >= 1
	})
	post("SM"+randomAlnum(32), kenji, cfg.Notify.Twilio.From, "わかった、母に電話する")
	waitUntil(t, 30*time.Second, "the escalation reminder to Ichiro", func() bool {
		return len(fake.MessagesTo(ichiro)) >= 2
	})
	// Kenji's step was due at the same moment as Ichiro's; give the timer
	// loop one more tick before looking.
	time.Sleep(time.Second)
	if n := len(fake.MessagesTo(kenji)); n != 1 {
		t.Errorf("Kenji got %d messages after acknowledging by SMS, want only the first alert", n)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
