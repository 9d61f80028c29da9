package notify

import (
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/internal/config"
)

// Defaults of [Config].
const (
	DefaultGroupWindow        = 30 * time.Minute
	DefaultAckTimeout         = 10 * time.Minute
	DefaultAckTTL             = 72 * time.Hour
	DefaultStaleAfter         = 24 * time.Hour
	DefaultMaxSegments        = 3
	DefaultTwilioTimeout      = 10 * time.Second
	DefaultSMTPTimeout        = 30 * time.Second
	DefaultWebhookTimeout     = 10 * time.Second
	DefaultVoiceLanguage      = "ja-JP"
	DefaultVoiceRepeat        = 2
	DefaultRouteConcurrency   = 4
	DefaultDeliverConcurrency = 16
	DefaultTimerInterval      = 2 * time.Second
	DefaultRecordTTL          = 90 * 24 * time.Hour
	DefaultSendTimeout        = 30 * time.Second
	DefaultAckWait            = 60 * time.Second
	DefaultMaxDeliver         = 30
	DefaultTwilioAPI          = "https://api.twilio.com"
	// HandlerMargin is the room a delivery needs beyond send_timeout for
	// reading and writing its delivery record (see
	// [WorkerConfig.HandlerTimeout]).
	HandlerMargin = time.Second
)

// Config is the notify section of the configuration: providers, grouping,
// escalation defaults, acknowledgement links and the worker's knobs. Who is
// told what is configured per person ([PersonConfig]).
//
//	notify:
//	  twilio: {...}
//	  smtp: {...}
//	  webhook: {...}
//	  ack: {...}
//	  grouping: {window: 30m}
//	  escalation: {ack_timeout: 10m}
//	  sms: {max_segments: 3}
//	  stale_after: 24h
//	  shadow: false
//	  worker: {...}
type Config struct {
	// Shadow replaces every channel with the console (or the recorder the
	// program supplies) and keeps delivery state apart from the real one,
	// so replayed or candidate verdicts reach nobody. Default false.
	Shadow bool `yaml:"shadow"`
	// Twilio configures SMS and voice calls. Unset account_sid: no SMS.
	Twilio TwilioConfig `yaml:"twilio"`
	// SMTP configures e-mail. Unset host: no e-mail.
	SMTP SMTPConfig `yaml:"smtp"`
	// Webhook holds defaults for signed JSON webhooks.
	Webhook WebhookConfig `yaml:"webhook"`
	// Ack configures signed acknowledgement links and their listener.
	Ack AckConfig `yaml:"ack"`
	// Grouping folds repeats of one lure into one alert.
	Grouping GroupingConfig `yaml:"grouping"`
	// Escalation holds defaults for urgent alerts nobody acknowledges.
	Escalation EscalationDefaults `yaml:"escalation"`
	// SMS shapes text messages.
	SMS SMSConfig `yaml:"sms"`
	// StaleAfter: a verdict on a message ingested (or, without that,
	// received) longer ago than this is recorded but alerts nobody, so a
	// replay of old verdicts cannot wake a family. Ingest time, not the
	// sender's Date header, which a fraudster sets. Default 24h.
	StaleAfter config.Duration `yaml:"stale_after"`
	// Worker tunes the notify worker.
	Worker WorkerConfig `yaml:"worker"`
}

