package twilio

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/notify"
)

// Config is notify.TwilioConfig: the provider's settings live in notify so
// that notify.Config is one type.
type Config = notify.TwilioConfig

// Channel names used in errors.
const (
	nameSMS   = "twilio sms"
	nameVoice = "twilio voice"
)

// maxTwiML is Twilio's limit on inline TwiML.
const maxTwiML = 4000

// alphanumeric is what twilio-go accepts as credentials; anything else it
// refuses before sending (21222/21224).
var alphanumeric = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// Client talks to the Twilio REST API for SMS and calls. It is safe for
// concurrent use. Create it with [New].
type Client struct {
	cfg       Config
	sid       string
	token     string
	base      *url.URL
	transport http.RoundTripper
	log       *zap.Logger
}

type options struct {
	transport http.RoundTripper
	baseURL   string
}

// Option configures a [Client].
type Option func(*options)

// WithTransport sets the HTTP transport requests go through (tests, or a
// proxy). Default: a clone of http.DefaultTransport.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) { o.transport = rt }
}

// WithBaseURL sends API requests to base instead of cfg.APIBaseURL; the
// notifytest fake uses it.
func WithBaseURL(base string) Option {
	return func(o *options) { o.baseURL = base }
}

// New resolves the account SID and auth token from cfg's secrets (never
// from twilio-go's TWILIO_* environment fallback) and returns a client.
// It performs no I/O other than reading the secrets.
func New(cfg Config, logger *zap.Logger, opts ...Option) (*Client, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if !cfg.Configured() {
		return nil, errors.New("twilio: account_sid is not configured")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = notify.DefaultConfig().Twilio.Timeout
	}
	if cfg.Voice.Language == "" {
		cfg.Voice.Language = notify.DefaultVoiceLanguage
	}
	if cfg.Voice.Repeat < 1 {
		cfg.Voice.Repeat = notify.DefaultVoiceRepeat
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	sid, err := cfg.AccountSID.Resolve()
	if err != nil {
		return nil, fmt.Errorf("twilio account_sid: %w", err)
	}
	token, err := cfg.AuthToken.Resolve()
	if err != nil {
		return nil, fmt.Errorf("twilio auth_token: %w", err)
	}
	sid, token = strings.TrimSpace(sid), strings.TrimSpace(token)
	if !alphanumeric.MatchString(sid) {
		return nil, errors.New("twilio account_sid: must be letters and digits only")
	}
	if !alphanumeric.MatchString(token) {
		return nil, errors.New("twilio auth_token: must be letters and digits only")
	}
	if cfg.From == "" && cfg.MessagingServiceSID == "" {
		return nil, errors.New("twilio: from or messaging_service_sid is required")
	}
	base := o.baseURL
	if base == "" {
		base = cfg.APIBaseURL
	}
	if base == "" {
		base = notify.DefaultTwilioAPI
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, errors.New("twilio api_base_url: want an http(s):// URL")
	}
	rt := o.transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		t.MaxIdleConnsPerHost = 32
		rt = t
	}
	return &Client{cfg: cfg, sid: sid, token: token, base: u, transport: rt, log: logger.Named("twilio")}, nil
}

// callState records what happened on the wire during one API call.
type callState struct {
	mu         sync.Mutex
	wrote      bool // the request was written to the connection
	status     int
	retryAfter string
}

func (s *callState) get() (bool, int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.wrote, s.status, s.retryAfter
}

// callTransport binds one call's context to twilio-go's requests (which
// are made without one), sends them to the configured base URL, and
// records the status and whether the request left.
type callTransport struct {
	base  http.RoundTripper
	ctx   context.Context
	to    *url.URL
	state *callState
}

func (t *callTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		t.state.mu.Lock()
		t.state.wrote = true
		t.state.mu.Unlock()
	}}
	// twilio-go builds its requests without a context: the call's context
	// (with its timeout) takes the place of the missing one.
	r := req.Clone(httptrace.WithClientTrace(t.ctx, trace))
	r.URL.Scheme = t.to.Scheme
	r.URL.Host = t.to.Host
	r.URL.Path = strings.TrimRight(t.to.Path, "/") + req.URL.Path
	r.Host = ""
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	t.state.mu.Lock()
	t.state.status = resp.StatusCode
	t.state.retryAfter = resp.Header.Get("Retry-After")
	t.state.mu.Unlock()
	if resp.StatusCode >= 400 {
		// twilio-go never closes the body of an error answer: read it here
		// (bounded) so the connection is released and reused.
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	return resp, nil
}

