package sms_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
)

func TestInboundSingle(t *testing.T) {
	e := newEnv(t, envOpt{})
	body := []byte(`{"direction":"out","from":"090-1234-5678","to":"+818072639154","body":"番号です AQ4T-7VNT3K-M8PRW","time":"2026-11-30T14:48:15+09:00","source_id":"4711"}`)
	ok := decodeOK(t, e.source(t, srcPhone, body))
	wantID := event.SMSID("phone", "4711")
	if len(ok.Messages) != 1 || ok.Messages[0].ID != wantID || ok.Messages[0].Duplicate || ok.Status != "ok" {
		t.Errorf("answer = %+v, want one new message %s", ok, wantID)
	}
	msgs := e.pub.messages()
	if len(msgs) != 1 {
		t.Fatalf("published %d, want 1", len(msgs))
	}
	got := *msgs[0]
	want := event.Message{
		ID: wantID, Channel: event.ChannelSMS, Direction: event.DirectionOut,
		Household: "tanaka", Person: "hanako", Source: "forwarder:phone",
		ReceivedAt: time.Date(2026, 11, 30, 5, 48, 15, 0, time.UTC),
		From:       event.Address{Addr: hanakoE164},
		To:         []event.Address{{Addr: "+818072639154"}},
		Text:       "番号です AQ4T-7VNT3K-M8PRW",
		Raw:        got.Raw,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("message (-want +got):\n%s", d)
	}
	if string(got.Raw.Inline) != string(body) || got.Raw.Type != "application/json" {
		t.Errorf("Raw = %q %s, want the body as received", got.Raw.Inline, got.Raw.Type)
	}
	// The same request again is a duplicate, and says so.
	ok = decodeOK(t, e.source(t, srcPhone, body))
	if len(ok.Messages) != 1 || !ok.Messages[0].Duplicate {
		t.Errorf("repeat answer = %+v, want a duplicate", ok)
	}
}

func TestInboundBatch(t *testing.T) {
	e := newEnv(t, envOpt{})
	body := []byte(`{"messages":[
		{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"至急ご連絡ください","time":1764464000000},
		{"direction":"in","from":"Amazon","to":"+818098765432","body":"ご注文を承りました","time":"1764464001000","source_id":"b2"},
		{"direction":"out","from":"+819012345678","to":"070-1111-2222","body":"はい"}
	]}`)
	ok := decodeOK(t, e.source(t, srcSMSC, body))
	if len(ok.Messages) != 3 {
		t.Fatalf("answer = %+v, want 3 messages", ok)
	}
	msgs := e.pub.messages()
	if len(msgs) != 3 {
		t.Fatalf("published %d, want 3", len(msgs))
	}
	type brief struct {
		Person, From, To string
		Dir              event.Direction
		At               time.Time
	}
	var got []brief
	for _, m := range msgs {
		got = append(got, brief{m.Person, m.From.Addr, m.To[0].Addr, m.Direction, m.ReceivedAt})
	}
	want := []brief{
		{"hanako", stranger, hanakoE164, event.DirectionIn, time.UnixMilli(1764464000000).UTC()},
		{"jiro", "Amazon", jiro, event.DirectionIn, time.UnixMilli(1764464001000).UTC()},
		{"hanako", hanakoE164, "+817011112222", event.DirectionOut, e.clock.now().UTC()},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("batch (-want +got):\n%s", d)
	}
	if msgs[1].ID != event.SMSID("smsc", "b2") {
		t.Errorf("ID with source_id = %s, want %s", msgs[1].ID, event.SMSID("smsc", "b2"))
	}
	// Each message of a batch keeps its own JSON as the original.
	if !strings.HasPrefix(string(msgs[1].Raw.Inline), `{"direction":"in","from":"Amazon"`) {
		t.Errorf("Raw of item 1 = %q, want the item's JSON", msgs[1].Raw.Inline)
	}

	// All or nothing: one unknown number rejects the batch with its index.
	bad := []byte(`{"messages":[
		{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"別の本文"},
		{"direction":"in","from":"+815031842976","to":"090-0000-0000","body":"誰のでもない番号"}]}`)
	r := e.source(t, srcSMSC, bad)
	je := decodeError(t, r)
	if r.Status != http.StatusNotFound || je.Error != "unknown_number" || je.Index == nil || *je.Index != 1 {
		t.Errorf("answer = %d %+v, want 404 unknown_number at index 1", r.Status, je)
	}
	if n := len(e.pub.messages()); n != 3 {
		t.Errorf("%d messages after a rejected batch, want 3", n)
	}
}