// TwilioConfig configures Twilio SMS and voice. The account SID and auth
// token come only from the configured environment variables or files,
// never from twilio-go's own TWILIO_* environment fallback.
type TwilioConfig struct {
	// AccountSID is the account (AC...), as {env: NAME} or {file: PATH}.
	// Unset disables SMS and voice.
	AccountSID config.Secret `yaml:"account_sid"`
	// AuthToken is the account's auth token, {env} or {file}. Required
	// with account_sid.
	AuthToken config.Secret `yaml:"auth_token"`
	// From is the sending number in E.164 form ("+815012345678") or an
	// alphanumeric sender id. One of from and messaging_service_sid is
	// required.
	From string `yaml:"from"`
	// MessagingServiceSID (MG...) sends through a messaging service.
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// StatusCallback is an optional URL Twilio reports delivery status to.
	StatusCallback string `yaml:"status_callback"`
	// Timeout bounds one API call. Default 10s.
	Timeout config.Duration `yaml:"timeout"`
	// APIBaseURL replaces https://api.twilio.com, for an API proxy or a
	// local fake (the demo). Default https://api.twilio.com.
	APIBaseURL string `yaml:"api_base_url"`
	// Voice configures calls for urgent alerts.
	Voice VoiceConfig `yaml:"voice"`
}

// VoiceConfig configures Twilio voice calls.
type VoiceConfig struct {
	// Enabled allows calls to contacts that have voice: true, for urgent
	// alerts and escalations. Default false.
	Enabled bool `yaml:"enabled"`
	// From is the calling number in E.164 form; default twilio.from (which
	// must then be a number).
	From string `yaml:"from"`
	// Language of the text to speech. Default ja-JP.
	Language string `yaml:"language"`
	// Voice names a Twilio voice, such as "Polly.Mizuki"; empty uses
	// Twilio's default for the language.
	Voice string `yaml:"voice"`
	// Repeat is how many times the message is spoken. Default 2.
	Repeat int `yaml:"repeat"`
}

// Configured reports whether Twilio is set up (an account SID is given).
func (c TwilioConfig) Configured() bool { return c.AccountSID.IsSet() }

// VoiceFrom is the number calls come from.
func (c TwilioConfig) VoiceFrom() string {
	if c.Voice.From != "" {
		return c.Voice.From
	}
	return c.From
}

// SMTP transport security modes.
const (
	TLSStartTLS = "starttls"
	TLSImplicit = "implicit"
	TLSNone     = "none"
)

// Mail charsets.
const (
	CharsetUTF8      = "utf-8"
	CharsetISO2022JP = "iso-2022-jp"
)

// SMTPConfig configures e-mail alerts through a relay.
type SMTPConfig struct {
	// Host is the relay. Unset disables e-mail.
	Host string `yaml:"host"`
	// Port defaults to 587 for starttls, 465 for implicit and 25 for none.
	Port int `yaml:"port"`
	// TLS is starttls (default), implicit, or none; none is allowed only
	// for a loopback host.
	TLS string `yaml:"tls"`
	// Username and Password authenticate with AUTH PLAIN, only over TLS
	// (or loopback). Both or neither.
	Username string        `yaml:"username"`
	Password config.Secret `yaml:"password"`
	// From is the sender, "Name <address>" or an address. Required.
	From string `yaml:"from"`
	// Charset of subject and body: utf-8 (default) or iso-2022-jp (with a
	// per-message fallback to utf-8 for characters it cannot encode).
	Charset string `yaml:"charset"`
	// Timeout bounds one delivery (connect to final reply). Default 30s.
	Timeout config.Duration `yaml:"timeout"`
	// CAFile is a PEM bundle to trust instead of the system roots.
	CAFile string `yaml:"ca_file"`
	// ServerName overrides the name checked in the relay's certificate.
	ServerName string `yaml:"server_name"`
	// HeloName is the name given in EHLO. Default "localhost".
	HeloName string `yaml:"helo_name"`
}

// Configured reports whether e-mail is set up.
func (c SMTPConfig) Configured() bool { return c.Host != "" }

// WebhookConfig holds defaults for webhooks (contacts' and the helpdesk's).
type WebhookConfig struct {
	// Secret is the default HMAC-SHA256 signing key for targets that have
	// none of their own. Every target needs one or the other.
	Secret config.Secret `yaml:"secret"`
	// Timeout bounds one POST. Default 10s.
	Timeout config.Duration `yaml:"timeout"`
	// AllowHTTP permits plain http:// URLs on non-loopback hosts. Default
	// false: only https, and http to loopback.
	AllowHTTP bool `yaml:"allow_http"`
}