// api returns a Twilio API service bound to ctx, with the configured
// timeout, for one call; cancel releases it. The timeout lives in the
// context rather than in http.Client.Timeout, whose watchdog goroutine
// would outlive error answers (twilio-go leaves their bodies open).
func (c *Client) api(ctx context.Context) (*openapi.ApiService, *callState, context.CancelFunc) {
	st := &callState{}
	cctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout.Std())
	hc := &http.Client{
		Transport:     &callTransport{base: c.transport, ctx: cctx, to: c.base, state: st},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	tc := &twclient.Client{Credentials: twclient.NewCredentials(c.sid, c.token), HTTPClient: hc}
	tc.SetAccountSid(c.sid)
	svc := openapi.NewApiServiceWithClient(tc)
	// NewRequestHandler reads TWILIO_EDGE and TWILIO_REGION from the
	// environment; configuration comes from our config only.
	svc.RequestHandler().Edge, svc.RequestHandler().Region = "", ""
	return svc, st, cancel
}

// Twilio error codes with a meaning of their own.
const (
	codeAuth             = 20003
	codeNotFound         = 20404
	codeTooManyRequests  = 20429
	codeInvalidTo        = 21211
	codeFromInvalid      = 21212
	codeRegionDisabled   = 21408
	codeUnsubscribed     = 21610
	codeCannotRoute      = 21612
	codeNotMobile        = 21614
	codeFromNotTwilio    = 21606
	codeBodyTooLong      = 21617
	codeCredentialsChars = 21222
	codeTokenChars       = 21224
)

func reasonFor(status, code int) notify.Reason {
	switch code {
	case codeInvalidTo, codeNotMobile, codeCannotRoute, codeRegionDisabled:
		return notify.ReasonInvalidRecipient
	case codeUnsubscribed:
		return notify.ReasonUnsubscribed
	case codeAuth, codeCredentialsChars, codeTokenChars:
		return notify.ReasonAuth
	case codeFromInvalid, codeFromNotTwilio, codeBodyTooLong, codeNotFound:
		return notify.ReasonConfig
	case codeTooManyRequests:
		return notify.ReasonRateLimited
	}
	if r := notify.ReasonForStatus(status); r != "" {
		return r
	}
	return notify.ReasonRejected
}

// classify turns a twilio-go error into a classified [notify.SendError]
// whose text has no number, address, SID or token.
func classify(ctx context.Context, name string, err error, st *callState) error {
	wrote, status, ra := st.get()
	// The SDK's errors carry the account SID (in URLs) and phone numbers
	// (in Twilio's messages): keep only what is safe as the cause.
	se := &notify.SendError{Channel: name, Err: safeCause(err), RetryAfter: notify.ParseRetryAfter(ra, time.Now())}
	var te *twclient.TwilioRestError
	var te1 *twclient.RestErrorV1
	switch {
	case errors.As(err, &te):
		se.Status, se.Code = te.Status, te.Code
		if se.Status == 0 {
			se.Status = status
		}
		se.Reason = reasonFor(se.Status, se.Code)
		se.Detail = notify.Redact(te.Message)
	case errors.As(err, &te1):
		se.Status, se.Code = te1.HttpStatusCode, te1.Code
		se.Reason = reasonFor(se.Status, se.Code)
		se.Detail = notify.Redact(te1.Message)
	case status >= 400:
		// An error answer twilio-go could not decode (a proxy's HTML page).
		se.Status = status
		se.Reason = reasonFor(status, 0)
	default:
		se.Reason = notify.ReasonNetwork
		if r := notify.ContextReason(ctx.Err()); r != "" {
			se.Reason = r
		} else if isTimeout(err) {
			se.Reason = notify.ReasonTimeout
		}
		se.Detail = transportDetail(err)
		// The request left but no answer came back: Twilio may have it.
		se.Unsure = wrote
	}
	if se.Status >= 500 && se.Status != http.StatusServiceUnavailable {
		se.Unsure = true // a gateway error says nothing about Twilio's side
	}
	return se.Classified()
}

