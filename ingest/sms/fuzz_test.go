package sms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"

	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

func FuzzPhoneNormalize(f *testing.F) {
	for _, s := range []string{
		"090-1234-5678", "+81 90 1234 5678", "+81(0)90-1234-5678", "0081-90-1234-5678", "010-1-650-555-1212",
		"０９０－１２３４－５６７８", "＋８１９０１２３４５６７８", "03-1234-5678", "0120-123-456", "Amazon", "12345",
		"", "+", "0", "00", "010", "+0", "090ー1234ー5678", "（03）1234-5678", "+1 (650) 555-1212",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := sms.Normalize(s)
		if !ok {
			if n != "" {
				t.Fatalf("Normalize(%q) = %q, false; want an empty result with false", s, n)
			}
			return
		}
		if !e164.MatchString(n) {
			t.Fatalf("Normalize(%q) = %q, not E.164", s, n)
		}
		if again, ok := sms.Normalize(n); !ok || again != n {
			t.Fatalf("Normalize(Normalize(%q)) = %q, %v; want %q (idempotent)", s, again, ok, n)
		}
	})
}

// fuzzServer is a listener called in-process, without sockets.
func fuzzServer(t testing.TB) (*sms.Server, *fakePub, *clock) {
	t.Helper()
	pub, c := &fakePub{}, newClock(testNow)
	cfg := testConfig(t)
	for i := range cfg.Sources {
		cfg.Sources[i].RateLimit = sms.RateLimit{PerMinute: 1e9, Burst: 1e9}
	}
	srv, err := sms.New(cfg, directory(t), pub, sms.Options{Acks: &fakeAcks{}, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return srv, pub, c
}

// checkPublished checks the messages a fuzzed request published: valid,
// mapped, carrying (part of) the body as their original.
func checkPublished(t *testing.T, pub *fakePub, body []byte) {
	for _, m := range pub.messages() {
		if err := m.Validate(); err != nil {
			t.Fatalf("published an invalid message: %v", err)
		}
		if m.Household != "tanaka" || m.Raw == nil || !bytes.Contains(body, m.Raw.Inline) {
			t.Fatalf("published %+v, want a mapped message carrying its original", m)
		}
	}
}

func FuzzTwilioForm(f *testing.F) {
	for _, name := range []string{"unpaid-bill", "ordinary"} {
		s, _ := smstest.SampleByName(name)
		f.Add([]byte(s.TwilioParams(hanako).Encode()), true)
	}
	f.Add([]byte("MessageSid=SM1&From=%2B818033334444&To=%2B815012340000&Body=OK"), true)
	f.Add([]byte("Body=%zz&&=&To"), true)
	f.Add([]byte("MessageSid=SM1&MessageSid=SM2"), true)
	f.Add([]byte("To=%2B819012345678&From=Amazon&MessageSid=SM%00"), false)
	srv, pub, _ := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		pub.reset()
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/sms/twilio", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sign {
			if params, err := url.ParseQuery(string(body)); err == nil {
				req.Header.Set(sms.HeaderTwilioSignature, smstest.SignTwilio(authToken, publicURL+"/sms/twilio", params))
			}
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 403, 404, 413:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if got := rec.Body.String(); got != `<?xml version="1.0" encoding="UTF-8"?><Response></Response>` || rec.Header().Get("Content-Type") != "text/xml" {
			t.Fatalf("answer %q (%s), want empty TwiML", got, rec.Header().Get("Content-Type"))
		}
		if rec.Code != 200 && len(pub.messages()) != 0 {
			t.Fatalf("status %d but %d messages published", rec.Code, len(pub.messages()))
		}
		checkPublished(t, pub, body)
	})
}

func FuzzInboundJSON(f *testing.F) {
	for _, s := range smstest.Samples() {
		for i, format := range []string{sms.FormatScamscreen, sms.FormatSMSGateway, sms.FormatTemplate} {
			if b, err := s.Payload(format, hanako); err == nil {
				f.Add(b, uint8(i))
			}
		}
	}
	f.Add([]byte(`{"messages":[{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"a","time":1764464000000},{"direction":"out","from":"090-1234-5678","to":"x","body":"b","source_id":"7"}]}`), uint8(0))
	f.Add([]byte(`{"messages":[{},{}],"direction":"in"}`), uint8(0))
	f.Add([]byte(`{"event":"sms:sent","payload":{"message":"m","recipient":"+817011112222"}}`), uint8(1))
	f.Add([]byte(`{"from":1e400,"text":"x","receivedStamp":-1}`), uint8(2))
	f.Add([]byte("\xff\xfe{\"direction\":\"in\"}"), uint8(0))
	sources := []smstest.Source{srcPhone, srcGateway, srcTmpl}
	srv, pub, c := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte, which uint8) {
		pub.reset()
		src := sources[int(which)%len(sources)]
		req, err := smstest.NewSourceRequest(context.Background(), "http://sms.internal", src, body, c.now())
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 404, 413:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		var answer map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil {
			t.Fatalf("answer %q is not JSON", rec.Body.String())
		}
		if rec.Code != 200 {
			if answer["error"] == nil || answer["message"] == nil {
				t.Fatalf("error answer %q lacks error or message", rec.Body.String())
			}
			if len(pub.messages()) != 0 {
				t.Fatalf("status %d but %d messages published", rec.Code, len(pub.messages()))
			}
		}
		checkPublished(t, pub, body)
	})
}
