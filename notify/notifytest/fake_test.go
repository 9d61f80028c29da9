package notifytest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
)

// shape describes a JSON value by its keys and JSON types, recursively
// for objects.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shape(e)
		}
		return out
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func documented(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "twilio", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return shape(v)
}

func call(t *testing.T, method, u string, form url.Values, user, pass string) (int, any) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s Content-Type = %q, want application/json", method, u, ct)
	}
	var v any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, u, err)
	}
	return resp.StatusCode, shape(v)
}

// TestTwilioFakeMatchesDocumentedShapes keeps the fake honest: every answer
// has exactly the fields, nesting and JSON types of the documented ones.
func TestTwilioFakeMatchesDocumentedShapes(t *testing.T) {
	f := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer f.Close()
	base := f.URL() + "/2010-04-01/Accounts/" + notifytest.TwilioAccountSID
	sid, tok := notifytest.TwilioAccountSID, notifytest.TwilioAuthToken

	tests := []struct {
		name       string
		method     string
		url        string
		form       url.Values
		user, pass string
		status     int
		doc        string
	}{
		{"create message", "POST", base + "/Messages.json", url.Values{"To": {"+819011112222"}, "From": {notifytest.TwilioFrom}, "Body": {"テスト"}}, sid, tok, 201, "message_create.json"},
		{"create call", "POST", base + "/Calls.json", url.Values{"To": {"+819011112222"}, "From": {notifytest.TwilioFrom}, "Twiml": {"<Response><Say>テスト</Say></Response>"}}, sid, tok, 201, "call_create.json"},
		{"invalid number", "POST", base + "/Messages.json", url.Values{"To": {"+8112"}, "From": {notifytest.TwilioFrom}, "Body": {"x"}}, sid, tok, 400, "error_21211.json"},
		{"wrong token", "POST", base + "/Messages.json", url.Values{"To": {"+819011112222"}, "From": {notifytest.TwilioFrom}, "Body": {"x"}}, sid, "wrong", 401, "error_20003.json"},
		{"list nothing", "GET", base + "/Messages.json?To=%2B819099999999&PageSize=20", nil, sid, tok, 200, "message_list.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got := call(t, tt.method, tt.url, tt.form, tt.user, tt.pass)
			if status != tt.status {
				t.Errorf("%s status = %d, want %d", tt.name, status, tt.status)
			}
			if d := cmp.Diff(documented(t, tt.doc), got); d != "" {
				t.Errorf("%s answer differs from the documented shape %s (-doc +fake):\n%s", tt.name, tt.doc, d)
			}
		})
	}

	// A list with a message in it: every element is shaped like a created
	// message.
	_, list := call(t, "GET", base+"/Messages.json?To=%2B819011112222&PageSize=20", nil, sid, tok)
	msgs := list.(map[string]any)["messages"]
	if msgs != "array" {
		t.Fatalf("list messages = %v, want an array", msgs)
	}
	resp, err := http.NewRequest("GET", base+"/Messages.json?To=%2B819011112222", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.SetBasicAuth(sid, tok)
	r, err := http.DefaultClient.Do(resp)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	var full struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&full); err != nil || len(full.Messages) != 1 {
		t.Fatalf("list = %+v, %v, want one message", full, err)
	}
	if d := cmp.Diff(documented(t, "message_create.json"), shape(full.Messages[0])); d != "" {
		t.Errorf("listed message differs from the documented shape (-doc +fake):\n%s", d)
	}
}

func TestTwilioFakeRecords(t *testing.T) {
	f := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer f.Close()
	var seen []string
	f.OnCreate(func(m notifytest.TwilioMessage) { seen = append(seen, m.To) })
	base := f.URL() + "/2010-04-01/Accounts/" + notifytest.TwilioAccountSID
	for _, to := range []string{"+819011112222", "+819033334444", "+819011112222"} {
		call(t, "POST", base+"/Messages.json", url.Values{"To": {to}, "From": {notifytest.TwilioFrom}, "Body": {"x"}}, notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	}
	if got := len(f.MessagesTo("+819011112222")); got != 2 {
		t.Errorf("MessagesTo() = %d messages, want 2", got)
	}
	sort.Strings(seen)
	if want := []string{"+819011112222", "+819011112222", "+819033334444"}; !slices.Equal(seen, want) {
		t.Errorf("OnCreate saw %v, want %v", seen, want)
	}
}

func TestMemStore(t *testing.T) {
	s := notifytest.NewMemStore()
	ctx := context.Background()
	if _, _, err := s.GetRecord(ctx, "a"); err != notify.ErrNoRecord {
		t.Errorf("GetRecord(missing) = %v, want ErrNoRecord", err)
	}
	rev, err := s.CreateRecord(ctx, "a", notify.Record{State: notify.StateSending})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRecord(ctx, "a", notify.Record{}); err != notify.ErrRecordExists {
		t.Errorf("CreateRecord(existing) = %v, want ErrRecordExists", err)
	}
	if _, err := s.UpdateRecord(ctx, "a", notify.Record{State: notify.StateSent}, rev+1); err != notify.ErrRecordConflict {
		t.Errorf("UpdateRecord(stale) = %v, want ErrRecordConflict", err)
	}
	if _, err := s.UpdateRecord(ctx, "a", notify.Record{State: notify.StateSent}, rev); err != nil {
		t.Errorf("UpdateRecord(current) = %v", err)
	}
}
