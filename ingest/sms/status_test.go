package sms_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
	"github.com/scamscreen/scamscreen/internal/errkind"
)

// secretText appears in request bodies; no answer may contain it.
const secretText = "ひみつの本文QX7"

// panicPub panics on publish, to prove handlers recover.
type panicPub struct{}

func (panicPub) PublishMessage(context.Context, *event.Message) (uint64, bool, error) {
	panic(errors.New("bus exploded"))
}

// TestErrorStatuses sends one request per way of failing and checks the
// status, the reason, the format of the answer, the metric, and that no
// answer echoes the request.
func TestErrorStatuses(t *testing.T) {
	item := func(kv ...string) []byte {
		m := map[string]any{"direction": "in", "from": stranger, "to": hanako, "body": secretText}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == "<nil>" {
				delete(m, kv[i])
				continue
			}
			m[kv[i]] = kv[i+1]
		}
		return mustJSON(t, m)
	}
	big := bytes.Repeat([]byte("あ"), 30<<10) // 90 KiB

	type request struct {
		name     string
		env      envOpt
		setup    func(e *env)
		req      func(t *testing.T, e *env) *http.Request
		status   int
		reason   string // JSON endpoints; "" for Twilio (TwiML)
		endpoint string
	}
	source := func(src smstest.Source, body []byte) func(*testing.T, *env) *http.Request {
		return func(t *testing.T, e *env) *http.Request {
			r, err := smstest.NewSourceRequest(context.Background(), e.ts.URL, src, body, e.clock.now())
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	twilio := func(mod func(url map[string][]string)) func(*testing.T, *env) *http.Request {
		return func(t *testing.T, e *env) *http.Request {
			p := sampleParams(t, "unpaid-bill")
			p.Set("Body", secretText)
			if mod != nil {
				mod(p)
			}
			r, err := smstest.NewTwilioRequest(context.Background(), e.ts.URL, publicURL, authToken, p)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	raw := func(method, path, body string) func(*testing.T, *env) *http.Request {
		return func(t *testing.T, e *env) *http.Request {
			r, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	permanent := errkind.Permanent(errors.New("nats: maximum payload exceeded"))

	cases := []request{
		{name: "json method", req: raw(http.MethodGet, "/sms/inbound/phone", ""), status: 405, reason: "method_not_allowed", endpoint: "inbound"},
		{name: "no such path", req: raw(http.MethodPost, "/sms/nope", secretText), status: 404, reason: "not_found", endpoint: "other"},
		{name: "unknown source", req: raw(http.MethodPost, "/sms/inbound/nosuch", secretText), status: 404, reason: "unknown_source", endpoint: "inbound"},
		{name: "too large", req: source(srcPhone, big), status: 413, reason: "too_large", endpoint: "inbound"},
		{name: "too large without length", req: func(t *testing.T, e *env) *http.Request {
			r := source(srcPhone, big)(t, e)
			r.ContentLength = -1
			r.Body = io.NopCloser(bytes.NewReader(big)) // sent chunked
			return r
		}, status: 413, reason: "too_large", endpoint: "inbound"},
		{name: "bad signature", req: func(t *testing.T, e *env) *http.Request {
			r := source(srcPhone, item())(t, e)
			r.Header.Set(sms.HeaderScamscreenSignature, strings.Repeat("ab", 32))
			return r
		}, status: 403, reason: "bad_signature", endpoint: "inbound"},
		{name: "bad token", req: func(t *testing.T, e *env) *http.Request {
			r := source(srcSMSC, item())(t, e)
			r.Header.Set("Authorization", "Bearer nope")
			return r
		}, status: 403, reason: "bad_token", endpoint: "inbound"},
		{name: "stale", req: func(t *testing.T, e *env) *http.Request {
			r := source(srcPhone, item())(t, e)
			r.Header.Set(sms.HeaderScamscreenTimestamp, "1000000000")
			return r
		}, status: 403, reason: "stale_timestamp", endpoint: "inbound"},
		{name: "malformed json", req: source(srcPhone, []byte(`{"direction":"in","body":"`+secretText)), status: 400, reason: "malformed", endpoint: "inbound"},
		{name: "wrong type", req: source(srcPhone, []byte(`{"direction":"in","body":["`+secretText+`"]}`)), status: 400, reason: "malformed", endpoint: "inbound"},
		{name: "bad direction", req: source(srcPhone, item("direction", "sideways")), status: 400, reason: "malformed", endpoint: "inbound"},
		{name: "no direction", req: source(srcPhone, item("direction", "<nil>")), status: 400, reason: "missing_field", endpoint: "inbound"},
		{name: "no body", req: source(srcPhone, item("body", "<nil>")), status: 400, reason: "missing_field", endpoint: "inbound"},
		{name: "no sender", req: source(srcPhone, item("from", "")), status: 400, reason: "missing_field", endpoint: "inbound"},
		{name: "no own number", req: source(srcPhone, item("to", "")), status: 400, reason: "missing_number", endpoint: "inbound"},
		{name: "bad time", req: source(srcPhone, item("time", "明日")), status: 400, reason: "bad_time", endpoint: "inbound"},
		{name: "time in seconds", req: source(srcPhone, []byte(`{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"x","time":1764464000}`)), status: 400, reason: "bad_time", endpoint: "inbound"},
		{name: "empty batch", req: source(srcPhone, []byte(`{"messages":[]}`)), status: 400, reason: "bad_batch", endpoint: "inbound"},
		{name: "batch and single", req: source(srcPhone, []byte(`{"messages":[{}],"body":"x"}`)), status: 400, reason: "bad_batch", endpoint: "inbound"},
		{name: "batch too long", req: source(srcSMSC, []byte(`{"messages":[`+strings.Repeat(`{},`, sms.MaxBatch)+`{}]}`)), status: 400, reason: "bad_batch", endpoint: "inbound"},
		{name: "bad batch item", req: source(srcPhone, []byte(`{"messages":[`+string(item())+`,{"direction":"in"}]}`)), status: 400, reason: "missing_field", endpoint: "inbound"},
		{name: "unknown number", req: source(srcPhone, item("to", "+819011112222")), status: 404, reason: "unknown_number", endpoint: "inbound"},
		{name: "contact is no person", req: source(srcPhone, item("to", son)), status: 404, reason: "unknown_number", endpoint: "inbound"},
		{name: "bus down", setup: func(e *env) { e.pub.setErr(context.DeadlineExceeded) },
			req: source(srcPhone, item()), status: 503, reason: "unavailable", endpoint: "inbound"},
		{name: "bus refuses", setup: func(e *env) { e.pub.setErr(permanent) },
			req: source(srcPhone, item()), status: 500, reason: "internal", endpoint: "inbound"},
		{name: "panic", env: envOpt{pub: panicPub{}}, req: source(srcPhone, item()), status: 500, reason: "internal", endpoint: "inbound"},
		{name: "health method", req: raw(http.MethodPost, "/healthz", ""), status: 405, endpoint: "healthz"},

		{name: "twilio method", req: raw(http.MethodGet, "/sms/twilio", ""), status: 405, endpoint: "twilio"},
		{name: "twilio bad signature", req: func(t *testing.T, e *env) *http.Request {
			r := twilio(nil)(t, e)
			r.Header.Set(sms.HeaderTwilioSignature, "AAAA")
			return r
		}, status: 403, endpoint: "twilio"},
		{name: "twilio too large", req: twilio(func(p map[string][]string) { p["Body"] = []string{string(big)} }), status: 413, endpoint: "twilio"},
		{name: "twilio malformed form", req: raw(http.MethodPost, "/sms/twilio", "Body=%zz"+secretText), status: 400, endpoint: "twilio"},
		{name: "twilio unknown number", req: twilio(func(p map[string][]string) { p["To"] = []string{"+819011112222"} }), status: 404, endpoint: "twilio"},
		{name: "twilio bus down", setup: func(e *env) { e.pub.setErr(errors.New("nats: connection closed")) },
			req: twilio(nil), status: 503, endpoint: "twilio"},
		{name: "twilio panic", env: envOpt{pub: panicPub{}}, req: twilio(nil), status: 500, endpoint: "twilio"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.env)
			if tc.setup != nil {
				tc.setup(e)
			}
			r := e.do(t, tc.req(t, e))
			if r.Status != tc.status {
				t.Fatalf("status = %d (%s), want %d", r.Status, r.Body, tc.status)
			}
			if bytes.Contains(r.Body, []byte(secretText)) || bytes.Contains(r.Body, []byte(stranger)) || bytes.Contains(r.Body, []byte("goroutine")) {
				t.Errorf("answer %q echoes the request or a stack", r.Body)
			}
			switch {
			case tc.endpoint == "twilio":
				wantTwiML(t, r, tc.status)
			case tc.reason != "":
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
				je := decodeError(t, r)
				if je.Error != tc.reason || je.Message == "" {
					t.Errorf("answer = %+v, want error %q with a message", je, tc.reason)
				}
				if got := counter(t, e.reg, "scamscreen_sms_rejected_total", map[string]string{"endpoint": tc.endpoint, "reason": tc.reason}); got != 1 {
					t.Errorf("rejected_total{%s,%s} = %v, want 1", tc.endpoint, tc.reason, got)
				}
			}
			switch tc.status {
			case 503:
				if r.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
			case 405:
				if r.Header.Get("Allow") == "" {
					t.Error("405 without Allow")
				}
			}
			if got := counter(t, e.reg, "scamscreen_sms_requests_total", map[string]string{"endpoint": tc.endpoint, "code": codeClass(tc.status)}); got != 1 {
				t.Errorf("requests_total{%s,%s} = %v, want 1", tc.endpoint, codeClass(tc.status), got)
			}
			if n := len(e.pub.messages()); n != 0 {
				t.Errorf("%d messages published, want 0", n)
			}
			// The listener keeps serving after any failure.
			if h := e.do(t, mustRequest(t, http.MethodGet, e.ts.URL+"/healthz")); h.Status != 200 || string(h.Body) != "ok\n" {
				t.Errorf("GET /healthz = %d %q, want 200 ok", h.Status, h.Body)
			}
		})
	}
}

func codeClass(status int) string { return string(rune('0'+status/100)) + "xx" }

func mustRequest(t testing.TB, method, url string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, envOpt{cfg: func(c *sms.Config) {
		c.Sources[0].RateLimit = sms.RateLimit{PerMinute: 1, Burst: 2}
	}})
	body := []byte(`{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"x"}`)
	var statuses []int
	for range 4 {
		statuses = append(statuses, e.source(t, srcPhone, body).Status)
	}
	if want := []int{200, 200, 429, 429}; !equalInts(statuses, want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
	r := e.source(t, srcPhone, body)
	if r.Header.Get("Retry-After") == "" || decodeError(t, r).Error != "rate_limited" {
		t.Errorf("429 answer = %v %s, want Retry-After and rate_limited", r.Header, r.Body)
	}
	// Other sources have their own buckets, and Twilio none.
	if s := e.source(t, srcSMSC, body).Status; s != 200 {
		t.Errorf("another source = %d, want 200", s)
	}
	for range 30 {
		if s := e.twilio(t, sampleParams(t, "ordinary")).Status; s != 200 {
			t.Fatalf("twilio = %d, want 200 (never rate limited)", s)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHealth(t *testing.T) {
	e := newEnv(t, envOpt{})
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		r := e.do(t, mustRequest(t, m, e.ts.URL+"/healthz"))
		if r.Status != 200 {
			t.Errorf("%s /healthz = %d, want 200", m, r.Status)
		}
	}
}
