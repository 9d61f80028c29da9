package notify

import (
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/config"
)

// Consent is what the protected person lets a trusted contact see.
type Consent string

// Consent levels, from least to most.
const (
	// ConsentCategory: only that a suspicious message arrived, when, on
	// which channel, and its lure family. The default.
	ConsentCategory Consent = "category"
	// ConsentReasons adds the (partly masked) sender and the plain-language
	// reasons.
	ConsentReasons Consent = "reasons"
	// ConsentFull adds a redacted excerpt of the message's own words.
	ConsentFull Consent = "full"
)

// Valid reports whether c is a known level.
func (c Consent) Valid() bool {
	return c == ConsentCategory || c == ConsentReasons || c == ConsentFull
}

// Allows reports whether c includes level min.
func (c Consent) Allows(min Consent) bool { return c.rank() >= min.rank() }

func (c Consent) rank() int {
	switch c {
	case ConsentReasons:
		return 2
	case ConsentFull:
		return 3
	case ConsentCategory:
		return 1
	}
	return 0
}

// PersonConfig is the notify block of one protected person: their own
// warnings, their trusted contacts and what happens when nobody
// acknowledges an urgent alert.
//
//	notify:
//	  self: {channels: [sms], min_verdict: suspicious, quiet_hours: "21:00-07:00"}
//	  contacts:
//	    - id: kenji
//	      name: 健二
//	      relation: son
//	      sms: "090-1111-2222"
//	      consent: reasons
//	  escalation: {ack_timeout: 10m}
type PersonConfig struct {
	Self     SelfConfig      `yaml:"self"`
	Contacts []ContactConfig `yaml:"contacts"`
	// Escalation overrides the global escalation defaults for this person.
	Escalation EscalationConfig `yaml:"escalation"`
}

// SelfConfig configures the protected person's own short warnings.
type SelfConfig struct {
	// Channels are sms (to the person's first phone), email, console.
	// Default [sms] when the person has a phone, else none. An explicit
	// empty list turns self warnings off.
	Channels []string `yaml:"channels"`
	// Email is the address for the email channel.
	Email string `yaml:"email"`
	// MinVerdict is the lowest verdict that warns: suspicious (default) or
	// scam.
	MinVerdict event.Level `yaml:"min_verdict"`
	// QuietHours delays non-urgent warnings, in the person's time zone.
	QuietHours QuietHours `yaml:"quiet_hours"`
	// Language is ja or en; default the person's language.
	Language string `yaml:"language"`
}

// ContactConfig is one trusted contact.
type ContactConfig struct {
	// ID is a token ([A-Za-z0-9_-], not "self" or "helpdesk"), unique per
	// person. Required.
	ID string `yaml:"id"`
	// Name is how the protected person knows them ("健二"); alerts to the
	// person say "call 健二さん". Required.
	Name string `yaml:"name"`
	// Relation is free text for the operator ("son", "neighbour").
	Relation string `yaml:"relation"`
	// Language is ja or en; default the person's language.
	Language string `yaml:"language"`
	// TimeZone is an IANA zone for quiet hours; default the person's.
	TimeZone string `yaml:"time_zone"`
	// SMS is a phone number (E.164, or Japanese national form). Replies
	// from it acknowledge alerts.
	SMS string `yaml:"sms"`
	// Voice also calls the SMS number for urgent alerts and escalations,
	// when twilio.voice is enabled. Default false.
	Voice bool `yaml:"voice"`
	// Email is an e-mail address.
	Email string `yaml:"email"`
	// Webhook is a signed JSON webhook (a family chat bot, Slack).
	Webhook *WebhookTarget `yaml:"webhook"`
	// MinVerdict is the lowest verdict that reaches them: suspicious
	// (default) or scam. Urgent alerts reach every contact regardless.
	MinVerdict event.Level `yaml:"min_verdict"`
	// QuietHours delays non-urgent alerts, in TimeZone.
	QuietHours QuietHours `yaml:"quiet_hours"`
	// Order is the position in the escalation order (1 first); default the
	// position in the list. Unique per person.
	Order int `yaml:"order"`
	// Consent is what the protected person lets them see: category
	// (default), reasons or full.
	Consent Consent `yaml:"consent"`
}