func TestInboundDerivedIDs(t *testing.T) {
	e := newEnv(t, envOpt{})
	post := func(from, to, body, tm string) string {
		t.Helper()
		b := mustJSON(t, map[string]any{"direction": "in", "from": from, "to": to, "body": body, "time": tm})
		ok := decodeOK(t, e.source(t, srcSMSC, b))
		return ok.Messages[0].ID
	}
	a := post("+815031842976", hanako, "本文", "2026-11-30T09:00:00+09:00")
	if b := post("050-3184-2976", "+81 90 1234 5678", "本文", "2026-11-30T00:00:00Z"); b != a {
		t.Errorf("the same SMS written differently got ids %s and %s, want one", a, b)
	}
	for _, c := range [][3]string{
		{"+815031842976", "本文", "2026-11-30T09:00:01+09:00"},
		{"+815031842977", "本文", "2026-11-30T09:00:00+09:00"},
		{"+815031842976", "本文。", "2026-11-30T09:00:00+09:00"},
	} {
		if id := post(c[0], hanako, c[1], c[2]); id == a {
			t.Errorf("SMS %v got the id of a different one", c)
		}
	}
}

func TestInboundAuth(t *testing.T) {
	body := []byte(`{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"テスト"}`)
	for _, tc := range []struct {
		name   string
		mod    func(*http.Request, time.Time)
		status int
		reason string
	}{
		{"valid", func(*http.Request, time.Time) {}, 200, ""},
		{"no signature", func(r *http.Request, _ time.Time) { r.Header.Del(sms.HeaderScamscreenSignature) }, 403, "bad_signature"},
		{"no timestamp", func(r *http.Request, _ time.Time) { r.Header.Del(sms.HeaderScamscreenTimestamp) }, 403, "bad_signature"},
		{"not hex", func(r *http.Request, _ time.Time) { r.Header.Set(sms.HeaderScamscreenSignature, "zz") }, 403, "bad_signature"},
		{"sha256= prefix", func(r *http.Request, _ time.Time) {
			r.Header.Set(sms.HeaderScamscreenSignature, "sha256="+r.Header.Get(sms.HeaderScamscreenSignature))
		}, 200, ""},
		{"wrong secret", func(r *http.Request, now time.Time) {
			sig, _ := smstest.SignScamscreen("another secret", body, now)
			r.Header.Set(sms.HeaderScamscreenSignature, sig)
		}, 403, "bad_signature"},
		{"timestamp changed", func(r *http.Request, now time.Time) {
			_, ts := smstest.SignScamscreen(hmacSecret, body, now.Add(time.Second))
			r.Header.Set(sms.HeaderScamscreenTimestamp, ts)
		}, 403, "bad_signature"},
		{"stale", func(r *http.Request, now time.Time) {
			sig, ts := smstest.SignScamscreen(hmacSecret, body, now.Add(-6*time.Minute))
			r.Header.Set(sms.HeaderScamscreenSignature, sig)
			r.Header.Set(sms.HeaderScamscreenTimestamp, ts)
		}, 403, "stale_timestamp"},
		{"from the future", func(r *http.Request, now time.Time) {
			sig, ts := smstest.SignScamscreen(hmacSecret, body, now.Add(6*time.Minute))
			r.Header.Set(sms.HeaderScamscreenSignature, sig)
			r.Header.Set(sms.HeaderScamscreenTimestamp, ts)
		}, 403, "stale_timestamp"},
		{"inside the window", func(r *http.Request, now time.Time) {
			sig, ts := smstest.SignScamscreen(hmacSecret, body, now.Add(-4*time.Minute))
			r.Header.Set(sms.HeaderScamscreenSignature, sig)
			r.Header.Set(sms.HeaderScamscreenTimestamp, ts)
		}, 200, ""},
		{"negative timestamp", func(r *http.Request, _ time.Time) {
			r.Header.Set(sms.HeaderScamscreenTimestamp, "-9223372036854775808")
		}, 403, "stale_timestamp"},
		{"huge timestamp", func(r *http.Request, _ time.Time) {
			r.Header.Set(sms.HeaderScamscreenTimestamp, "9223372036854775807")
		}, 403, "stale_timestamp"},
		{"signed by the SMS Gateway scheme", func(r *http.Request, now time.Time) {
			sig, _ := smstest.SignSMSGateway(hmacSecret, body, now)
			r.Header.Set(sms.HeaderScamscreenSignature, sig)
		}, 403, "bad_signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOpt{})
			now := e.clock.now()
			req, err := smstest.NewSourceRequest(context.Background(), e.ts.URL, srcPhone, body, now)
			if err != nil {
				t.Fatal(err)
			}
			tc.mod(req, now)
			r := e.do(t, req)
			if r.Status != tc.status {
				t.Fatalf("status = %d (%s), want %d", r.Status, r.Body, tc.status)
			}
			if tc.reason != "" {
				if je := decodeError(t, r); je.Error != tc.reason {
					t.Errorf("reason = %q, want %q", je.Error, tc.reason)
				}
				if n := len(e.pub.messages()); n != 0 {
					t.Errorf("%d messages published, want 0", n)
				}
			}
		})
	}
}

