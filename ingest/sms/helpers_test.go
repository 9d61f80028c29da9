package sms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/errkind"
)

// Fixtures. Twilio credentials are letters and digits (DEPENDENCIES.md §6).
const (
	authToken   = "3f9c2b7a1d4e6f8091a2b3c4d5e6f7a8"
	publicURL   = "https://sms.example.jp"
	hanako      = "090-1234-5678" // protected person, household tanaka
	hanakoE164  = "+819012345678"
	jiro        = "+818098765432" // protected person, household tanaka
	son         = "080-3333-4444" // trusted contact of hanako and jiro
	sonE164     = "+818033334444"
	stranger    = "+815031842976"
	hmacSecret  = "k8Xq2PzL0vR7sW4yN1mB6cT9"
	bearerToken = "t0kenForTheSMSCfeed42"
)

// testNow is the listener's clock in tests, unless a test moves it.
var testNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

// Sources of the test listener.
var (
	srcPhone   = smstest.Source{Name: "phone", Format: sms.FormatScamscreen, HMACSecret: hmacSecret}
	srcSMSC    = smstest.Source{Name: "smsc", Format: sms.FormatScamscreen, BearerToken: bearerToken}
	srcGateway = smstest.Source{Name: "gateway", Format: sms.FormatSMSGateway, HMACSecret: hmacSecret}
	srcTmpl    = smstest.Source{Name: "forwarder", Format: sms.FormatTemplate, HMACSecret: hmacSecret}
)

func directory(t testing.TB) *sms.StaticDirectory {
	t.Helper()
	d, err := sms.NewDirectory([]sms.Entry{
		{Number: hanako, Owner: sms.Owner{Household: "tanaka", Person: "hanako"}},
		{Number: jiro, Owner: sms.Owner{Household: "tanaka", Person: "jiro"}},
		{Number: son, Owner: sms.Owner{Household: "tanaka", Person: "hanako", Contact: "ichiro"}},
		{Number: son, Owner: sms.Owner{Household: "tanaka", Person: "jiro", Contact: "ichiro"}},
	})
	if err != nil {
		t.Fatalf("NewDirectory() = %v", err)
	}
	return d
}

// secretFile writes value to a file and returns a Secret naming it.
func secretFile(t testing.TB, value string) config.Secret {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.SecretFromFile(p)
}

// testConfig is a listener with Twilio and four sources.
func testConfig(t testing.TB) sms.Config {
	t.Helper()
	cfg := sms.DefaultConfig()
	cfg.PublicURL = publicURL
	cfg.Twilio.AuthToken = secretFile(t, authToken)
	hs, bt := secretFile(t, hmacSecret), secretFile(t, bearerToken)
	cfg.Sources = []sms.SourceConfig{
		{Name: "phone", Format: sms.FormatScamscreen, Auth: sms.AuthConfig{Kind: sms.AuthHMAC, Secret: hs}},
		{Name: "smsc", Format: sms.FormatScamscreen, Auth: sms.AuthConfig{Kind: sms.AuthBearer, Token: bt},
			RateLimit: sms.RateLimit{PerMinute: 6000, Burst: 1000}},
		{Name: "gateway", Format: sms.FormatSMSGateway, DeviceNumber: hanako, Auth: sms.AuthConfig{Kind: sms.AuthHMAC, Secret: hs}},
		{Name: "forwarder", Format: sms.FormatTemplate, DeviceNumber: hanako, Auth: sms.AuthConfig{Kind: sms.AuthHMAC, Secret: hs}},
	}
	return cfg
}

// fakePub is an ingest.Publisher that keeps what it is given, drops
// repeated ids as JetStream would, and fails while err is set.
type fakePub struct {
	mu   sync.Mutex
	msgs []*event.Message
	seen map[string]bool
	err  error
}

var _ ingest.Publisher = (*fakePub)(nil)

func (p *fakePub) PublishMessage(ctx context.Context, m *event.Message) (uint64, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return 0, false, p.err
	}
	if err := m.Validate(); err != nil {
		return 0, false, errkind.Permanent(err)
	}
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[m.ID] {
		return uint64(len(p.msgs)), true, nil
	}
	p.seen[m.ID] = true
	p.msgs = append(p.msgs, m)
	return uint64(len(p.msgs)), false, nil
}

// reset forgets everything published.
func (p *fakePub) reset() {
	p.mu.Lock()
	p.msgs, p.seen = nil, nil
	p.mu.Unlock()
}

