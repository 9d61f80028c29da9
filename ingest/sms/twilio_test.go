package sms_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/twilio/twilio-go/client"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
)

// TestSignTwilioMatchesTwilioGo checks the independent signer against
// twilio-go's RequestValidator on random forms, Japanese text included.
func TestSignTwilioMatchesTwilioGo(t *testing.T) {
	rv := client.NewRequestValidator(authToken)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []rune("abcXYZ019 +-_.&=?%/日本語テスト【】")
	word := func(n int) string {
		r := make([]rune, n)
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(r)
	}
	for i := range 200 {
		params := url.Values{}
		flat := map[string]string{}
		for range rng.IntN(12) {
			k, v := word(1+rng.IntN(8)), word(rng.IntN(40))
			params.Set(k, v)
			flat[k] = v
		}
		u := publicURL + "/sms/twilio"
		if i%2 == 1 {
			u += "?tenant=" + url.QueryEscape(word(5))
		}
		sig := smstest.SignTwilio(authToken, u, params)
		if !rv.Validate(u, flat, sig) {
			t.Fatalf("RequestValidator.Validate(%q, %v, SignTwilio(...)) = false, want true", u, flat)
		}
		if !rv.ValidateBody(u, []byte(params.Encode()), sig) {
			t.Fatalf("RequestValidator.ValidateBody(%q, %q, SignTwilio(...)) = false, want true", u, params.Encode())
		}
	}
}

func TestTwilioInbound(t *testing.T) {
	e := newEnv(t, envOpt{})
	params := sampleParams(t, "unpaid-bill")
	params.Set("SomeFieldTwilioAddsLater", "x") // unknown parameters are signed and tolerated
	wantTwiML(t, e.twilio(t, params), http.StatusOK)

	msgs := e.pub.messages()
	if len(msgs) != 1 {
		t.Fatalf("published %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	s, _ := smstest.SampleByName("unpaid-bill")
	want := &event.Message{
		ID:         event.SMSID("twilio", s.TwilioSID()),
		Channel:    event.ChannelSMS,
		Direction:  event.DirectionIn,
		Household:  "tanaka",
		Person:     "hanako",
		Source:     "twilio",
		ReceivedAt: e.clock.now(),
		From:       event.Address{Addr: stranger},
		To:         []event.Address{{Addr: hanakoE164}},
		Text:       s.Body,
	}
	got := *m
	got.Raw = nil
	if d := cmp.Diff(want, &got); d != "" {
		t.Errorf("published message (-want +got):\n%s", d)
	}
	if m.Raw == nil || string(m.Raw.Inline) != params.Encode() || m.Raw.Type != "application/x-www-form-urlencoded" || m.Raw.Size != int64(len(params.Encode())) || len(m.Raw.SHA256) != 64 {
		t.Errorf("Raw = %+v, want the form body as received", m.Raw)
	}

	// Twilio retrying the same MessageSid is a duplicate: 200 again, stored once.
	wantTwiML(t, e.twilio(t, params), http.StatusOK)
	if n := len(e.pub.messages()); n != 1 {
		t.Errorf("after a retry %d messages are stored, want 1", n)
	}
}

// TestTwilioSignatureRejected covers forged, re-ordered and wrongly
// addressed signatures.
func TestTwilioSignatureRejected(t *testing.T) {
	e := newEnv(t, envOpt{})
	params := sampleParams(t, "unpaid-bill")
	post := func(t *testing.T, sig string, body string, path string) *smstest.Response {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, e.ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			req.Header.Set(sms.HeaderTwilioSignature, sig)
		}
		return e.do(t, req)
	}
	good := smstest.SignTwilio(authToken, publicURL+"/sms/twilio", params)

	// Signed in the order of the form instead of sorted by name.
	var unsorted strings.Builder
	unsorted.WriteString(publicURL + "/sms/twilio")
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(keys)))
	for _, k := range keys {
		unsorted.WriteString(k + params.Get(k))
	}
	reordered := smstest.SignTwilio(authToken, unsorted.String(), nil)

	tampered := url.Values{}
	for k, v := range params {
		tampered[k] = slices.Clone(v)
	}
	tampered.Set("Body", "書き換えた本文")

	for _, tc := range []struct {
		name, sig, body, path string
	}{
		{"valid", good, params.Encode(), "/sms/twilio"},
		{"no signature", "", params.Encode(), "/sms/twilio"},
		{"forged with another token", smstest.SignTwilio("0000000000000000000000000000000a", publicURL+"/sms/twilio", params), params.Encode(), "/sms/twilio"},
		{"garbage", "bm90IGEgc2lnbmF0dXJl", params.Encode(), "/sms/twilio"},
		{"re-ordered parameters", reordered, params.Encode(), "/sms/twilio"},
		{"tampered body", good, tampered.Encode(), "/sms/twilio"},
		{"signed for http", smstest.SignTwilio(authToken, "http://sms.example.jp/sms/twilio", params), params.Encode(), "/sms/twilio"},
		{"signed for the internal address", smstest.SignTwilio(authToken, e.ts.URL+"/sms/twilio", params), params.Encode(), "/sms/twilio"},
		{"query dropped from the signed URL", good, params.Encode(), "/sms/twilio?tenant=a"},
		{"signed with the query", smstest.SignTwilio(authToken, publicURL+"/sms/twilio?tenant=a", params), params.Encode(), "/sms/twilio?tenant=a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := post(t, tc.sig, tc.body, tc.path)
			want := http.StatusForbidden
			if tc.name == "valid" || tc.name == "signed with the query" {
				want = http.StatusOK
			}
			wantTwiML(t, r, want)
		})
	}
	if n := len(e.pub.messages()); n != 1 {
		t.Errorf("%d messages published, want 1 (only the valid request)", n)
	}
}