// AckConfig configures acknowledgement links.
type AckConfig struct {
	// PublicURL is the base of links in alerts, such as
	// "https://scamscreen.example.jp"; the server answers on /ack/<token>.
	// Empty: no links (contacts acknowledge by replying to the SMS).
	PublicURL string `yaml:"public_url"`
	// Listen is the host:port of the acknowledgement listener. Required
	// with public_url.
	Listen string `yaml:"listen"`
	// Key signs the links (HMAC-SHA256), {env} or {file}; at least 16
	// bytes. Required with public_url.
	Key config.Secret `yaml:"key"`
	// TTL is how long a link stays valid. Default 72h.
	TTL config.Duration `yaml:"ttl"`
	// OneClick makes opening the link acknowledge at once. Default false:
	// the page asks for one tap (a POST), so link previews in messaging
	// apps cannot acknowledge for the contact.
	OneClick bool `yaml:"one_click"`
	// SMSAck is how an SMS alert asks to be acknowledged: reply (default:
	// a reply, which SMS ingest turns into an acknowledgement; the link is
	// left to e-mail and webhooks to keep the SMS short), link (the link
	// only, when replies do not reach SMS ingest), or both.
	SMSAck string `yaml:"sms_ack"`
}

// SMS acknowledgement modes ([AckConfig.SMSAck]).
const (
	SMSAckReply = "reply"
	SMSAckLink  = "link"
	SMSAckBoth  = "both"
)

// Enabled reports whether acknowledgement links are configured.
func (c AckConfig) Enabled() bool { return c.PublicURL != "" }

// GroupingConfig configures folding repeats of one lure.
type GroupingConfig struct {
	// Window is how long after the first alert of a lure (same sender,
	// call-back number or link domain) repeats are folded into it. When it
	// closes, recipients get one summary with the count. Default 30m.
	Window config.Duration `yaml:"window"`
	// Disabled turns grouping off: every verdict alerts on its own.
	Disabled bool `yaml:"disabled"`
}

// EscalationDefaults holds defaults for every person's escalation.
type EscalationDefaults struct {
	// AckTimeout is how long an urgent alert may stay unacknowledged before
	// the next step. Default 10m.
	AckTimeout config.Duration `yaml:"ack_timeout"`
	// Helpdesk is the last step for people without one of their own
	// (ISP deployments). Optional.
	Helpdesk *WebhookTarget `yaml:"helpdesk"`
	// HelpdeskLanguage is the language of helpdesk alerts. Default ja.
	HelpdeskLanguage string `yaml:"helpdesk_language"`
}

// SMSConfig shapes SMS texts.
type SMSConfig struct {
	// MaxSegments is the budget of a trusted contact's SMS; the excerpt and
	// reasons are trimmed to fit, never the action line. Default 3.
	MaxSegments int `yaml:"max_segments"`
}

// WorkerConfig tunes the notify worker.
type WorkerConfig struct {
	// RouteConcurrency is the number of verdicts routed at once. Default 4.
	RouteConcurrency int `yaml:"route_concurrency"`
	// DeliverConcurrency is the number of sends in flight. Default 16.
	DeliverConcurrency int `yaml:"deliver_concurrency"`
	// TimerInterval is how often due timers (quiet hours, group summaries,
	// escalations) are checked. Default 2s.
	TimerInterval config.Duration `yaml:"timer_interval"`
	// RecordTTL is how long delivery records are kept; a job delivered
	// again within it is not sent twice. Keep it at least as long as the
	// VERDICTS and ALERTS streams keep messages. Default 90d.
	RecordTTL config.Duration `yaml:"record_ttl"`
	// SendTimeout bounds one delivery attempt including the provider call.
	// Default 30s.
	SendTimeout config.Duration `yaml:"send_timeout"`
	// AckWait is the JetStream ack wait of the worker's consumers. Two
	// thirds of it is the time one message may be handled
	// ([WorkerConfig.HandlerTimeout]), which must exceed send_timeout by
	// [HandlerMargin]. Default 60s.
	AckWait config.Duration `yaml:"ack_wait"`
	// MaxDeliver is how often a job is tried before it is dead-lettered;
	// with the bus's default backoff 30 tries span about 25 minutes of a
	// provider outage. Default 30.
	MaxDeliver int `yaml:"max_deliver"`
}