func TestInboundBearer(t *testing.T) {
	e := newEnv(t, envOpt{})
	body := []byte(`{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"テスト"}`)
	for _, tc := range []struct {
		header string
		status int
	}{
		{"Bearer " + bearerToken, 200},
		{"bearer " + bearerToken, 200},
		{"Bearer " + bearerToken + "x", 403},
		{"Bearer", 403},
		{"Basic " + bearerToken, 403},
		{"", 403},
	} {
		req, _ := smstest.NewSourceRequest(context.Background(), e.ts.URL, srcSMSC, body, e.clock.now())
		req.Header.Set("Authorization", tc.header)
		if r := e.do(t, req); r.Status != tc.status {
			t.Errorf("Authorization %q: status = %d, want %d", tc.header, r.Status, tc.status)
		}
	}
}

// TestInboundSourceSelection: by path, by header, or the only source.
func TestInboundSourceSelection(t *testing.T) {
	body := []byte(`{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"テスト"}`)
	e := newEnv(t, envOpt{})
	post := func(path, header string) int {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(string(body)))
		smstest.Authenticate(req, srcSMSC, body, e.clock.now())
		if header != "" {
			req.Header.Set(sms.HeaderSource, header)
		}
		return e.do(t, req).Status
	}
	for _, tc := range []struct {
		path, header string
		want         int
	}{
		{"/sms/inbound/smsc", "", 200},
		{"/sms/inbound", "smsc", 200},
		{"/sms/inbound", "", 404},        // four sources: which?
		{"/sms/inbound/nosuch", "", 404}, // unknown source
		{"/sms/inbound/phone", "", 403},  // a bearer token is no HMAC signature
	} {
		if got := post(tc.path, tc.header); got != tc.want {
			t.Errorf("POST %s (source header %q) = %d, want %d", tc.path, tc.header, got, tc.want)
		}
	}

	one := newEnv(t, envOpt{cfg: func(c *sms.Config) { c.Sources = c.Sources[1:2] }})
	req, _ := http.NewRequest(http.MethodPost, one.ts.URL+"/sms/inbound", strings.NewReader(string(body)))
	smstest.Authenticate(req, srcSMSC, body, one.clock.now())
	if r := one.do(t, req); r.Status != 200 {
		t.Errorf("POST /sms/inbound with a single source = %d (%s), want 200", r.Status, r.Body)
	}
}

