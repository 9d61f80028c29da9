package cli

import (
	"errors"
	"fmt"
	"net"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/obs"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/screen"
)

// Config is scamscreen's configuration file. Each section belongs to the
// package that uses it; configs/scamscreen.example.yaml documents every
// field.
type Config struct {
	NATS       bus.Config      `yaml:"nats"`
	Log        obs.LogConfig   `yaml:"log"`
	Admin      AdminConfig     `yaml:"admin"`
	Screening  ScreeningConfig `yaml:"screening"`
	Ingest     IngestConfig    `yaml:"ingest"`
	Notify     notify.Config   `yaml:"notify"`
	Households []Household     `yaml:"households"`
}

// AdminConfig is the listener for /metrics, /healthz and /readyz.
type AdminConfig struct {
	// Listen is host:port; "off" disables it. Default 127.0.0.1:9090.
	Listen string `yaml:"listen"`
}

// ScreeningConfig configures the screen stage.
type ScreeningConfig struct {
	// Rules is a directory of rule packs; empty uses the packs built into
	// the binary. A changed file reloads the packs.
	Rules string `yaml:"rules"`
	// Blocklist is a file of known fraud numbers and domains, one per line.
	Blocklist string `yaml:"blocklist"`
	// Thresholds tune scoring (suspicious: 3, scam: 6, ...).
	Thresholds screen.Options `yaml:"thresholds"`
	// Concurrency is the number of messages each replica screens at once
	// (default 4).
	Concurrency int `yaml:"concurrency"`
}

// IngestConfig holds the ingest stages' global options.
type IngestConfig struct {
	IMAP imap.Config `yaml:"imap"`
	SMS  sms.Config  `yaml:"sms"`
}

// Household is a family (or an ISP customer) with the people it protects.
type Household struct {
	ID     string   `yaml:"id"`
	People []Person `yaml:"people"`
}

// Person is a protected person.
type Person struct {
	ID string `yaml:"id"`
	// Name is how alerts name them ("お母さま" texts use it). Never logged.
	Name string `yaml:"name"`
	// Language of their alerts: ja (default) or en.
	Language string `yaml:"language"`
	// TimeZone is an IANA zone (default Asia/Tokyo).
	TimeZone string `yaml:"time_zone"`
	// Phones are their own numbers: SMS to or from them is theirs.
	Phones []string `yaml:"phones"`
	// Mailboxes are their IMAP accounts.
	Mailboxes []imap.Mailbox `yaml:"mailboxes"`
	// Notify says who hears about lures sent to them, and how: their own
	// warning and their trusted contacts.
	Notify notify.PersonConfig `yaml:"notify"`
}

// Defaults of the top-level sections.
const (
	DefaultAdminListen  = obs.DefaultAdminAddr
	DefaultStoreDir     = "data/nats"
	DefaultLanguage     = "ja"
	DefaultTimeZone     = "Asia/Tokyo"
	DefaultScreeningCon = 4
)

// DefaultConfig is the configuration before the file is read.
func DefaultConfig() Config {
	c := Config{
		NATS:      bus.DefaultConfig(),
		Log:       obs.LogConfig{Level: "info", Format: "auto"},
		Admin:     AdminConfig{Listen: DefaultAdminListen},
		Screening: ScreeningConfig{Concurrency: DefaultScreeningCon},
		Ingest:    IngestConfig{IMAP: imap.DefaultConfig(), SMS: sms.DefaultConfig()},
		Notify:    notify.DefaultConfig(),
	}
	c.NATS.Embedded.StoreDir = DefaultStoreDir
	return c
}

// LoadConfig reads and validates a configuration file.
func LoadConfig(path string) (*Config, error) {
	c := DefaultConfig()
	if err := config.Load(path, &c); err != nil {
		return nil, err
	}
	c.fill()
	return &c, nil
}