// HandlerTimeout is how long the worker's consume loops let one message be
// handled before they cancel it: two thirds of ack_wait, so that the
// acknowledgement still reaches the server in time. A delivery must fit
// into it: send_timeout for the provider call plus [HandlerMargin] for the
// delivery record around it.
func (w WorkerConfig) HandlerTimeout() time.Duration { return w.AckWait.Std() * 2 / 3 }

// DefaultConfig returns a Config with every default filled in and no
// provider configured.
func DefaultConfig() Config {
	var c Config
	c.ApplyDefaults()
	return c
}

// ApplyDefaults fills every zero field with its default.
func (c *Config) ApplyDefaults() {
	setDur := func(d *config.Duration, v time.Duration) {
		if *d == 0 {
			*d = config.Duration(v)
		}
	}
	setDur(&c.Twilio.Timeout, DefaultTwilioTimeout)
	if c.Twilio.APIBaseURL == "" {
		c.Twilio.APIBaseURL = DefaultTwilioAPI
	}
	if c.Twilio.Voice.Language == "" {
		c.Twilio.Voice.Language = DefaultVoiceLanguage
	}
	if c.Twilio.Voice.Repeat == 0 {
		c.Twilio.Voice.Repeat = DefaultVoiceRepeat
	}
	if c.SMTP.TLS == "" {
		c.SMTP.TLS = TLSStartTLS
	}
	if c.SMTP.Port == 0 {
		switch c.SMTP.TLS {
		case TLSImplicit:
			c.SMTP.Port = 465
		case TLSNone:
			c.SMTP.Port = 25
		default:
			c.SMTP.Port = 587
		}
	}
	if c.SMTP.Charset == "" {
		c.SMTP.Charset = CharsetUTF8
	}
	c.SMTP.Charset = strings.ToLower(c.SMTP.Charset)
	if c.SMTP.HeloName == "" {
		c.SMTP.HeloName = "localhost"
	}
	setDur(&c.SMTP.Timeout, DefaultSMTPTimeout)
	setDur(&c.Webhook.Timeout, DefaultWebhookTimeout)
	setDur(&c.Ack.TTL, DefaultAckTTL)
	if c.Ack.SMSAck == "" {
		c.Ack.SMSAck = SMSAckReply
	}
	setDur(&c.Grouping.Window, DefaultGroupWindow)
	setDur(&c.Escalation.AckTimeout, DefaultAckTimeout)
	if c.Escalation.HelpdeskLanguage == "" {
		c.Escalation.HelpdeskLanguage = "ja"
	}
	if c.SMS.MaxSegments == 0 {
		c.SMS.MaxSegments = DefaultMaxSegments
	}
	setDur(&c.StaleAfter, DefaultStaleAfter)
	if c.Worker.RouteConcurrency == 0 {
		c.Worker.RouteConcurrency = DefaultRouteConcurrency
	}
	if c.Worker.DeliverConcurrency == 0 {
		c.Worker.DeliverConcurrency = DefaultDeliverConcurrency
	}
	setDur(&c.Worker.TimerInterval, DefaultTimerInterval)
	setDur(&c.Worker.RecordTTL, DefaultRecordTTL)
	setDur(&c.Worker.SendTimeout, DefaultSendTimeout)
	setDur(&c.Worker.AckWait, DefaultAckWait)
	if c.Worker.MaxDeliver == 0 {
		c.Worker.MaxDeliver = DefaultMaxDeliver
	}
}