func TestSMSGateway(t *testing.T) {
	e := newEnv(t, envOpt{})
	s, _ := smstest.SampleByName("account-lock")
	body, err := s.Payload(sms.FormatSMSGateway, hanako)
	if err != nil {
		t.Fatal(err)
	}
	ok := decodeOK(t, e.source(t, srcGateway, body))
	msgs := e.pub.messages()
	if len(ok.Messages) != 1 || len(msgs) != 1 {
		t.Fatalf("answer %+v, published %d; want one message", ok, len(msgs))
	}
	m := msgs[0]
	if m.Person != "hanako" || m.Direction != event.DirectionIn || m.From.Addr != "Amazon" || m.Text != s.Body ||
		!m.ReceivedAt.Equal(s.At) || m.Source != "forwarder:gateway" {
		t.Errorf("message = %+v, want the sample for hanako", m)
	}
	want := event.StableID(event.PrefixSMS, "in", "Amazon", hanakoE164, s.At.UTC().Format(time.RFC3339Nano), s.Body)
	if m.ID != want {
		t.Errorf("ID = %s, want %s (derived: messageId is not unique)", m.ID, want)
	}

	for _, tc := range []struct {
		name   string
		body   string
		status int
		person string
		dir    event.Direction
	}{
		{"recipient null uses device_number",
			`{"event":"sms:received","payload":{"messageId":"x","message":"やあ","sender":"+817011112222","recipient":null,"receivedAt":"2026-11-30T10:00:00.000+09:00"}}`,
			200, "hanako", event.DirectionIn},
		{"pre-2026 payload with phoneNumber only",
			`{"event":"sms:received","payload":{"messageId":"x","message":"やあ2","phoneNumber":"+817011112222","receivedAt":"2026-11-30T10:00:00.000+09:00"}}`,
			200, "hanako", event.DirectionIn},
		// The gateway runs on hanako's phone: it cannot speak for jiro.
		{"recipient names another person",
			`{"event":"sms:received","payload":{"message":"やあ3","sender":"+817011112222","recipient":"+818098765432"}}`,
			404, "", ""},
		{"sent with text is outgoing",
			`{"event":"sms:sent","payload":{"message":"わかりました","sender":null,"recipient":"+817011112222","sentAt":"2026-11-30T10:00:00.000+09:00"}}`,
			200, "hanako", event.DirectionOut},
		{"sent without text is ignored", `{"event":"sms:sent","payload":{"messageId":"x","phoneNumber":"+817011112222"}}`, 200, "", ""},
		{"ping is ignored", `{"event":"system:ping","payload":{"health":{}}}`, 200, "", ""},
		{"delivery report is ignored", `{"event":"sms:delivered","payload":{"messageId":"x"}}`, 200, "", ""},
		{"unknown event is ignored", `{"event":"sms:teleported","payload":{}}`, 200, "", ""},
		{"no event", `{"payload":{}}`, 400, "", ""},
		{"received without message", `{"event":"sms:received","payload":{"sender":"+817011112222"}}`, 400, "", ""},
		{"bad time", `{"event":"sms:received","payload":{"message":"a","sender":"+817011112222","receivedAt":"yesterday"}}`, 400, "", ""},
		{"payload not an object", `{"event":"sms:received","payload":[1]}`, 400, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.pub.messages())
			r := e.source(t, srcGateway, []byte(tc.body))
			if r.Status != tc.status {
				t.Fatalf("status = %d (%s), want %d", r.Status, r.Body, tc.status)
			}
			msgs := e.pub.messages()
			if tc.person == "" {
				if len(msgs) != before {
					t.Errorf("published %d, want nothing", len(msgs)-before)
				}
				return
			}
			if len(msgs) != before+1 {
				t.Fatalf("published %d, want 1", len(msgs)-before)
			}
			if m := msgs[before]; m.Person != tc.person || m.Direction != tc.dir {
				t.Errorf("message for %s %s, want %s %s", m.Person, m.Direction, tc.person, tc.dir)
			}
		})
	}
}

func TestSMSGatewaySignature(t *testing.T) {
	e := newEnv(t, envOpt{})
	body := []byte(`{"event":"sms:received","payload":{"message":"やあ","sender":"+817011112222"}}`)
	req, _ := smstest.NewSourceRequest(context.Background(), e.ts.URL, srcGateway, body, e.clock.now().Add(-10*time.Minute))
	if r := e.do(t, req); r.Status != http.StatusForbidden || decodeError(t, r).Error != "stale_timestamp" {
		t.Errorf("stale SMS Gateway request = %d %s, want 403 stale_timestamp", r.Status, r.Body)
	}
	// Signed with our scheme instead of body+timestamp.
	req, _ = smstest.NewSourceRequest(context.Background(), e.ts.URL, srcGateway, body, e.clock.now())
	sig, _ := smstest.SignScamscreen(hmacSecret, body, e.clock.now())
	req.Header.Set(sms.HeaderSMSGatewaySignature, sig)
	if r := e.do(t, req); r.Status != http.StatusForbidden {
		t.Errorf("wrong scheme = %d, want 403", r.Status)
	}
}