// fill applies defaults that depend on what the file said.
func (c *Config) fill() {
	for h := range c.Households {
		for p := range c.Households[h].People {
			pp := &c.Households[h].People[p]
			if pp.Language == "" {
				pp.Language = DefaultLanguage
			}
			if pp.TimeZone == "" {
				pp.TimeZone = DefaultTimeZone
			}
		}
	}
	if c.Screening.Concurrency == 0 {
		c.Screening.Concurrency = DefaultScreeningCon
	}
}

// Validate reports every problem of the configuration at once, with its
// path. It implements config.Validator, so config.Load calls it and gives
// each problem its line.
func (c *Config) Validate() error {
	var p config.Problems
	addBusProblems(&p, c.NATS.Validate())
	p.Merge("log", c.Log.Validate())
	if c.Admin.Listen != "off" {
		if _, _, err := net.SplitHostPort(c.Admin.Listen); err != nil {
			p.Add("admin.listen", "%q is not host:port (or off)", c.Admin.Listen)
		}
	}
	if c.Screening.Concurrency < 0 {
		p.Add("screening.concurrency", "must not be negative")
	}
	p.Merge("screening.thresholds", c.Screening.Thresholds.Validate())
	p.Merge("ingest.imap", c.Ingest.IMAP.Validate())
	p.Merge("ingest.sms", c.Ingest.SMS.Validate())
	dup := c.NATS.Streams.Limits(event.StreamInbound).Duplicates.Std()
	for i, w := range c.Ingest.SMS.ReplayWindows() {
		if w > dup {
			p.Add(fmt.Sprintf("ingest.sms.sources[%d].auth.replay_window", i),
				"%s is longer than the INBOUND duplicate window (%s): a request replayed in between would be stored twice; shorten it or raise nats.streams.duplicates", w, dup)
		}
	}
	p.Merge("notify", c.Notify.Validate())

	households := map[string]int{}
	mailboxes := map[string]string{}
	phones := map[string]string{}
	for hi, h := range c.Households {
		hp := p.At("households", hi)
		if err := event.CheckToken("household id", h.ID); err != nil {
			hp.Add("id", "%v", err)
		} else if prev, dup := households[h.ID]; dup {
			hp.Add("id", "%q is also households[%d]", h.ID, prev)
		}
		households[h.ID] = hi
		if len(h.People) == 0 {
			hp.Add("people", "a household needs at least one person")
		}
		people := map[string]bool{}
		for pi, person := range h.People {
			pp := hp.At("people", pi)
			if err := event.CheckToken("person id", person.ID); err != nil {
				pp.Add("id", "%v", err)
			} else if people[person.ID] {
				pp.Add("id", "%q appears twice in household %s", person.ID, h.ID)
			}
			people[person.ID] = true
			// Language, time zone and the phones' form are checked by
			// notify.Person.Validate below; here only what spans people.
			for ni, n := range person.Phones {
				e164, ok := sms.Normalize(n)
				if !ok {
					if _, err := notify.NormalizePhone(n, ""); err == nil {
						pp.Add(fmt.Sprintf("phones[%d]", ni), "not a number the SMS ingest can match")
					}
					continue
				}
				where := h.ID + "/" + person.ID
				if prev, dup := phones[e164]; dup && prev != where {
					pp.Add(fmt.Sprintf("phones[%d]", ni), "the same number is also %s's", prev)
				}
				phones[e164] = where
			}
			np := notify.Person{Household: h.ID, ID: person.ID, Name: person.Name, Language: person.Language,
				TimeZone: person.TimeZone, Phones: person.Phones, Notify: person.Notify}
			// np.Validate reports at the person's level (language, notify, ...).
			pp.Merge("", np.Validate(c.Notify))
			for mi, m := range person.Mailboxes {
				mp := fmt.Sprintf("mailboxes[%d]", mi)
				pp.Merge(mp, m.Validate())
				if prev, dup := mailboxes[m.ID]; dup && m.ID != "" {
					pp.Add(mp+".id", "%q is also the id of %s", m.ID, prev)
				}
				mailboxes[m.ID] = fmt.Sprintf("households[%d].people[%d].%s", hi, pi, mp)
			}
		}
	}
	if p.Len() == 0 {
		// Every channel a recipient uses needs its provider.
		if dir, err := c.NotifyDirectory(); err != nil {
			p.Merge("notify", err)
		} else {
			provider := map[string]bool{
				notify.ChannelSMS:     c.Notify.Twilio.AccountSID.IsSet(),
				notify.ChannelVoice:   c.Notify.Twilio.AccountSID.IsSet() && c.Notify.Twilio.Voice.Enabled,
				notify.ChannelEmail:   c.Notify.SMTP.Host != "",
				notify.ChannelWebhook: true,
				notify.ChannelConsole: true,
			}
			where := map[string]string{notify.ChannelSMS: "notify.twilio", notify.ChannelVoice: "notify.twilio.voice", notify.ChannelEmail: "notify.smtp"}
			for _, ch := range dir.ChannelsInUse() {
				if !provider[ch] {
					p.Add(where[ch], "recipients receive alerts by %s (a person's own phone or a contact), but it is not configured", ch)
				}
			}
		}
	}
	return p.Err()
}

