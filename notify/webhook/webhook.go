package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
)

// Config is notify.WebhookConfig.
type Config = notify.WebhookConfig

const name = "webhook"

// Headers of a webhook request.
const (
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, keyed with the
	// target's secret, of the timestamp, a dot and the body.
	HeaderSignature = "X-Scamscreen-Signature"
	// HeaderTimestamp is the Unix time of the request in seconds.
	HeaderTimestamp = "X-Scamscreen-Timestamp"
	// HeaderIdempotencyKey is the alert id: the same alert delivered twice
	// carries the same key, so a receiver can drop the copy.
	HeaderIdempotencyKey = "Idempotency-Key"
)

// Payload is the JSON body. Text makes it a valid Slack (and Mattermost,
// Rocket.Chat) incoming-webhook message; the other fields are for
// programs.
type Payload struct {
	Text          string              `json:"text"`
	ID            string              `json:"id"`
	VerdictID     string              `json:"verdict_id"`
	Household     string              `json:"household"`
	Person        string              `json:"person"`
	Recipient     string              `json:"recipient"`
	RecipientKind event.RecipientKind `json:"recipient_kind"`
	Template      string              `json:"template"`
	Language      string              `json:"language"`
	Urgent        bool                `json:"urgent"`
	Step          int                 `json:"step"`
	GroupCount    int                 `json:"group_count,omitempty"`
	Verdict       string              `json:"verdict,omitempty"`
	Categories    []event.Category    `json:"categories,omitempty"`
	Subject       string              `json:"subject,omitempty"`
	AckURL        string              `json:"ack_url,omitempty"`
	At            time.Time           `json:"at"`
}

// Channel posts signed JSON alerts. It implements notify.Channel and is
// safe for concurrent use.
type Channel struct {
	cfg    Config
	client *http.Client
	now    func() time.Time
	log    *zap.Logger
}

var _ notify.Channel = (*Channel)(nil)

type options struct {
	transport http.RoundTripper
	now       func() time.Time
}

// Option configures a [Channel].
type Option func(*options)

// WithTransport sets the HTTP transport (tests, proxies).
func WithTransport(rt http.RoundTripper) Option { return func(o *options) { o.transport = rt } }

// WithClock sets the clock used for timestamps.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// New returns the channel.
func New(cfg Config, logger *zap.Logger, opts ...Option) (*Channel, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = notify.DefaultConfig().Webhook.Timeout
	}
	var o options
	for _, f := range opts {
		f(&o)
	}
	rt := o.transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		rt = t
	}
	if o.now == nil {
		o.now = time.Now
	}
	return &Channel{
		cfg: cfg,
		client: &http.Client{
			Transport:     rt,
			Timeout:       cfg.Timeout.Std(),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		now: o.now,
		log: logger.Named("webhook"),
	}, nil
}

// Sign returns the signature header value for body at timestamp ts.
func Sign(key []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook timestamp is outside the tolerance")
)

// Verify checks a received request's signature and that its timestamp is
// within tolerance of now. Receivers use it; so does notifytest's sink.
func Verify(key []byte, ts, sig string, body []byte, now time.Time, tolerance time.Duration) error {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(key, ts, body))) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(n, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}

func (c *Channel) fail(reason notify.Reason, detail string, err error) error {
	return (&notify.SendError{Channel: name, Reason: reason, Detail: detail, Err: err}).Classified()
}

// Send posts d as a signed [Payload] and returns the receiver's
// X-Request-Id, or the alert id when it sends none.
func (c *Channel) Send(ctx context.Context, d *notify.Delivery) (string, error) {
	target := d.To.URL
	if target == "" && d.To.URLSecret.IsSet() {
		v, err := d.To.URLSecret.Resolve()
		if err != nil {
			return "", c.fail(notify.ReasonConfig, "webhook url secret could not be read", err)
		}
		target = strings.TrimSpace(v)
	}
	if target == "" {
		return "", c.fail(notify.ReasonConfig, "no webhook url for the recipient", nil)
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return "", c.fail(notify.ReasonConfig, "webhook url is not a URL", nil)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && (c.cfg.AllowHTTP || isLoopback(u.Hostname()))) {
		return "", c.fail(notify.ReasonConfig, "webhook url must be https", nil)
	}
	sec := d.To.Secret
	if !sec.IsSet() {
		sec = c.cfg.Secret
	}
	key, err := sec.Resolve()
	if err != nil {
		return "", c.fail(notify.ReasonConfig, "webhook signing secret could not be read", err)
	}
	body, err := json.Marshal(payload(d))
	if err != nil {
		return "", c.fail(notify.ReasonConfig, "payload could not be encoded", err)
	}
	ts := strconv.FormatInt(c.now().Unix(), 10)

	var wrote atomic.Bool
	tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) }})
	req, err := http.NewRequestWithContext(tctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return "", c.fail(notify.ReasonConfig, "request could not be built", nil)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "scamscreen-notify/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign([]byte(key), ts, body))
	req.Header.Set(HeaderIdempotencyKey, d.Alert.ID)
	resp, err := c.client.Do(req)
	if err != nil {
		se := &notify.SendError{Channel: name, Reason: notify.ReasonNetwork, Detail: "request failed", Unsure: wrote.Load()}
		var ne net.Error
		if r := notify.ContextReason(ctx.Err()); r != "" {
			se.Reason = r
		} else if errors.As(err, &ne) && ne.Timeout() {
			se.Reason, se.Detail = notify.ReasonTimeout, "no answer in time"
		}
		// err's text holds the URL, which may be a credential: keep only
		// the transport failure inside it.
		var ue *url.Error
		if errors.As(err, &ue) {
			se.Err = ue.Err
		}
		return "", se.Classified()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if id := resp.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 {
			return id, nil
		}
		return d.Alert.ID, nil
	}
	reason := notify.ReasonForStatus(resp.StatusCode)
	if reason == "" { // 3xx: redirects are not followed
		reason = notify.ReasonRejected
	}
	return "", (&notify.SendError{
		Channel:    name,
		Reason:     reason,
		Status:     resp.StatusCode,
		RetryAfter: notify.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
		Unsure:     resp.StatusCode == http.StatusGatewayTimeout,
	}).Classified()
}

func payload(d *notify.Delivery) Payload {
	a := d.Alert
	p := Payload{
		Text: d.Message.Text, ID: a.ID, VerdictID: a.VerdictID, Household: a.Household, Person: a.Person,
		Recipient: a.Recipient, RecipientKind: a.RecipientKind, Template: a.Template, Language: a.Language,
		Urgent: a.Urgent, Step: a.Step, GroupCount: a.GroupCount, Subject: d.Message.Subject,
		AckURL: d.Message.AckURL, At: a.At,
	}
	if a.Verdict != nil {
		p.Verdict = a.Verdict.Level.String()
		p.Categories = a.Verdict.Categories
	}
	return p
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// String describes the channel for logs.
func (c *Channel) String() string { return fmt.Sprintf("webhook(timeout %s)", c.cfg.Timeout) }