// WebhookTarget is a webhook endpoint.
type WebhookTarget struct {
	// URL is the endpoint (https, or http to loopback).
	URL string `yaml:"url"`
	// URLSecret holds the URL instead, {env} or {file}, for endpoints
	// whose URL is itself a credential (Slack incoming webhooks).
	URLSecret config.Secret `yaml:"url_secret"`
	// Secret signs the payload; default notify.webhook.secret.
	Secret config.Secret `yaml:"secret"`
}

// EscalationConfig overrides escalation defaults for one person.
type EscalationConfig struct {
	// AckTimeout: default notify.escalation.ack_timeout.
	AckTimeout config.Duration `yaml:"ack_timeout"`
	// Helpdesk: default notify.escalation.helpdesk.
	Helpdesk *WebhookTarget `yaml:"helpdesk"`
	// Disabled turns escalation off for this person. Default false.
	Disabled bool `yaml:"disabled"`
}

// Person is one protected person as the notify worker needs them: the
// values that live elsewhere in the configuration (ids, name, language,
// time zone, phone numbers) and their notify block. The CLI builds it.
type Person struct {
	Household string
	ID        string
	// Name is how alerts to contacts refer to them ("田中花子").
	Name string
	// Language is ja or en (default ja).
	Language string
	// TimeZone is an IANA zone (default Asia/Tokyo).
	TimeZone string
	// Phones are their own numbers; the first receives self SMS.
	Phones []string
	Notify PersonConfig
}

// ApplyDefaults fills zero fields of c for a person who has a phone or
// not. Contacts' languages and zones are resolved by [NewDirectory].
func (c *PersonConfig) ApplyDefaults(hasPhone bool) {
	if c.Self.Channels == nil {
		if hasPhone {
			c.Self.Channels = []string{ChannelSMS}
		} else {
			c.Self.Channels = []string{}
		}
	}
	if c.Self.MinVerdict == event.LevelUnknown {
		c.Self.MinVerdict = event.LevelSuspicious
	}
	for i := range c.Contacts {
		k := &c.Contacts[i]
		if k.MinVerdict == event.LevelUnknown {
			k.MinVerdict = event.LevelSuspicious
		}
		if k.Consent == "" {
			k.Consent = ConsentCategory
		}
		if k.Order == 0 {
			k.Order = i + 1
		}
	}
}

// Validate checks c for a person who has a phone or not, with defaults
// applied, and reports every problem with its path below the person's
// notify block (such as "contacts[0].sms"). defaults are the global
// settings it falls back on.
func (c PersonConfig) Validate(hasPhone bool, defaults Config) error {
	c.Self.Channels = slices.Clone(c.Self.Channels)
	c.Contacts = slices.Clone(c.Contacts)
	c.ApplyDefaults(hasPhone)
	var p config.Problems
	s := p.At("self")
	for i, ch := range c.Self.Channels {
		switch ch {
		case ChannelSMS:
			if !hasPhone {
				s.At("channels", i).Add("", "sms needs a phone number in the person's phones")
			}
		case ChannelEmail:
			if c.Self.Email == "" {
				s.At("channels", i).Add("", "email needs self.email")
			}
		case ChannelConsole:
		default:
			s.At("channels", i).Add("", "%q is not sms, email or console", ch)
		}
	}
	if c.Self.Email != "" && !validEmail(c.Self.Email) {
		s.Add("email", "not an e-mail address")
	}
	checkLevel(s, "min_verdict", c.Self.MinVerdict)
	if c.Self.Language != "" && !validLanguage(c.Self.Language) {
		s.Add("language", "%q is not ja or en", c.Self.Language)
	}

	ids := map[string]int{}
	orders := map[int]int{}
	for i, k := range c.Contacts {
		cp := p.At("contacts", i)
		switch {
		case k.ID == "":
			cp.Add("id", "required")
		case !event.ValidToken(k.ID):
			cp.Add("id", "use 1-64 characters from A-Z a-z 0-9 _ -")
		case k.ID == RecipientSelf || k.ID == RecipientHelpdesk:
			cp.Add("id", "%q is reserved", k.ID)
		default:
			if j, dup := ids[k.ID]; dup {
				cp.Add("id", "duplicate of contacts[%d]", j)
			}
			ids[k.ID] = i
		}
		if strings.TrimSpace(k.Name) == "" {
			cp.Add("name", "required")
		}
		if k.Language != "" && !validLanguage(k.Language) {
			cp.Add("language", "%q is not ja or en", k.Language)
		}
		if k.TimeZone != "" {
			if _, err := loadZone(k.TimeZone); err != nil {
				cp.Add("time_zone", "%q is not an IANA time zone", k.TimeZone)
			}
		}
		if k.SMS != "" {
			if _, err := NormalizePhone(k.SMS, ""); err != nil {
				cp.Add("sms", "%v", err)
			} else if !defaults.Twilio.Configured() {
				cp.Add("sms", "needs notify.twilio")
			}
		}
		if k.Voice {
			if k.SMS == "" {
				cp.Add("voice", "needs an sms number to call")
			} else if !defaults.Twilio.Voice.Enabled {
				cp.Add("voice", "needs notify.twilio.voice.enabled")
			}
		}
		if k.Email != "" {
			if !validEmail(k.Email) {
				cp.Add("email", "not an e-mail address")
			} else if !defaults.SMTP.Configured() {
				cp.Add("email", "needs notify.smtp")
			}
		}
		if k.Webhook != nil {
			k.Webhook.validate(cp.At("webhook"), defaults.Webhook)
		}
		if k.SMS == "" && k.Email == "" && k.Webhook == nil {
			cp.Add("", "no channel: give sms, email or webhook")
		}
		checkLevel(cp, "min_verdict", k.MinVerdict)
		if k.Order < 1 {
			cp.Add("order", "must be at least 1")
		} else if j, dup := orders[k.Order]; dup {
			cp.Add("order", "same as contacts[%d]", j)
		} else {
			orders[k.Order] = i
		}
		if !k.Consent.Valid() {
			cp.Add("consent", "%q is not category, reasons or full", k.Consent)
		}
	}
	if c.Escalation.AckTimeout < 0 {
		p.Add("escalation.ack_timeout", "must not be negative")
	}
	if c.Escalation.Helpdesk != nil {
		c.Escalation.Helpdesk.validate(p.At("escalation", "helpdesk"), defaults.Webhook)
	}
	return p.Err()
}

