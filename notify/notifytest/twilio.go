package notifytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/template"
)

// Test credentials for the fake Twilio: letters and digits only, as
// twilio-go insists.
const (
	TwilioAccountSID = "AC0123456789abcdef0123456789abcdef"
	TwilioAuthToken  = "f00dcafe0123456789abcdef01234567"
	TwilioFrom       = "+815012345678"
)

// TwilioMode is how the fake answers create requests.
type TwilioMode int

// Modes.
const (
	// TwilioAccept creates the message or call (201).
	TwilioAccept TwilioMode = iota
	// TwilioInvalidNumber refuses every To with 21211 (400).
	TwilioInvalidNumber
	// TwilioUnsubscribed refuses with 21610 (400): the recipient sent STOP.
	TwilioUnsubscribed
	// TwilioAuthFail answers 20003 (401) whatever the credentials.
	TwilioAuthFail
	// TwilioRateLimit answers 20429 (429) with Retry-After: 7.
	TwilioRateLimit
	// TwilioUnavailable answers 20503 (503).
	TwilioUnavailable
	// TwilioServerError answers 20500 (500) with a body that is not JSON.
	TwilioServerError
	// TwilioHang never answers until the request is abandoned or the fake
	// closes.
	TwilioHang
	// TwilioAcceptSlow creates the message, then waits for the request to
	// be abandoned before answering: the message exists, the caller does
	// not know.
	TwilioAcceptSlow
)

// TwilioRequest is one request the fake received.
type TwilioRequest struct {
	At       time.Time
	Method   string
	Path     string
	User     string // basic auth user (the account SID)
	AuthOK   bool
	Form     url.Values
	Query    url.Values
	Resource string // "Messages" or "Calls"
}

// TwilioMessage is a created message as the fake keeps it.
type TwilioMessage struct {
	SID, To, From, MessagingServiceSID, Body, StatusCallback string
	Created                                                  time.Time
}

// TwilioCall is a created call.
type TwilioCall struct {
	SID, To, From, Twiml string
	Created              time.Time
}

// TwilioFake is a local HTTP server that speaks the parts of Twilio's REST
// API the twilio channel uses: POST and GET /2010-04-01/Accounts/{sid}/
// Messages.json and Calls.json, with Basic authentication by account SID
// and auth token, form-encoded parameters, JSON answers and Twilio's error
// bodies ({"code", "message", "more_info", "status"}). It is safe for
// concurrent use.
type TwilioFake struct {
	srv   *httptest.Server
	sid   string
	token string

	mu       sync.Mutex
	mode     TwilioMode
	requests []TwilioRequest
	messages []TwilioMessage
	calls    []TwilioCall
	onCreate func(m TwilioMessage)
	closing  chan struct{}
	closed   bool
	now      func() time.Time
}

// NewTwilioFake starts a fake for account sid with token on 127.0.0.1.
// Close it when done.
func NewTwilioFake(sid, token string) *TwilioFake {
	f := &TwilioFake{sid: sid, token: token, closing: make(chan struct{}), now: time.Now}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// Config returns a notify.TwilioConfig that reaches the fake: its URL as
// api_base_url, [TwilioFrom] as sender, and the fake's credentials written
// to files in dir (a secret is only ever read from a file or the
// environment). The demo wires Twilio with it; defaults are applied.
func (f *TwilioFake) Config(dir string) (notify.TwilioConfig, error) {
	write := func(name, value string) (config.Secret, error) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
			return config.Secret{}, fmt.Errorf("fake twilio %s: %w", name, err)
		}
		return config.SecretFromFile(p), nil
	}
	cfg := notify.DefaultConfig().Twilio
	var err error
	if cfg.AccountSID, err = write("twilio_account_sid", f.sid); err != nil {
		return cfg, err
	}
	if cfg.AuthToken, err = write("twilio_auth_token", f.token); err != nil {
		return cfg, err
	}
	cfg.From = TwilioFrom
	cfg.APIBaseURL = f.URL()
	return cfg, nil
}

// URL is the base URL to give the twilio channel (twilio.WithBaseURL, or
// notify.TwilioConfig.APIBaseURL).
func (f *TwilioFake) URL() string { return f.srv.URL }

// Close stops the server, releasing hanging requests.
func (f *TwilioFake) Close() {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.closing)
	}
	f.mu.Unlock()
	f.srv.Close()
}

// SetMode sets how create requests are answered from now on.
func (f *TwilioFake) SetMode(m TwilioMode) {
	f.mu.Lock()
	f.mode = m
	f.mu.Unlock()
}