// TestTwilioBehindProxy: the proxy adds a path prefix, which only the
// configured public URL knows.
func TestTwilioBehindProxy(t *testing.T) {
	e := newEnv(t, envOpt{cfg: func(c *sms.Config) { c.PublicURL = "https://example.jp/scamscreen/" }})
	params := sampleParams(t, "ordinary")
	req, err := smstest.NewTwilioRequest(context.Background(), e.ts.URL, "https://example.jp/scamscreen", authToken, params)
	if err != nil {
		t.Fatal(err)
	}
	wantTwiML(t, e.do(t, req), http.StatusOK)
	// Signed for the URL without the prefix: the proxy's view wins.
	req, _ = smstest.NewTwilioRequest(context.Background(), e.ts.URL, "https://example.jp", authToken, params)
	wantTwiML(t, e.do(t, req), http.StatusForbidden)
}

func TestTwilioRepeatedParameter(t *testing.T) {
	e := newEnv(t, envOpt{})
	params := sampleParams(t, "ordinary")
	params.Add("Body", "second value the validator would not see")
	wantTwiML(t, e.twilio(t, params), http.StatusBadRequest)
	if n := len(e.pub.messages()); n != 0 {
		t.Errorf("%d messages published, want 0", n)
	}
}

func TestTwilioUnknownNumber(t *testing.T) {
	e := newEnv(t, envOpt{})
	for _, to := range []string{"+819000000000", "12345", "Amazon"} {
		params := sampleParams(t, "ordinary")
		params.Set("To", to)
		wantTwiML(t, e.twilio(t, params), http.StatusNotFound)
	}
	params := sampleParams(t, "ordinary")
	params.Del("To")
	wantTwiML(t, e.twilio(t, params), http.StatusBadRequest)
	if n := len(e.pub.messages()); n != 0 {
		t.Errorf("%d messages published for unknown numbers, want 0", n)
	}
	if got := counter(t, e.reg, "scamscreen_sms_unknown_numbers_total", map[string]string{"endpoint": "twilio"}); got != 3 {
		t.Errorf("unknown_numbers_total = %v, want 3", got)
	}
}

