package sms

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/config"
)

// Defaults of [Config], applied by [DefaultConfig] and, for zero fields,
// by [New].
const (
	DefaultListen         = "127.0.0.1:8088"
	DefaultMaxBodySize    = 64 << 10
	DefaultRequestTimeout = 10 * time.Second
	DefaultPerMinute      = 60
	DefaultBurst          = 20
	DefaultReplayWindow   = 5 * time.Minute
	// DefaultMessageAgeWindow is the replay window of sources that sign
	// the body alone (template forwarders): it bounds the age of the
	// message's own, signed time field, and so must allow for the
	// forwarder's retries.
	DefaultMessageAgeWindow = 48 * time.Hour
	// MaxBatch is the largest number of messages one request may carry.
	MaxBatch = 100
)

// Source formats: the JSON a source POSTs.
const (
	// FormatScamscreen is scamscreen's own schema (see the package doc).
	FormatScamscreen = "scamscreen"
	// FormatSMSGateway is the webhook JSON of SMS Gateway for Android
	// (capcom6/android-sms-gateway): sms:received becomes an incoming
	// message, sms:sent an outgoing one when it carries the text.
	FormatSMSGateway = "smsgateway"
	// FormatTemplate is a forwarder that fills a JSON template of the
	// user's choosing, such as "Incoming SMS to URL forwarder"
	// (bogkonstantin/android_income_sms_gateway_webhook); [TemplateConfig]
	// says which field holds what.
	FormatTemplate = "template"
)

// Authentication kinds of a source.
const (
	// AuthHMAC checks a hex HMAC-SHA256 signature of the body (and a
	// timestamp) made with a shared secret.
	AuthHMAC = "hmac"
	// AuthBearer checks "Authorization: Bearer <token>".
	AuthBearer = "bearer"
)

// Header names used by default, per format.
const (
	HeaderScamscreenSignature = "X-Scamscreen-Signature"
	HeaderScamscreenTimestamp = "X-Scamscreen-Timestamp"
	HeaderSMSGatewaySignature = "X-Signature"
	HeaderSMSGatewayTimestamp = "X-Timestamp"
	// HeaderSource names the source on POST /sms/inbound when the path
	// does not.
	HeaderSource = "X-Scamscreen-Source"
	// HeaderTwilioSignature is Twilio's request signature.
	HeaderTwilioSignature = "X-Twilio-Signature"
)