// Validate checks c with its defaults applied and reports every problem
// with its path below the notify section (such as "twilio.from"). It does
// not read secrets; constructors do, and fail when they are missing.
func (c Config) Validate() error {
	c.ApplyDefaults()
	var p config.Problems
	c.Twilio.validate(p.At("twilio"))
	c.SMTP.validate(p.At("smtp"))
	if c.Webhook.Timeout <= 0 {
		p.Add("webhook.timeout", "must be positive")
	}
	c.Ack.validate(p.At("ack"))
	if c.Grouping.Window < 0 {
		p.Add("grouping.window", "must not be negative")
	}
	if c.Escalation.AckTimeout <= 0 {
		p.Add("escalation.ack_timeout", "must be positive")
	}
	if c.Escalation.Helpdesk != nil {
		c.Escalation.Helpdesk.validate(p.At("escalation", "helpdesk"), c.Webhook)
	}
	if !validLanguage(c.Escalation.HelpdeskLanguage) {
		p.Add("escalation.helpdesk_language", "%q is not ja or en", c.Escalation.HelpdeskLanguage)
	}
	if c.SMS.MaxSegments < 1 || c.SMS.MaxSegments > 10 {
		p.Add("sms.max_segments", "must be between 1 and 10")
	}
	if c.StaleAfter < 0 {
		p.Add("stale_after", "must not be negative")
	}
	w := p.At("worker")
	if c.Worker.RouteConcurrency < 1 {
		w.Add("route_concurrency", "must be at least 1")
	}
	if c.Worker.DeliverConcurrency < 1 {
		w.Add("deliver_concurrency", "must be at least 1")
	}
	if c.Worker.TimerInterval <= 0 {
		w.Add("timer_interval", "must be positive")
	}
	if c.Worker.RecordTTL < config.Duration(24*time.Hour) {
		w.Add("record_ttl", "must be at least 1d: a shorter record lets a redelivered job send again")
	}
	if c.Worker.SendTimeout <= 0 {
		w.Add("send_timeout", "must be positive")
	}
	if c.Worker.AckWait <= c.Worker.SendTimeout {
		w.Add("ack_wait", "must be longer than send_timeout (%s)", c.Worker.SendTimeout)
	} else if c.Worker.SendTimeout > 0 && c.Worker.HandlerTimeout() < c.Worker.SendTimeout.Std()+HandlerMargin {
		w.Add("ack_wait", "must be at least %s: a delivery may run for two thirds of ack_wait (%s), which must exceed send_timeout (%s) by %s",
			config.Duration((c.Worker.SendTimeout.Std()+HandlerMargin)*3/2), config.Duration(c.Worker.HandlerTimeout().Round(time.Millisecond)), c.Worker.SendTimeout, config.Duration(HandlerMargin))
	}
	if c.Worker.MaxDeliver < 2 {
		w.Add("max_deliver", "must be at least 2")
	}
	return p.Err()
}

func (c TwilioConfig) validate(p *config.Problems) {
	if !c.AccountSID.IsSet() {
		if c.AuthToken.IsSet() || c.From != "" || c.MessagingServiceSID != "" || c.Voice.Enabled {
			p.Add("account_sid", "required when twilio is configured")
		}
		return
	}
	if !c.AuthToken.IsSet() {
		p.Add("auth_token", "required with account_sid")
	}
	switch {
	case c.From == "" && c.MessagingServiceSID == "":
		p.Add("from", "required (or messaging_service_sid)")
	case c.From != "" && !validSender(c.From):
		p.Add("from", "want an E.164 number (+815012345678) or an alphanumeric sender id of up to 11 characters")
	}
	if c.MessagingServiceSID != "" && !validSID("MG", c.MessagingServiceSID) {
		p.Add("messaging_service_sid", "want MG followed by 32 hex digits")
	}
	if c.StatusCallback != "" && !validHTTPURL(c.StatusCallback, true) {
		p.Add("status_callback", "want an https:// URL")
	}
	if c.Timeout <= 0 {
		p.Add("timeout", "must be positive")
	}
	if u, err := url.Parse(c.APIBaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		p.Add("api_base_url", "want an http(s):// URL")
	} else if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		p.Add("api_base_url", "plain http is allowed only to a loopback address")
	}
	if c.Voice.Enabled {
		if from := c.VoiceFrom(); !strings.HasPrefix(from, "+") || !validSender(from) {
			p.Add("voice.from", "calls need an E.164 number (voice.from or from)")
		}
		if c.Voice.Repeat < 1 || c.Voice.Repeat > 5 {
			p.Add("voice.repeat", "must be between 1 and 5")
		}
	}
}