func TestTwilioMissingSid(t *testing.T) {
	e := newEnv(t, envOpt{})
	params := sampleParams(t, "ordinary")
	params.Del("MessageSid")
	params.Del("SmsSid")
	wantTwiML(t, e.twilio(t, params), http.StatusBadRequest)
	params.Set("SmsSid", "SMlegacy0001") // older webhooks carry only SmsSid
	wantTwiML(t, e.twilio(t, params), http.StatusOK)
	if m := e.pub.messages(); len(m) != 1 || m[0].ID != event.SMSID("twilio", "SMlegacy0001") {
		t.Errorf("published %v, want one message with the SmsSid's id", m)
	}
}

// TestTwilioAcknowledgement: a trusted contact's reply to the Twilio number
// acknowledges the alerts of every person they watch over.
func TestTwilioAcknowledgement(t *testing.T) {
	e := newEnv(t, envOpt{})
	params := url.Values{
		"MessageSid": {"SMack000000000000000000000000001"},
		"AccountSid": {smstest.TwilioAccountSID},
		"From":       {sonE164},
		"To":         {"+815012340000"}, // the Twilio number notify sends from
		"Body":       {"わかった、すぐ電話する"},
		"NumMedia":   {"0"},
	}
	wantTwiML(t, e.twilio(t, params), http.StatusOK)
	if n := len(e.pub.messages()); n != 0 {
		t.Errorf("a contact's reply was published as %d messages, want 0", n)
	}
	at := e.clock.now().UTC()
	var want []*event.Alert
	for _, p := range []string{"hanako", "jiro"} {
		want = append(want, &event.Alert{
			V:             event.Version,
			ID:            event.StableID(event.PrefixAlert, "ack", "twilio", "SMack000000000000000000000000001", "tanaka", p, "ichiro"),
			Household:     "tanaka",
			Person:        p,
			Recipient:     "ichiro",
			RecipientKind: event.RecipientContact,
			Channel:       "sms",
			Status:        event.AlertAcknowledged,
			ProviderID:    "SMack000000000000000000000000001",
			At:            at,
		})
	}
	if d := cmp.Diff(want, e.acks.list()); d != "" {
		t.Errorf("acknowledgements (-want +got):\n%s", d)
	}
	for _, a := range want {
		if _, err := event.AlertAckSubject(a.Household, a.Person); err != nil {
			t.Errorf("AlertAckSubject(%s, %s) = %v", a.Household, a.Person, err)
		}
	}

	// Publishing the acknowledgement fails: 503, nothing else.
	e.acks.err = context.DeadlineExceeded
	params.Set("MessageSid", "SMack000000000000000000000000002")
	r := e.twilio(t, params)
	wantTwiML(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}

	// A contact writing to a protected person's number is an ordinary
	// incoming message of that person.
	params.Set("To", hanakoE164)
	params.Set("MessageSid", "SMack000000000000000000000000003")
	wantTwiML(t, e.twilio(t, params), http.StatusOK)
	if m := e.pub.messages(); len(m) != 1 || m[0].Person != "hanako" || m[0].From.Addr != sonE164 {
		t.Errorf("published %+v, want hanako's incoming message from her son", m)
	}
}

func TestTwilioDisabled(t *testing.T) {
	e := newEnv(t, envOpt{cfg: func(c *sms.Config) { c.Twilio = sms.TwilioConfig{}; c.PublicURL = "" }})
	wantTwiML(t, e.twilio(t, sampleParams(t, "ordinary")), http.StatusNotFound)
}

func TestTwilioTimeIsArrival(t *testing.T) {
	e := newEnv(t, envOpt{})
	e.clock.set(time.Date(2026, 12, 1, 0, 0, 0, 0, time.FixedZone("JST", 9*3600)))
	wantTwiML(t, e.twilio(t, sampleParams(t, "ordinary")), http.StatusOK)
	if m := e.pub.messages(); len(m) != 1 || !m[0].ReceivedAt.Equal(e.clock.now()) || m[0].ReceivedAt.Location() != time.UTC {
		t.Errorf("ReceivedAt = %v, want the arrival time %v in UTC", m[0].ReceivedAt, e.clock.now())
	}
}
