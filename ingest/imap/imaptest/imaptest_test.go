package imaptest_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestSamplesScreenAsDescribed keeps the demo honest: every sample parses
// cleanly and the shipped rule packs give it the verdict it promises.
func TestSamplesScreenAsDescribed(t *testing.T) {
	set, err := rules.LoadFS(configs.Rules, configs.RulesDir, "(built-in)/rules")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := screen.New(set, screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	samples := imaptest.Samples()
	if len(samples) != 5 {
		t.Fatalf("Samples() = %d mails, want 5", len(samples))
	}
	for _, s := range samples {
		msg, err := mailparse.Parse(s.Raw)
		if err != nil || msg.ParseError != "" {
			t.Errorf("%s: Parse() = %v, ParseError %q", s.Name, err, msg.ParseError)
			continue
		}
		msg.ID, msg.Direction = "em-"+s.Name, s.Direction
		v := eng.Screen(msg)
		if v.Level != s.Want {
			t.Errorf("%s: Screen() = %v (%v), want %v", s.Name, v.Level, v.Categories, s.Want)
		}
		if s.Direction == event.DirectionOut && !v.Has(event.CategoryCodeHandover) {
			t.Errorf("%s: categories %v, want code_handover", s.Name, v.Categories)
		}
	}
}

func TestServerBasics(t *testing.T) {
	srv, err := imaptest.Start(imaptest.Options{TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.AddUser("u@example.jp", "pw"); err != nil {
		t.Fatal(err)
	}
	n, err := srv.Seed("u@example.jp")
	if err != nil || n != 5 {
		t.Fatalf("Seed() = %d, %v; want 5, nil", n, err)
	}
	inbox, uv1, err := srv.Status("u@example.jp", "INBOX")
	if err != nil || inbox != 4 {
		t.Fatalf("Status(INBOX) = %d, %v; want 4 mails", inbox, err)
	}
	uv2, err := srv.BumpUIDValidity("u@example.jp", "INBOX")
	if err != nil || uv2 == uv1 {
		t.Fatalf("BumpUIDValidity() = %d, %v; want a new UIDVALIDITY (was %d)", uv2, err, uv1)
	}
	if again, _, _ := srv.Status("u@example.jp", "INBOX"); again != 4 {
		t.Errorf("after BumpUIDValidity INBOX has %d mails, want 4", again)
	}
	c, err := srv.Client("u@example.jp")
	if err != nil {
		t.Fatal(err)
	}
	if srv.Connections() != 1 {
		t.Errorf("Connections() = %d, want 1", srv.Connections())
	}
	if got := srv.DropConnections(); got != 1 {
		t.Errorf("DropConnections() = %d, want 1", got)
	}
	<-c.Closed()
	c.Close()
}