func (c SMTPConfig) validate(p *config.Problems) {
	if c.Host == "" {
		if c.From != "" || c.Username != "" || c.Password.IsSet() {
			p.Add("host", "required when smtp is configured")
		}
		return
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopbackHost(c.Host) {
			p.Add("tls", "none is allowed only for a loopback host; use starttls or implicit")
		}
	default:
		p.Add("tls", "%q is not starttls, implicit or none", c.TLS)
	}
	if c.Port < 1 || c.Port > 65535 {
		p.Add("port", "must be between 1 and 65535")
	}
	if (c.Username == "") != !c.Password.IsSet() {
		p.Add("username", "username and password go together")
	}
	if c.From == "" {
		p.Add("from", "required")
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		p.Add("from", "not an e-mail address (\"Name <alerts@example.jp>\" or \"alerts@example.jp\")")
	}
	if c.Charset != CharsetUTF8 && c.Charset != CharsetISO2022JP {
		p.Add("charset", "%q is not utf-8 or iso-2022-jp", c.Charset)
	}
	if c.Timeout <= 0 {
		p.Add("timeout", "must be positive")
	}
}

func (c AckConfig) validate(p *config.Problems) {
	switch c.SMSAck {
	case SMSAckReply:
	case SMSAckLink, SMSAckBoth:
		if c.PublicURL == "" {
			p.Add("sms_ack", "%s needs public_url", c.SMSAck)
		}
	default:
		p.Add("sms_ack", "%q is not reply, link or both", c.SMSAck)
	}
	if c.PublicURL == "" {
		if c.Listen != "" || c.Key.IsSet() {
			p.Add("public_url", "required when ack links are configured")
		}
		return
	}
	if !validHTTPURL(c.PublicURL, false) {
		p.Add("public_url", "want an http(s):// URL such as https://scamscreen.example.jp")
	}
	if c.Listen == "" {
		p.Add("listen", "required with public_url")
	} else if _, port, err := net.SplitHostPort(c.Listen); err != nil || port == "" {
		p.Add("listen", "not host:port")
	}
	if !c.Key.IsSet() {
		p.Add("key", "required with public_url")
	}
	if c.TTL <= 0 {
		p.Add("ttl", "must be positive")
	}
}

func validLanguage(l string) bool { return l == "ja" || l == "en" }

// validSender accepts an E.164 number or an alphanumeric sender id.
func validSender(s string) bool {
	if strings.HasPrefix(s, "+") {
		n, err := NormalizePhone(s, "")
		return err == nil && n == s
	}
	if len(s) == 0 || len(s) > 11 {
		return false
	}
	letter := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			letter = true
		case r >= '0' && r <= '9' || r == ' ':
		default:
			return false
		}
	}
	return letter
}

func validSID(prefix, s string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for _, r := range s[2:] {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// validHTTPURL accepts https URLs, and http ones to loopback hosts unless
// httpsOnly.
func validHTTPURL(s string, httpsOnly bool) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		return !httpsOnly || isLoopbackHost(u.Hostname())
	}
	return false
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