func TestTemplate(t *testing.T) {
	e := newEnv(t, envOpt{})
	s, _ := smstest.SampleByName("relative-new-number")
	body, err := s.Payload(sms.FormatTemplate, hanako)
	if err != nil {
		t.Fatal(err)
	}
	decodeOK(t, e.source(t, srcTmpl, body))
	msgs := e.pub.messages()
	if len(msgs) != 1 {
		t.Fatalf("published %d, want 1", len(msgs))
	}
	if m := msgs[0]; m.Person != "hanako" || m.From.Addr != "+818072639154" || m.To[0].Addr != hanakoE164 ||
		!m.ReceivedAt.Equal(s.At) || m.Text != s.Body || m.Source != "forwarder:forwarder" {
		t.Errorf("message = %+v, want the sample", m)
	}
	if _, err := s.Payload(sms.FormatTemplate, hanako); err != nil {
		t.Fatal(err)
	}
	code, _ := smstest.SampleByName("code-handover")
	if _, err := code.Payload(sms.FormatTemplate, hanako); err == nil {
		t.Error("an outgoing sample in template format: no error, want ErrFormat")
	}

	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"numbers as strings", `{"from":"+817011112222","text":"こんにちは","receivedStamp":"1796029000000","sim":"sim1"}`, 200},
		// The body alone is signed: its time is what refuses a replay.
		{"no time", `{"from":"+817011112222","text":"こんにちは2"}`, 403},
		{"a month old", `{"from":"+817011112222","text":"こんにちは3","receivedStamp":1793437200000}`, 403},
		{"two days ahead", `{"from":"+817011112222","text":"こんにちは4","receivedStamp":1796205600000}`, 403},
		{"no text", `{"from":"+817011112222"}`, 400},
		{"no sender", `{"text":"差出人なし"}`, 400},
		{"text not a string", `{"from":"+817011112222","text":{"a":1}}`, 400},
		{"bad time", `{"from":"+817011112222","text":"x","receivedStamp":12}`, 400},
		{"not an object", `["from"]`, 400},
		{"trailing data", `{"from":"+817011112222","text":"x"} {}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.source(t, srcTmpl, []byte(tc.body)); r.Status != tc.status {
				t.Errorf("status = %d (%s), want %d", r.Status, r.Body, tc.status)
			}
		})
	}
}

// TestTemplateMapping: nested fields, an id field, outgoing direction.
func TestTemplateMapping(t *testing.T) {
	e := newEnv(t, envOpt{cfg: func(c *sms.Config) {
		c.Sources[3].Template = sms.TemplateConfig{Direction: "out", To: "msg.to", Text: "msg.body", Time: "msg.at", ID: "msg.n"}
	}})
	body := []byte(`{"msg":{"to":"070-1111-2222","body":"番号です AQ4T-7VNT3K-M8PRW","at":"2026-11-30T12:00:00+09:00","n":17}}`)
	decodeOK(t, e.source(t, srcTmpl, body))
	msgs := e.pub.messages()
	if len(msgs) != 1 {
		t.Fatalf("published %d, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Direction != event.DirectionOut || m.From.Addr != hanakoE164 || m.To[0].Addr != "+817011112222" || m.ID != event.SMSID("forwarder", "17") {
		t.Errorf("message = %+v, want hanako's outgoing SMS with id from msg.n", m)
	}
}

// TestForgedRequestsDoNotSpendRateLimit: source names are in the URL, so
// unsigned requests must not use up the genuine forwarder's tokens.
func TestForgedRequestsDoNotSpendRateLimit(t *testing.T) {
	e := newEnv(t, envOpt{})
	for range sms.DefaultBurst + 5 {
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/sms/inbound/"+srcPhone.Name, strings.NewReader("{}"))
		if r := e.do(t, req); r.Status != http.StatusForbidden {
			t.Fatalf("unsigned request = %d, want 403", r.Status)
		}
	}
	body := []byte(`{"direction":"in","from":"+815031842976","to":"090-1234-5678","body":"x","source_id":"r1"}`)
	if r := e.source(t, srcPhone, body); r.Status != http.StatusOK {
		t.Fatalf("genuine request after forged ones = %d (%s), want 200", r.Status, r.Body)
	}
}