func (p *fakePub) setErr(err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
}

func (p *fakePub) messages() []*event.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*event.Message(nil), p.msgs...)
}

// fakeAcks records acknowledgements.
type fakeAcks struct {
	mu   sync.Mutex
	acks []*event.Alert
	err  error
}

func (a *fakeAcks) PublishAck(ctx context.Context, al *event.Alert) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.acks = append(a.acks, al)
	return nil
}

func (a *fakeAcks) list() []*event.Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*event.Alert(nil), a.acks...)
}

// clock is a settable clock shared by the listener and the signer.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *clock { c := &clock{}; c.set(t); return c }
func (c *clock) set(t time.Time)  { c.t.Store(&t) }
func (c *clock) now() time.Time   { return *c.t.Load() }

// env is a listener on an httptest server with fakes around it.
type env struct {
	srv    *sms.Server
	ts     *httptest.Server
	pub    *fakePub
	acks   *fakeAcks
	reg    *prometheus.Registry
	clock  *clock
	client *smstest.Client
}

type envOpt struct {
	cfg    func(*sms.Config)
	logger *zap.Logger
	pub    ingest.Publisher
}

func newEnv(t testing.TB, o envOpt) *env {
	t.Helper()
	cfg := testConfig(t)
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	e := &env{pub: &fakePub{}, acks: &fakeAcks{}, reg: prometheus.NewRegistry(),
		clock: newClock(testNow)}
	logger := o.logger
	if logger == nil {
		logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	var pub ingest.Publisher = e.pub
	if o.pub != nil {
		pub = o.pub
	}
	srv, err := sms.New(cfg, directory(t), pub, sms.Options{Acks: e.acks, Logger: logger, Registerer: e.reg, Now: e.clock.now})
	if err != nil {
		t.Fatalf("sms.New() = %v", err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.ts.Close)
	e.client = &smstest.Client{BaseURL: e.ts.URL, PublicURL: publicURL, TwilioAuthToken: authToken,
		HTTPClient: e.ts.Client(), Now: e.clock.now}
	return e
}

// post sends req and returns the answer.
func (e *env) do(t testing.TB, req *http.Request) *smstest.Response {
	t.Helper()
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &smstest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func (e *env) twilio(t testing.TB, params url.Values) *smstest.Response {
	t.Helper()
	r, err := e.client.PostTwilio(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) source(t testing.TB, src smstest.Source, body []byte) *smstest.Response {
	t.Helper()
	r, err := e.client.PostSource(context.Background(), src, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// jsonError decodes a JSON error answer.
type jsonError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Index   *int   `json:"index"`
}

func decodeError(t testing.TB, r *smstest.Response) jsonError {
	t.Helper()
	var je jsonError
	if err := json.Unmarshal(r.Body, &je); err != nil {
		t.Fatalf("error body %q is not JSON: %v", r.Body, err)
	}
	return je
}

type okAnswer struct {
	Status   string `json:"status"`
	Messages []struct {
		ID        string `json:"id"`
		Duplicate bool   `json:"duplicate"`
	} `json:"messages"`
}

func decodeOK(t testing.TB, r *smstest.Response) okAnswer {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", r.Status, r.Body)
	}
	var ok okAnswer
	if err := json.Unmarshal(r.Body, &ok); err != nil {
		t.Fatalf("answer %q is not JSON: %v", r.Body, err)
	}
	return ok
}

// sampleParams is the Twilio form of a bundled sample sent to hanako.
func sampleParams(t testing.TB, name string) url.Values {
	t.Helper()
	s, ok := smstest.SampleByName(name)
	if !ok {
		t.Fatalf("no sample %q", name)
	}
	return s.TwilioParams(hanako)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantTwiML checks an answer is Twilio's empty TwiML with status.
func wantTwiML(t testing.TB, r *smstest.Response, status int) {
	t.Helper()
	const twiml = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`
	if r.Status != status || r.Header.Get("Content-Type") != "text/xml" || !bytes.Equal(r.Body, []byte(twiml)) {
		t.Errorf("answer = %d %q %q, want %d text/xml %q", r.Status, r.Header.Get("Content-Type"), r.Body, status, twiml)
	}
}

// counter returns the value of the counter (or histogram count) name with
// labels, 0 when it does not exist.
func counter(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue metric
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return 0
}
