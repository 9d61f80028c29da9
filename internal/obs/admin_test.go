package obs_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scamscreen/scamscreen/internal/obs"
)

// startAdmin runs a on 127.0.0.1:0 until the test ends and returns its base
// URL.
func startAdmin(t *testing.T, a *obs.Admin) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() after cancel = %v, want nil", err)
		}
	})
	select {
	case <-a.Started():
	case err := <-done:
		t.Fatalf("Run() = %v before listening", err)
	}
	return "http://" + a.Addr()
}

func get(t *testing.T, url string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestAdminEndpoints(t *testing.T) {
	m := obs.NewMetrics()
	m.MessageIn("sms", "twilio")
	a := obs.NewAdmin("127.0.0.1:0", m, zap.NewNop())
	base := startAdmin(t, a)

	if !strings.HasPrefix(a.Addr(), "127.0.0.1:") || strings.HasSuffix(a.Addr(), ":0") {
		t.Errorf("Addr() = %q, want 127.0.0.1 with the chosen port", a.Addr())
	}

	code, _, body := get(t, base+"/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", code, body)
	}

	code, hdr, body := get(t, base+"/metrics")
	if code != http.StatusOK || !strings.Contains(body, `scamscreen_messages_in_total{channel="sms",source="twilio"} 1`) {
		t.Errorf("GET /metrics = %d, body lacks messages_in_total:\n%s", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics Content-Type = %q, want text/plain", ct)
	}
	for _, want := range []string{"go_goroutines", "process_cpu_seconds_total", "promhttp_metric_handler_requests_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /metrics lacks %s", want)
		}
	}

	code, hdr, body = get(t, base+"/metrics", "Accept", "application/openmetrics-text; version=1.0.0")
	if ct := hdr.Get("Content-Type"); code != http.StatusOK || !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("GET /metrics (OpenMetrics) = %d %q, want 200 application/openmetrics-text", code, ct)
	}
	if !strings.HasSuffix(body, "# EOF\n") {
		t.Errorf("OpenMetrics body does not end with # EOF")
	}

	code, _, body = get(t, base+"/readyz")
	if code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /readyz with no checks = %d %q, want 200 ok", code, body)
	}

	code, _, _ = get(t, base+"/nope")
	if code != http.StatusNotFound {
		t.Errorf("GET /nope = %d, want 404", code)
	}
}

func TestAdminReadinessFailsAndRecovers(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	a := obs.NewAdmin("127.0.0.1:0", nil, zap.New(core))
	var natsDown atomic.Bool
	natsDown.Store(true)
	const secretURL = "nats://scamscreen:hunter2@10.0.0.5:4222"
	a.AddReadiness("nats", func(context.Context) error {
		if natsDown.Load() {
			return errors.New("dial " + secretURL + ": connection refused")
		}
		return nil
	})
	a.AddReadiness("rules", func(context.Context) error { return nil })
	base := startAdmin(t, a)

	code, _, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || body != "nats: failed\nrules: ok\n" {
		t.Errorf("GET /readyz = %d %q, want 503 naming nats as failed", code, body)
	}
	if strings.Contains(body, "hunter2") {
		t.Errorf("/readyz body leaks the error text: %q", body)
	}
	get(t, base+"/readyz") // same state: not logged again

	natsDown.Store(false)
	code, _, body = get(t, base+"/readyz")
	if code != http.StatusOK || body != "nats: ok\nrules: ok\n" {
		t.Errorf("GET /readyz after recovery = %d %q, want 200 all ok", code, body)
	}

	var msgs []string
	for _, e := range logs.FilterField(zap.String("check", "nats")).All() {
		msgs = append(msgs, e.Message)
	}
	if strings.Join(msgs, "|") != "readiness check failing|readiness check recovered" {
		t.Errorf("logged %q, want one failing and one recovered entry", msgs)
	}
}

func TestAdminReadinessTimeoutAndPanic(t *testing.T) {
	a := obs.NewAdmin("127.0.0.1:0", nil, zap.NewNop())
	a.SetReadinessTimeout(50 * time.Millisecond)
	a.AddReadiness("slow", func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	a.AddReadiness("buggy", func(context.Context) error { panic("nil map") })
	base := startAdmin(t, a)

	code, _, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || body != "slow: timeout\nbuggy: failed\n" {
		t.Errorf("GET /readyz = %d %q, want 503 with slow timeout and buggy failed", code, body)
	}
}

func TestAdminBindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a := obs.NewAdmin(ln.Addr().String(), nil, zap.NewNop())
	// Run must return at once, without waiting for ctx.
	err = a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "admin listen") {
		t.Errorf("Run(on a taken port) = %v, want an admin listen error", err)
	}
	if a.Addr() != "" {
		t.Errorf("Addr() after failed bind = %q, want empty", a.Addr())
	}
}

func TestAdminRunTwice(t *testing.T) {
	a := obs.NewAdmin("127.0.0.1:0", nil, zap.NewNop())
	startAdmin(t, a)
	if err := a.Run(context.Background()); err == nil {
		t.Errorf("second Run() = nil, want error")
	}
}