// safeCause returns the part of an SDK error that may be kept as a cause:
// nothing of a Twilio error answer (its fields are copied, redacted), the
// transport failure inside a *url.Error without the URL.
func safeCause(err error) error {
	var te *twclient.TwilioRestError
	var te1 *twclient.RestErrorV1
	if errors.As(err, &te) || errors.As(err, &te1) {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}

// transportDetail names a transport failure without the URL (which holds
// the account SID).
func transportDetail(err error) string {
	var oe *net.OpError
	var de *net.DNSError
	switch {
	case errors.As(err, &de):
		return "name lookup failed"
	case errors.As(err, &oe):
		if oe.Op == "dial" {
			return "connection failed"
		}
		return "connection " + oe.Op + " failed"
	case isTimeout(err):
		return "no answer in time"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "request failed"
	}
	return "request failed"
}

// SMS sends text messages. It implements notify.Channel and
// notify.Reconciler.
type SMS struct{ c *Client }

// Voice places calls that speak the alert. It implements notify.Channel
// and notify.Reconciler.
type Voice struct{ c *Client }

var (
	_ notify.Channel    = (*SMS)(nil)
	_ notify.Reconciler = (*SMS)(nil)
	_ notify.Channel    = (*Voice)(nil)
	_ notify.Reconciler = (*Voice)(nil)
)

// SMS returns the SMS channel.
func (c *Client) SMS() *SMS { return &SMS{c: c} }

// Voice returns the voice channel.
func (c *Client) Voice() *Voice { return &Voice{c: c} }

func needPhone(name string, d *notify.Delivery) error {
	if d.To.Phone == "" {
		return (&notify.SendError{Channel: name, Reason: notify.ReasonConfig, Detail: "no phone number for the recipient"}).Classified()
	}
	return nil
}

// Send posts the SMS text of d to the Messages resource and returns the
// message SID.
func (s *SMS) Send(ctx context.Context, d *notify.Delivery) (string, error) {
	if err := needPhone(nameSMS, d); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", (&notify.SendError{Channel: nameSMS, Reason: notify.ContextReason(err), Err: err}).Classified()
	}
	p := &openapi.CreateMessageParams{}
	p.SetTo(d.To.Phone).SetBody(d.Message.SMS)
	if s.c.cfg.MessagingServiceSID != "" {
		p.SetMessagingServiceSid(s.c.cfg.MessagingServiceSID)
	}
	if s.c.cfg.From != "" {
		p.SetFrom(s.c.cfg.From)
	}
	if s.c.cfg.StatusCallback != "" {
		p.SetStatusCallback(s.c.cfg.StatusCallback)
	}
	api, st, cancel := s.c.api(ctx)
	defer cancel()
	m, err := api.CreateMessage(p)
	if err != nil {
		return "", classify(ctx, nameSMS, err, st)
	}
	if m == nil || m.Sid == nil || *m.Sid == "" {
		return "", (&notify.SendError{Channel: nameSMS, Reason: notify.ReasonUnavailable, Detail: "answer without a message sid", Unsure: true}).Classified()
	}
	return *m.Sid, nil
}

// reconcilePage is how many recent messages or calls a reconciliation
// looks at.
const reconcilePage = 20

// created reports when Twilio created a listed message or call, and
// whether that lies in the send window [since, until] (no upper bound
// when until is zero). Twilio dates are whole seconds, so since counts
// from the start of its second. A missing or unreadable date is never in
// the window: an item that cannot be placed is not taken for ours.
func created(date *string, since, until time.Time) (time.Time, bool) {
	if date == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC1123Z, *date)
	if err != nil {
		return time.Time{}, false
	}
	if t.Before(since.Truncate(time.Second)) || !until.IsZero() && t.After(until) {
		return time.Time{}, false
	}
	return t, true
}

// earliest keeps the earliest candidate seen; Twilio lists newest first,
// so on a tie the one listed later (created first) wins.
type earliest struct {
	sid string
	at  time.Time
}

func (e *earliest) offer(sid string, at time.Time) {
	if e.sid == "" || !at.After(e.at) {
		e.sid, e.at = sid, at
	}
}

