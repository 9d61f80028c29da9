package notify_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
)

var ackKey = []byte("0123456789abcdef0123456789abcdef")

func TestAckToken(t *testing.T) {
	s, err := notify.NewAckSigner(ackKey, "https://scamscreen.example.jp/")
	if err != nil {
		t.Fatal(err)
	}
	id := event.AlertID("vd-x", "kenji", "sms", 0)
	now := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	link, err := s.Link(id, now.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(link, "https://scamscreen.example.jp/ack/")
	if len(tok) != 50 || strings.Contains(link, "//ack") {
		t.Errorf("Link() = %q, want base/ack/ and a 50-character token", link)
	}
	if got, err := s.Verify(tok, now); err != nil || got != id {
		t.Errorf("Verify() = %q, %v, want %q", got, err, id)
	}
	if _, err := s.Verify(tok, now.Add(73*time.Hour)); !errors.Is(err, notify.ErrTokenExpired) {
		t.Errorf("Verify(after expiry) = %v, want ErrTokenExpired", err)
	}
	other, _ := notify.NewAckSigner([]byte("another-key-another-key-another"), "https://x.example")
	if _, err := other.Verify(tok, now); !errors.Is(err, notify.ErrTokenInvalid) {
		t.Errorf("Verify(other key) = %v, want ErrTokenInvalid", err)
	}
	for i := range tok {
		b := []byte(tok)
		b[i] = 'a' + (b[i]-'a'+1)%26
		if b[i] == tok[i] {
			continue
		}
		if _, err := s.Verify(string(b), now); err == nil {
			t.Errorf("Verify(token changed at %d) = nil, want an error", i)
		}
	}
	for _, bad := range []string{"", "x", strings.Repeat("a", 50), tok + "a", strings.ToUpper(tok)} {
		if _, err := s.Verify(bad, now); err == nil {
			t.Errorf("Verify(%q) = nil, want an error", bad)
		}
	}
	if _, err := s.Token("not-an-alert", now); err == nil {
		t.Error("Token(not an alert id) = nil error")
	}
	if _, err := notify.NewAckSigner([]byte("short"), "https://x.example"); err == nil {
		t.Error("NewAckSigner(short key) = nil error")
	}
}

func FuzzAckVerify(f *testing.F) {
	s, _ := notify.NewAckSigner(ackKey, "https://x.example")
	tok, _ := s.Token(event.AlertID("v", "r", "sms", 0), time.Unix(1_900_000_000, 0))
	f.Add(tok)
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		id, err := s.Verify(token, time.Unix(1_800_000_000, 0))
		if err == nil && token != tok {
			t.Fatalf("Verify(%q) accepted a forged token as %s", token, id)
		}
	})
}

type fakeAcks struct {
	mu   sync.Mutex
	acks []*event.Alert
	fail error
}

func (f *fakeAcks) PublishAck(_ context.Context, a *event.Alert) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.acks = append(f.acks, a)
	return nil
}

func (f *fakeAcks) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.acks)
}

type fakeLookup map[string]notify.Record

func (f fakeLookup) LookupAlert(_ context.Context, id string) (notify.Record, error) {
	r, ok := f[id]
	if !ok {
		return notify.Record{}, notify.ErrNoRecord
	}
	return r, nil
}

func TestAckServer(t *testing.T) {
	now := time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC)
	signer, _ := notify.NewAckSigner(ackKey, "https://scamscreen.example.jp")
	known := event.AlertID("vd-1", "kenji", "sms", 0)
	english := event.AlertID("vd-1", "amy", "email", 0)
	unknown := event.AlertID("vd-2", "kenji", "sms", 0)
	lookup := fakeLookup{
		known:   {AlertID: known, VerdictID: "vd-1", Household: "tanaka", Person: "hanako", Recipient: "kenji", Kind: event.RecipientContact, Language: "ja", Urgent: true},
		english: {AlertID: english, VerdictID: "vd-1", Household: "tanaka", Person: "hanako", Recipient: "amy", Kind: event.RecipientContact, Language: "en"},
	}
	path := func(id string, exp time.Time) string {
		tok, err := signer.Token(id, exp)
		if err != nil {
			t.Fatal(err)
		}
		return notify.AckPath + tok
	}
	for _, oneClick := range []bool{false, true} {
		acks := &fakeAcks{}
		srv, err := notify.NewAckServer(notify.AckConfig{OneClick: oneClick}, signer, acks, lookup, nil, notify.WithAckClock(func() time.Time { return now }))
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv.Handler())
		do := func(method, p string) (int, string) {
			req, _ := http.NewRequest(method, hs.URL+p, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if csp := resp.Header.Get("Content-Security-Policy"); method != "HEAD" && !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s %s: Content-Security-Policy = %q", method, p, csp)
			}
			return resp.StatusCode, string(b)
		}
		tests := []struct {
			name, method, path string
			status             int
			body               string
			acked              int
		}{
			{"garbage", "GET", notify.AckPath + "nope", 404, "リンクが無効です", 0},
			{"expired", "GET", path(known, now.Add(-time.Minute)), 410, "Link expired", 0},
			{"unknown alert", "POST", path(unknown, now.Add(time.Hour)), 404, "Link not valid", 0},
			{"head", "HEAD", path(known, now.Add(time.Hour)), 200, "", 0},
			{"put", "PUT", path(known, now.Add(time.Hour)), 405, "", 0},
			{"english post", "POST", path(english, now.Add(time.Hour)), 200, "Thank you", 1},
		}
		if oneClick {
			tests = append(tests, struct {
				name, method, path string
				status             int
				body               string
				acked              int
			}{"one-click get", "GET", path(known, now.Add(time.Hour)), 200, "受け付けました", 2})
		} else {
			tests = append(tests, struct {
				name, method, path string
				status             int
				body               string
				acked              int
			}{"get confirms first", "GET", path(known, now.Add(time.Hour)), 200, `<button type="submit">確認しました</button>`, 1})
		}
		for _, tt := range tests {
			status, body := do(tt.method, tt.path)
			if status != tt.status || !strings.Contains(body, tt.body) {
				t.Errorf("one_click=%v %s: %s = %d %q, want %d containing %q", oneClick, tt.name, tt.method, status, body, tt.status, tt.body)
			}
			if n := acks.count(); n != tt.acked {
				t.Errorf("one_click=%v %s: %d acknowledgements published, want %d", oneClick, tt.name, n, tt.acked)
			}
		}
		a := acks.acks[0]
		if a.ID != english || a.Status != event.AlertAcknowledged || a.Recipient != "amy" || a.Household != "tanaka" || a.Channel != notify.AckChannel {
			t.Errorf("published acknowledgement = %+v", a)
		}
		acks.fail = errors.New("bus down")
		if status, body := do("POST", path(known, now.Add(time.Hour))); status != 503 || !strings.Contains(body, "もう一度") {
			t.Errorf("POST while the bus is down = %d %q, want 503 and a retry page", status, body)
		}
		hs.Close()
	}
}

func TestAckServerRun(t *testing.T) {
	signer, _ := notify.NewAckSigner(ackKey, "https://scamscreen.example.jp")
	srv, err := notify.NewAckServer(notify.AckConfig{Listen: "127.0.0.1:0"}, signer, &fakeAcks{}, fakeLookup{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	select {
	case <-srv.Started():
	case err := <-done:
		t.Fatalf("Run() = %v before starting", err)
	}
	resp, err := http.Get("http://" + srv.Addr() + "/ack/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /ack/x = %d, want 404", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() after cancel = %v, want nil", err)
	}
}