// OnCreate sets a function called (outside the fake's lock) whenever a
// message is created; the benchmark timestamps arrivals with it.
func (f *TwilioFake) OnCreate(fn func(m TwilioMessage)) {
	f.mu.Lock()
	f.onCreate = fn
	f.mu.Unlock()
}

// Requests returns every request received.
func (f *TwilioFake) Requests() []TwilioRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// Messages returns the created messages, oldest first.
func (f *TwilioFake) Messages() []TwilioMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.messages)
}

// MessagesTo returns the created messages to number.
func (f *TwilioFake) MessagesTo(number string) []TwilioMessage {
	var out []TwilioMessage
	for _, m := range f.Messages() {
		if m.To == number {
			out = append(out, m)
		}
	}
	return out
}

// Calls returns the created calls, oldest first.
func (f *TwilioFake) Calls() []TwilioCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

var twilioPath = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/(Messages|Calls)\.json$`)

func newSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// rfc2822 is how Twilio writes dates.
const rfc2822 = "Mon, 02 Jan 2006 15:04:05 -0700"

func (f *TwilioFake) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// TwilioError is the body of a Twilio error answer.
type TwilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func (f *TwilioFake) fail(w http.ResponseWriter, status, code int, msg string) {
	f.writeJSON(w, status, TwilioError{Code: code, Message: msg, MoreInfo: "https://www.twilio.com/docs/errors/" + strconv.Itoa(code), Status: status})
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func (f *TwilioFake) serve(w http.ResponseWriter, r *http.Request) {
	m := twilioPath.FindStringSubmatch(r.URL.Path)
	user, pass, hasAuth := r.BasicAuth()
	req := TwilioRequest{At: f.now(), Method: r.Method, Path: r.URL.Path, User: user, Query: r.URL.Query()}
	req.AuthOK = hasAuth && user == f.sid && pass == f.token
	if m != nil {
		req.Resource = m[2]
	}
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		req.Form = r.PostForm
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	mode := f.mode
	f.mu.Unlock()

	switch {
	case m == nil:
		f.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	case !req.AuthOK || mode == TwilioAuthFail:
		f.fail(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	case m[1] != f.sid:
		f.fail(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	switch r.Method {
	case http.MethodGet:
		f.list(w, r, m[2])
		return
	case http.MethodPost:
	default:
		f.fail(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}

	switch mode {
	case TwilioRateLimit:
		w.Header().Set("Retry-After", "7")
		f.fail(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
		return
	case TwilioUnavailable:
		f.fail(w, http.StatusServiceUnavailable, 20503, "Service Unavailable")
		return
	case TwilioServerError:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprint(w, "<html><body>Internal Server Error</body></html>")
		return
	case TwilioHang:
		f.hang(r.Context())
		return
	}

	to := req.Form.Get("To")
	switch {
	case to == "":
		f.fail(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(to) || mode == TwilioInvalidNumber:
		f.fail(w, http.StatusBadRequest, 21211, "The 'To' number "+to+" is not a valid phone number.")
		return
	case mode == TwilioUnsubscribed:
		f.fail(w, http.StatusBadRequest, 21610, "Attempt to send to unsubscribed recipient")
		return
	}
	if m[2] == "Calls" {
		f.createCall(w, r, req, mode)
		return
	}
	f.createMessage(w, r, req, mode)
}

func (f *TwilioFake) hang(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-f.closing:
	}
}

func (f *TwilioFake) createMessage(w http.ResponseWriter, r *http.Request, req TwilioRequest, mode TwilioMode) {
	form := req.Form
	from, svc, body := form.Get("From"), form.Get("MessagingServiceSid"), form.Get("Body")
	switch {
	case from == "" && svc == "":
		f.fail(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case body == "":
		f.fail(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case len([]rune(body)) > 1600:
		f.fail(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	}
	msg := TwilioMessage{SID: newSID("SM"), To: req.Form.Get("To"), From: from, MessagingServiceSID: svc, Body: body, StatusCallback: form.Get("StatusCallback"), Created: f.now().UTC().Truncate(time.Second)}
	f.mu.Lock()
	f.messages = append(f.messages, msg)
	hook := f.onCreate
	f.mu.Unlock()
	if hook != nil {
		hook(msg)
	}
	if mode == TwilioAcceptSlow {
		f.hang(r.Context())
		return
	}
	f.writeJSON(w, http.StatusCreated, f.messageJSON(msg))
}

func (f *TwilioFake) messageJSON(m TwilioMessage) map[string]any {
	uri := "/2010-04-01/Accounts/" + f.sid + "/Messages/" + m.SID
	var svc any
	if m.MessagingServiceSID != "" {
		svc = m.MessagingServiceSID
	}
	from := any(m.From)
	if m.From == "" {
		from = nil
	}
	segs := "0"
	if m.MessagingServiceSID == "" {
		segs = strconv.Itoa(template.Segments(m.Body).Segments)
	}
	return map[string]any{
		"account_sid":           f.sid,
		"api_version":           "2010-04-01",
		"body":                  m.Body,
		"date_created":          m.Created.Format(rfc2822),
		"date_sent":             nil,
		"date_updated":          m.Created.Format(rfc2822),
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  from,
		"messaging_service_sid": svc,
		"num_media":             "0",
		"num_segments":          segs,
		"price":                 nil,
		"price_unit":            nil,
		"sid":                   m.SID,
		"status":                "queued",
		"subresource_uris":      map[string]any{"media": uri + "/Media.json"},
		"to":                    m.To,
		"uri":                   uri + ".json",
	}
}

func (f *TwilioFake) createCall(w http.ResponseWriter, r *http.Request, req TwilioRequest, mode TwilioMode) {
	form := req.Form
	from, twiml, u := form.Get("From"), form.Get("Twiml"), form.Get("Url")
	switch {
	case from == "":
		f.fail(w, http.StatusBadRequest, 21213, "Caller phone number is required")
		return
	case twiml == "" && u == "":
		f.fail(w, http.StatusBadRequest, 21205, "Url parameter is required.")
		return
	case len(twiml) > 4000:
		f.fail(w, http.StatusBadRequest, 13250, "Twiml exceeds 4000 characters.")
		return
	}
	c := TwilioCall{SID: newSID("CA"), To: form.Get("To"), From: from, Twiml: twiml, Created: f.now().UTC().Truncate(time.Second)}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	f.mu.Unlock()
	if mode == TwilioAcceptSlow {
		f.hang(r.Context())
		return
	}
	f.writeJSON(w, http.StatusCreated, f.callJSON(c))
}

func (f *TwilioFake) callJSON(c TwilioCall) map[string]any {
	uri := "/2010-04-01/Accounts/" + f.sid + "/Calls/" + c.SID
	return map[string]any{
		"account_sid":      f.sid,
		"annotation":       nil,
		"answered_by":      nil,
		"api_version":      "2010-04-01",
		"caller_name":      nil,
		"date_created":     c.Created.Format(rfc2822),
		"date_updated":     c.Created.Format(rfc2822),
		"direction":        "outbound-api",
		"duration":         nil,
		"end_time":         nil,
		"forwarded_from":   nil,
		"from":             c.From,
		"from_formatted":   c.From,
		"group_sid":        nil,
		"parent_call_sid":  nil,
		"phone_number_sid": newSID("PN"),
		"price":            nil,
		"price_unit":       "USD",
		"queue_time":       "0",
		"sid":              c.SID,
		"start_time":       nil,
		"status":           "queued",
		"subresource_uris": map[string]any{"notifications": uri + "/Notifications.json", "recordings": uri + "/Recordings.json"},
		"to":               c.To,
		"to_formatted":     c.To,
		"trunk_sid":        nil,
		"uri":              uri + ".json",
	}
}

// list answers GET Messages.json / Calls.json, newest first, filtered by
// To and From, one page of PageSize (default 50).
func (f *TwilioFake) list(w http.ResponseWriter, r *http.Request, resource string) {
	q := r.URL.Query()
	size := 50
	if n, err := strconv.Atoi(q.Get("PageSize")); err == nil && n > 0 && n <= 1000 {
		size = n
	}
	to, from := q.Get("To"), q.Get("From")
	var items []any
	if resource == "Messages" {
		msgs := f.Messages()
		for i := len(msgs) - 1; i >= 0 && len(items) < size; i-- {
			m := msgs[i]
			if (to == "" || m.To == to) && (from == "" || m.From == from) {
				items = append(items, f.messageJSON(m))
			}
		}
	} else {
		calls := f.Calls()
		for i := len(calls) - 1; i >= 0 && len(items) < size; i-- {
			c := calls[i]
			if (to == "" || c.To == to) && (from == "" || c.From == from) {
				items = append(items, f.callJSON(c))
			}
		}
	}
	if items == nil {
		items = []any{}
	}
	uri := r.URL.RequestURI()
	key := strings.ToLower(resource)
	f.writeJSON(w, http.StatusOK, map[string]any{
		key:                 items,
		"end":               max(len(items)-1, 0),
		"first_page_uri":    uri,
		"next_page_uri":     nil,
		"page":              0,
		"page_size":         size,
		"previous_page_uri": nil,
		"start":             0,
		"uri":               uri,
	})
}
