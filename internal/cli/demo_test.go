package cli

import (
	"strings"
	"testing"
)

// TestDemo runs `scamscreen demo` in-process: every bundled sample goes
// through IMAP, the SMS webhooks, JetStream and the screen worker, and
// each verdict is printed.
func TestDemo(t *testing.T) {
	code, out, errs := run(t, "", "demo", "-lang", "en")
	if code != ExitOK {
		t.Fatalf("demo = %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{
		"pipeline up", "mails delivered", "SMS posted",
		"Done in", "10 messages screened — 7 scam, 0 suspicious, 3 clean",
		"code_handover", "gift_card_demand", "SENT by her",
		"AQ**-******-***RW", // codes are masked
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "AQ4T-7VNT3K-M8PRW") {
		t.Error("demo printed a gift-card code unmasked")
	}
}