// addBusProblems records the bus's problems, which carry their own paths
// ("nats.streams.max_age") as joined *bus.FieldError values.
func addBusProblems(p *config.Problems, err error) {
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var fe *bus.FieldError
		if errors.As(e, &fe) {
			p.Add(fe.Path, "%s", fe.Msg)
		} else {
			p.Merge("nats", e)
		}
	}
}

// Accounts are the IMAP accounts of every person.
func (c *Config) Accounts() []imap.Account {
	var out []imap.Account
	for _, h := range c.Households {
		for _, p := range h.People {
			for _, m := range p.Mailboxes {
				out = append(out, imap.Account{Mailbox: m, Household: h.ID, Person: p.ID})
			}
		}
	}
	return out
}

// PhoneEntries are the protected people's numbers for the SMS directory.
func (c *Config) PhoneEntries() []sms.Entry {
	var out []sms.Entry
	for _, h := range c.Households {
		for _, p := range h.People {
			for _, n := range p.Phones {
				out = append(out, sms.Entry{Number: n, Owner: sms.Owner{Household: h.ID, Person: p.ID}})
			}
		}
	}
	return out
}

// NotifyPeople are the protected people as notify needs them.
func (c *Config) NotifyPeople() []notify.Person {
	var out []notify.Person
	for _, h := range c.Households {
		for _, p := range h.People {
			out = append(out, notify.Person{Household: h.ID, ID: p.ID, Name: p.Name, Language: p.Language,
				TimeZone: p.TimeZone, Phones: p.Phones, Notify: p.Notify})
		}
	}
	return out
}

// NotifyDirectory builds the recipients of every person.
func (c *Config) NotifyDirectory() (*notify.Directory, error) {
	return notify.NewDirectory(c.Notify, c.NotifyPeople())
}

// SMSEntries are the numbers SMS ingest knows: the protected people's own,
// and their trusted contacts' (a reply from one acknowledges an alert).
func (c *Config) SMSEntries() ([]sms.Entry, error) {
	out := c.PhoneEntries()
	dir, err := c.NotifyDirectory()
	if err != nil {
		return nil, err
	}
	for number, refs := range dir.ContactPhones() {
		for _, r := range refs {
			out = append(out, sms.Entry{Number: number, Owner: sms.Owner{Household: r.Household, Person: r.Person, Contact: r.Contact}})
		}
	}
	return out, nil
}

// SMSEnabled reports whether anything can reach the SMS listener.
func (c *Config) SMSEnabled() bool {
	return c.Ingest.SMS.Twilio.AuthToken.IsSet() || len(c.Ingest.SMS.Sources) > 0
}
