package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
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
		"sms alert to 田中健二 (contact kenji", "sms alert to 田中花子 (person self",
		"SMS alerts went out through the Twilio API fake: 7 to her son 田中健二, 7 to 田中花子 herself",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "AQ4T-7VNT3K-M8PRW") {
		t.Error("demo printed a gift-card code unmasked")
	}
}

// TestPipelineLogsAndMetrics runs the demo pipeline with debug logging and
// the admin listener: no log line may carry a message body, a phone number
// or an address, and the admin endpoints must answer with the stage
// metrics.
func TestPipelineLogsAndMetrics(t *testing.T) {
	var logs lockedBuffer
	var metrics, healthz, readyz string
	err := demo(context.Background(), Env{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}, demoOptions{
		lang: "en", timeout: 60 * time.Second, logLevel: "debug", logOut: &logs, adminListen: "127.0.0.1:0",
		screened: func(p *pipeline) {
			base := "http://" + p.admin.Addr()
			metrics, healthz, readyz = get(t, base+"/metrics"), get(t, base+"/healthz"), get(t, base+"/readyz")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, `"message_id"`) {
		t.Fatalf("debug logs carry no message ids; is the test logging at all?\n%s", out)
	}
	var secrets []string
	for _, s := range smstest.Samples() {
		secrets = append(secrets, s.Peer, firstRunes(s.Body, 12))
	}
	for _, s := range imaptest.Samples() {
		m, _ := mailparse.Parse(s.Raw)
		secrets = append(secrets, m.From.Addr, firstRunes(m.Subject, 10), firstRunes(m.Text, 12))
	}
	secrets = append(secrets, demoPhone, "+819012345678", demoUser, "田中花子")
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("a log line contains personal data %q", s)
		}
	}
	for _, want := range []string{
		`scamscreen_messages_in_total{channel="email",source="imap"} 5`,
		`scamscreen_messages_in_total{channel="sms",source="sms"} 5`,
		`scamscreen_verdicts_total{verdict="scam"} 7`,
		`scamscreen_ingest_to_verdict_seconds_count 10`,
		`scamscreen_handler_duration_seconds_count{outcome="ack",stage="screen"} 10`,
		`scamscreen_rulepack_info{pack="ja"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if !strings.Contains(strings.ToLower(healthz), "ok") || !strings.Contains(readyz, "nats: ok") {
		t.Errorf("healthz %q readyz %q", healthz, readyz)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func firstRunes(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