// Config configures the SMS webhook listener. It is embedded in the
// application's configuration under "ingest.sms"; paths in the problems
// [Config.Validate] reports are relative to it.
type Config struct {
	// Listen is the host:port the listener binds. Default 127.0.0.1:8088.
	Listen string `yaml:"listen"`
	// TLS serves HTTPS with a certificate and key (PEM files). Default:
	// plain HTTP, for use behind a TLS-terminating reverse proxy. The files
	// are read at start; restart to pick up a renewed certificate.
	TLS TLSConfig `yaml:"tls"`
	// PublicURL is the base URL the outside world calls, such as
	// "https://sms.example.jp" or, behind a proxy that adds a path prefix,
	// "https://example.jp/scamscreen". Twilio signs the full URL it calls,
	// which is PublicURL followed by the path and query the listener
	// receives. Required when Twilio is enabled.
	PublicURL string `yaml:"public_url"`
	// Twilio enables POST /sms/twilio when its auth_token is set.
	Twilio TwilioConfig `yaml:"twilio"`
	// Sources are the forwarder apps and SMSC feeds that POST to
	// /sms/inbound/<name>. Default: none.
	Sources []SourceConfig `yaml:"sources"`
	// MaxBodySize is the largest request body accepted; larger ones get
	// 413. Default 64KiB.
	MaxBodySize config.ByteSize `yaml:"max_body_size"`
	// RequestTimeout bounds reading a request and publishing it; when
	// JetStream has not acknowledged by then the answer is 503. Keep it
	// below Twilio's 15 s. Default 10s.
	RequestTimeout config.Duration `yaml:"request_timeout"`
	// RateLimit is the default per-source rate limit. Default 60 requests
	// a minute with bursts of 20. Twilio is not rate limited: it does not
	// retry a 429, so the message would be lost.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// TLSConfig names the certificate and key the listener serves HTTPS with.
type TLSConfig struct {
	// CertFile is a PEM certificate chain. Both or neither.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the PEM private key of CertFile.
	KeyFile string `yaml:"key_file"`
}

// Enabled reports whether t asks for HTTPS.
func (t TLSConfig) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// TwilioConfig configures POST /sms/twilio.
type TwilioConfig struct {
	// AuthToken is the Twilio account's auth token that signs webhook
	// requests ({env: NAME} or {file: PATH}): letters and digits only,
	// which New checks. Unset disables the endpoint.
	AuthToken config.Secret `yaml:"auth_token"`
}

// Enabled reports whether the Twilio endpoint is on.
func (t TwilioConfig) Enabled() bool { return t.AuthToken.IsSet() }

// RateLimit is a token bucket: PerMinute requests a minute on average,
// Burst at once. Zero fields take the defaults.
type RateLimit struct {
	// PerMinute is the sustained rate. Default 60.
	PerMinute float64 `yaml:"per_minute"`
	// Burst is how many requests may arrive at once. Default 20.
	Burst int `yaml:"burst"`
}

// SourceConfig is one forwarder app or SMSC feed.
type SourceConfig struct {
	// Name identifies the source in the URL (/sms/inbound/<name>), in
	// message sources ("forwarder:<name>") and in ids. 1-64 characters
	// from A-Z a-z 0-9 _ -; not "twilio". Required.
	Name string `yaml:"name"`
	// Format is scamscreen, smsgateway or template. Required.
	Format string `yaml:"format"`
	// DeviceNumber is the number of the phone the forwarder runs on, used
	// when a payload does not say it (SMS Gateway's recipient is null
	// without the READ_PHONE_STATE permission; template forwarders
	// usually send only the sender), and the only person the source may
	// publish for: a message naming another protected number is refused
	// (404), so one phone's credential cannot speak for another household.
	// Required for format smsgateway. Any form [Normalize] accepts.
	// Default: none.
	DeviceNumber string `yaml:"device_number"`
	// Auth says how requests prove they come from this source. Required.
	Auth AuthConfig `yaml:"auth"`
	// Template maps the fields of a template forwarder's JSON; only for
	// format template.
	Template TemplateConfig `yaml:"template"`
	// RateLimit overrides the listener's rate_limit for this source.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// AuthConfig is how a source authenticates.
type AuthConfig struct {
	// Kind is hmac or bearer. Required.
	Kind string `yaml:"kind"`
	// Secret is the HMAC key (kind hmac).
	Secret config.Secret `yaml:"secret"`
	// Token is the bearer token (kind bearer).
	Token config.Secret `yaml:"token"`
	// SignatureHeader carries the hex HMAC-SHA256. Default
	// X-Scamscreen-Signature for format scamscreen, X-Signature otherwise.
	SignatureHeader string `yaml:"signature_header"`
	// TimestampHeader carries the Unix time (seconds) the request was
	// signed at. Default X-Scamscreen-Timestamp for format scamscreen,
	// X-Timestamp for smsgateway, none for template (whose forwarders sign
	// the body alone).
	TimestampHeader string `yaml:"timestamp_header"`
	// ReplayWindow is how far the timestamp may be from now, either way.
	// Default 5m. Keep the INBOUND duplicate window (nats.streams
	// .duplicates) at least this long, so that a replayed request inside
	// the window is dropped as a duplicate (the configuration check says
	// so). Without a timestamp header (template forwarders sign the body
	// alone) it bounds the message's own time field instead, which the
	// signature covers: default 48h, to allow for the forwarder's retries,
	// and a message without a time is refused.
	ReplayWindow config.Duration `yaml:"replay_window"`
}

// TemplateConfig says which fields of a template forwarder's JSON hold
// what. Field names may be dotted paths into nested objects
// ("payload.from"); values may be strings or numbers.
type TemplateConfig struct {
	// Direction of every message of this source: in or out. Default in.
	Direction string `yaml:"direction"`
	// From is the field with the sender. Default "from". For outgoing
	// messages a missing sender is the device_number.
	From string `yaml:"from"`
	// To is the field with the recipient. Default: none, so incoming
	// messages go to the device_number.
	To string `yaml:"to"`
	// Text is the field with the message body. Default "text".
	Text string `yaml:"text"`
	// Time is the field with the time (epoch milliseconds or RFC 3339).
	// Default "receivedStamp". A missing field means the time of arrival.
	Time string `yaml:"time"`
	// ID is a field with an id unique within the source. Default: none,
	// and the id is derived from sender, recipient, time and body.
	ID string `yaml:"id"`
}

// DefaultConfig returns a Config with every default filled in: no Twilio,
// no sources.
func DefaultConfig() Config {
	var c Config
	c.defaults()
	return c
}

// ReplayWindows returns, by source index, the replay window of every
// source that signs requests with a timestamp header (defaults applied).
// A request replayed inside it passes the signature check, so the INBOUND
// duplicate window must be at least as long for JetStream to drop it.
func (c Config) ReplayWindows() map[int]time.Duration {
	c.Sources = append([]SourceConfig(nil), c.Sources...)
	c.defaults()
	out := map[int]time.Duration{}
	for i, s := range c.Sources {
		if s.Auth.Kind == AuthHMAC && s.Auth.TimestampHeader != "" {
			out[i] = s.Auth.ReplayWindow.Std()
		}
	}
	return out
}

// defaults fills the zero fields of c and of its sources.
func (c *Config) defaults() {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.MaxBodySize == 0 {
		c.MaxBodySize = DefaultMaxBodySize
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = config.Duration(DefaultRequestTimeout)
	}
	if c.RateLimit.PerMinute == 0 {
		c.RateLimit.PerMinute = DefaultPerMinute
	}
	if c.RateLimit.Burst == 0 {
		c.RateLimit.Burst = DefaultBurst
	}
	for i := range c.Sources {
		c.Sources[i].defaults(c.RateLimit)
	}
}

func (s *SourceConfig) defaults(rl RateLimit) {
	// Inherit valid values only: a bad listener-wide value is reported
	// once, at rate_limit.
	if s.RateLimit.PerMinute == 0 && rl.PerMinute > 0 {
		s.RateLimit.PerMinute = rl.PerMinute
	}
	if s.RateLimit.Burst == 0 && rl.Burst > 0 {
		s.RateLimit.Burst = rl.Burst
	}
	a := &s.Auth
	if a.Kind == AuthHMAC {
		switch s.Format {
		case FormatScamscreen:
			a.SignatureHeader = cmpOr(a.SignatureHeader, HeaderScamscreenSignature)
			a.TimestampHeader = cmpOr(a.TimestampHeader, HeaderScamscreenTimestamp)
		case FormatSMSGateway:
			a.SignatureHeader = cmpOr(a.SignatureHeader, HeaderSMSGatewaySignature)
			a.TimestampHeader = cmpOr(a.TimestampHeader, HeaderSMSGatewayTimestamp)
		default:
			a.SignatureHeader = cmpOr(a.SignatureHeader, HeaderSMSGatewaySignature)
		}
		if a.ReplayWindow == 0 {
			a.ReplayWindow = config.Duration(DefaultReplayWindow)
			if a.TimestampHeader == "" {
				a.ReplayWindow = config.Duration(DefaultMessageAgeWindow)
			}
		}
	}
	if s.Format == FormatTemplate {
		t := &s.Template
		t.Direction = cmpOr(t.Direction, string(event.DirectionIn))
		t.From = cmpOr(t.From, "from")
		t.Text = cmpOr(t.Text, "text")
		t.Time = cmpOr(t.Time, "receivedStamp")
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Validate checks c, with defaults applied to its zero fields, and reports
// every problem with its path. It reads no secret; [New] does.
func (c Config) Validate() error {
	c.Sources = append([]SourceConfig(nil), c.Sources...)
	c.defaults()
	var p config.Problems
	if host, port, err := net.SplitHostPort(c.Listen); err != nil {
		p.Add("listen", "want host:port, such as 127.0.0.1:8088")
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.Add("listen", "port %q is not a number from 0 to 65535", port)
	} else if host == "" {
		p.Add("listen", "give a host (0.0.0.0 to listen on every interface)")
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		p.Add("tls", "cert_file and key_file go together")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		switch {
		case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
			p.Add("public_url", "want an absolute http or https URL, such as https://sms.example.jp")
		case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			p.Add("public_url", "give the base URL only: no query, fragment or user")
		}
	} else if c.Twilio.Enabled() {
		p.Add("public_url", "required when twilio is enabled: Twilio signs the URL it calls")
	}
	// The text of a message is published inline; far beyond 512KiB it
	// would not fit a NATS message and the request would fail with 500.
	if c.MaxBodySize < 1<<10 || c.MaxBodySize > 512<<10 {
		p.Add("max_body_size", "must be between 1KiB and 512KiB")
	}
	// Twilio gives up after 15s counted from its connect; the TLS
	// handshake and headers (up to 5s) come before this timeout starts.
	if c.RequestTimeout < config.Duration(100*time.Millisecond) {
		p.Add("request_timeout", "must be at least 100ms")
	} else if c.Twilio.Enabled() && c.RequestTimeout.Std() > 10*time.Second {
		p.Add("request_timeout", "must leave room in Twilio's 15s limit (at most 10s)")
	}
	c.RateLimit.validate(p.At("rate_limit"))
	seen := make(map[string]int, len(c.Sources))
	for i, s := range c.Sources {
		sp := p.At("sources", i)
		if j, dup := seen[s.Name]; dup && s.Name != "" {
			sp.Add("name", "%q is also the name of sources[%d]", s.Name, j)
		}
		seen[s.Name] = i
		s.validate(sp)
	}
	return p.Err()
}

func (r RateLimit) validate(p *config.Problems) {
	if r.PerMinute < 0 {
		p.Add("per_minute", "must be positive")
	}
	if r.Burst < 0 {
		p.Add("burst", "must be positive")
	}
}

func (s SourceConfig) validate(p *config.Problems) {
	switch {
	case s.Name == "":
		p.Add("name", "required")
	case !event.ValidToken(s.Name):
		p.Add("name", "use 1-64 characters from A-Z a-z 0-9 _ -")
	case s.Name == sourceTwilio:
		p.Add("name", "%q is reserved for the Twilio endpoint", s.Name)
	}
	switch s.Format {
	case FormatScamscreen, FormatSMSGateway, FormatTemplate:
	case "":
		p.Add("format", "required: scamscreen, smsgateway or template")
	default:
		p.Add("format", "%q is not scamscreen, smsgateway or template", s.Format)
	}
	if s.DeviceNumber != "" {
		if _, ok := Normalize(s.DeviceNumber); !ok {
			p.Add("device_number", "not a phone number in E.164 or Japanese national form")
		}
	} else if s.Format == FormatSMSGateway {
		// Its payloads name the phone's own number only with the
		// READ_PHONE_STATE permission (and not before 2026 at all).
		p.Add("device_number", "required for format smsgateway: the number of the phone it runs on")
	}
	a, ap := s.Auth, p.At("auth")
	switch a.Kind {
	case AuthHMAC:
		if !a.Secret.IsSet() {
			ap.Add("secret", "required for kind hmac")
		}
		if a.Token.IsSet() {
			ap.Add("token", "only for kind bearer")
		}
		if a.ReplayWindow < config.Duration(time.Second) {
			ap.Add("replay_window", "must be at least 1s")
		}
		if a.SignatureHeader == a.TimestampHeader {
			ap.Add("timestamp_header", "must differ from signature_header")
		}
	case AuthBearer:
		if !a.Token.IsSet() {
			ap.Add("token", "required for kind bearer")
		}
		if a.Secret.IsSet() {
			ap.Add("secret", "only for kind hmac")
		}
		if a.SignatureHeader != "" || a.TimestampHeader != "" || a.ReplayWindow != 0 {
			ap.Add("kind", "signature_header, timestamp_header and replay_window are for kind hmac")
		}
	case "":
		ap.Add("kind", "required: hmac or bearer")
	default:
		ap.Add("kind", "%q is not hmac or bearer", a.Kind)
	}
	if s.Format == FormatTemplate {
		t, tp := s.Template, p.At("template")
		switch event.Direction(t.Direction) {
		case event.DirectionIn:
			if t.To == "" && s.DeviceNumber == "" {
				tp.Add("to", "set to, or the source's device_number, so incoming messages reach a person")
			}
		case event.DirectionOut:
			// From falls back to device_number; checked per message.
			if t.To == "" {
				tp.Add("to", "required for direction out: the field with the recipient")
			}
		default:
			tp.Add("direction", "%q is not in or out", t.Direction)
		}
		for _, f := range []struct{ key, val string }{{"from", t.From}, {"to", t.To}, {"text", t.Text}, {"time", t.Time}, {"id", t.ID}} {
			if f.val != "" && !validFieldPath(f.val) {
				tp.Add(f.key, "%q is not a field name or dotted path", f.val)
			}
		}
	} else if s.Template != (TemplateConfig{}) {
		p.Add("template", "only for format template")
	}
	s.RateLimit.validate(p.At("rate_limit"))
}

func validFieldPath(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
	}
	return true
}