// Reconcile looks for a message to d's number with d's exact text created
// within [since, until] (the delivery record's start, less the clock skew
// allowed, and its deadline) among the most recent ones, and returns the
// SID of the earliest. A message created after until is a later alert
// with the same words (the person's template is the same for every
// verdict) and is never taken for this attempt. A zero until is no upper
// bound.
func (s *SMS) Reconcile(ctx context.Context, d *notify.Delivery, since, until time.Time) (string, bool, error) {
	if err := needPhone(nameSMS, d); err != nil {
		return "", false, err
	}
	p := &openapi.ListMessageParams{}
	p.SetTo(d.To.Phone).SetPageSize(reconcilePage)
	if s.c.cfg.From != "" && s.c.cfg.MessagingServiceSID == "" {
		p.SetFrom(s.c.cfg.From)
	}
	api, st, cancel := s.c.api(ctx)
	defer cancel()
	page, err := api.PageMessage(p, "", "")
	if err != nil {
		return "", false, classify(ctx, nameSMS, err, st)
	}
	var best earliest
	for _, m := range page.Messages {
		if m.Sid == nil || *m.Sid == "" || m.Body == nil || *m.Body != d.Message.SMS {
			continue
		}
		if at, ok := created(m.DateCreated, since, until); ok {
			best.offer(*m.Sid, at)
		}
	}
	return best.sid, best.sid != "", nil
}

// TwiML returns the call script: the speech of d said Repeat times in the
// configured language and voice, with a pause between, within Twilio's
// 4000-character limit.
func (v *Voice) TwiML(speech string) string {
	cfg := v.c.cfg.Voice
	build := func(text string) string {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><Response>`)
		for i := 0; i < cfg.Repeat; i++ {
			if i > 0 {
				b.WriteString(`<Pause length="1"/>`)
			}
			b.WriteString(`<Say language="`)
			_ = xml.EscapeText(&b, []byte(cfg.Language))
			b.WriteString(`"`)
			if cfg.Voice != "" {
				b.WriteString(` voice="`)
				_ = xml.EscapeText(&b, []byte(cfg.Voice))
				b.WriteString(`"`)
			}
			b.WriteString(`>`)
			_ = xml.EscapeText(&b, []byte(text))
			b.WriteString(`</Say>`)
		}
		b.WriteString(`</Response>`)
		return b.String()
	}
	out := build(speech)
	r := []rune(speech)
	for len(out) > maxTwiML && len(r) > 0 {
		r = r[:len(r)*9/10]
		out = build(string(r))
	}
	return out
}

// Send places a call to d's number that speaks d's speech text, and
// returns the call SID.
func (v *Voice) Send(ctx context.Context, d *notify.Delivery) (string, error) {
	if err := needPhone(nameVoice, d); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", (&notify.SendError{Channel: nameVoice, Reason: notify.ContextReason(err), Err: err}).Classified()
	}
	p := &openapi.CreateCallParams{}
	p.SetTo(d.To.Phone).SetFrom(v.c.cfg.VoiceFrom()).SetTwiml(v.TwiML(d.Message.Speech)).SetTimeout(30).SetTimeLimit(180)
	api, st, cancel := v.c.api(ctx)
	defer cancel()
	call, err := api.CreateCall(p)
	if err != nil {
		return "", classify(ctx, nameVoice, err, st)
	}
	if call == nil || call.Sid == nil || *call.Sid == "" {
		return "", (&notify.SendError{Channel: nameVoice, Reason: notify.ReasonUnavailable, Detail: "answer without a call sid", Unsure: true}).Classified()
	}
	return *call.Sid, nil
}

// Reconcile looks for a call from our number to d's number created
// within [since, until] and returns the SID of the earliest. A call lists
// no text, so the upper bound is what keeps a later call to the same
// contact (another verdict's, an escalation step's) from being taken for
// this attempt. A zero until is no upper bound.
func (v *Voice) Reconcile(ctx context.Context, d *notify.Delivery, since, until time.Time) (string, bool, error) {
	if err := needPhone(nameVoice, d); err != nil {
		return "", false, err
	}
	p := &openapi.ListCallParams{}
	p.SetTo(d.To.Phone).SetFrom(v.c.cfg.VoiceFrom()).SetPageSize(reconcilePage)
	api, st, cancel := v.c.api(ctx)
	defer cancel()
	page, err := api.PageCall(p, "", "")
	if err != nil {
		return "", false, classify(ctx, nameVoice, err, st)
	}
	var best earliest
	for _, c := range page.Calls {
		if c.Sid == nil || *c.Sid == "" {
			continue
		}
		if at, ok := created(c.DateCreated, since, until); ok {
			best.offer(*c.Sid, at)
		}
	}
	return best.sid, best.sid != "", nil
}