func checkLevel(p *config.Problems, path string, l event.Level) {
	if l != event.LevelSuspicious && l != event.LevelScam {
		p.Add(path, "must be suspicious or scam")
	}
}

func (t WebhookTarget) validate(p *config.Problems, defaults WebhookConfig) {
	switch {
	case t.URL != "" && t.URLSecret.IsSet():
		p.Add("url", "give url or url_secret, not both")
	case t.URL == "" && !t.URLSecret.IsSet():
		p.Add("url", "required (or url_secret)")
	case t.URL != "":
		u, err := url.Parse(t.URL)
		switch {
		case err != nil || u.Host == "" || u.User != nil:
			p.Add("url", "not an http(s) URL without credentials")
		case u.Scheme == "https":
		case u.Scheme == "http" && (defaults.AllowHTTP || isLoopbackHost(u.Hostname())):
		default:
			p.Add("url", "want https (plain http only to loopback, or with notify.webhook.allow_http)")
		}
	}
	if !t.Secret.IsSet() && !defaults.Secret.IsSet() {
		p.Add("secret", "required (or notify.webhook.secret)")
	}
}

// Validate checks the person's own values and their notify block, with
// paths below the person (such as "notify.contacts[0].sms").
func (p Person) Validate(defaults Config) error {
	var pr config.Problems
	if err := event.CheckToken("household", p.Household); err != nil {
		pr.Add("household", "not a valid id")
	}
	if err := event.CheckToken("person", p.ID); err != nil {
		pr.Add("id", "not a valid id")
	}
	if p.Language != "" && !validLanguage(p.Language) {
		pr.Add("language", "%q is not ja or en", p.Language)
	}
	if p.TimeZone != "" {
		if _, err := loadZone(p.TimeZone); err != nil {
			pr.Add("time_zone", "%q is not an IANA time zone", p.TimeZone)
		}
	}
	for i, ph := range p.Phones {
		if _, err := NormalizePhone(ph, ""); err != nil {
			pr.At("phones", i).Add("", "%v", err)
		}
	}
	pr.Merge("notify", p.Notify.Validate(len(p.Phones) > 0, defaults))
	return pr.Err()
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// ContactRef names a trusted contact of a protected person.
type ContactRef struct {
	Household string
	Person    string
	Contact   string
}

// String formats r as household/person/contact.
func (r ContactRef) String() string {
	return fmt.Sprintf("%s/%s/%s", r.Household, r.Person, r.Contact)
}
