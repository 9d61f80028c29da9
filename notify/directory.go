package notify

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/scamscreen/scamscreen/event"
)

// Recipient is someone alerts go to, with everything routing and
// rendering need, resolved from the configuration.
type Recipient struct {
	// ID is RecipientSelf, RecipientHelpdesk or the contact's id.
	ID       string
	Kind     event.RecipientKind
	Name     string
	Relation string
	Language string
	Location *time.Location
	// MinLevel is the lowest verdict that reaches them.
	MinLevel event.Level
	Quiet    QuietHours
	// Order is the escalation position of a contact (1 first).
	Order   int
	Consent Consent
	// Channels are the channels every alert uses, in [Channels] order.
	// Voice is not among them: see Voice.
	Channels []string
	// Voice says urgent alerts and escalations also call their phone.
	Voice bool
	dest  map[string]Destination
}

// Destination returns where alerts over channel go.
func (r *Recipient) Destination(channel string) (Destination, bool) {
	d, ok := r.dest[channel]
	return d, ok
}

// Profile is a protected person with their resolved recipients.
type Profile struct {
	Household string
	Person    string
	Name      string
	Language  string
	Location  *time.Location
	// Self is the person as a recipient; nil when they get no warnings.
	Self *Recipient
	// Contacts are the trusted contacts in escalation order.
	Contacts []*Recipient
	// Helpdesk is the last escalation step; nil when there is none.
	Helpdesk *Recipient
	// AckTimeout is the time between escalation steps.
	AckTimeout time.Duration
	// Escalate is false when escalation is disabled for the person.
	Escalate bool
}

// Recipient returns the recipient with id.
func (p *Profile) Recipient(id string) (*Recipient, bool) {
	switch {
	case id == RecipientSelf:
		return p.Self, p.Self != nil
	case id == RecipientHelpdesk:
		return p.Helpdesk, p.Helpdesk != nil
	}
	for _, c := range p.Contacts {
		if c.ID == id {
			return c, true
		}
	}
	return nil, false
}

// Helper is the contact a warning to the person names as the one to call:
// the first in escalation order, or nil.
func (p *Profile) Helper() *Recipient {
	if len(p.Contacts) == 0 {
		return nil
	}
	return p.Contacts[0]
}

// Directory holds every protected person's profile. It is immutable and
// safe for concurrent use.
type Directory struct {
	profiles map[string]*Profile
	byPhone  map[string][]ContactRef
}

func profileKey(household, person string) string { return household + "\x00" + person }

// NewDirectory validates people against cfg and resolves their profiles:
// phone numbers to E.164, time zones, languages, consent and the
// escalation order. cfg's defaults are applied to a copy. The error lists
// every problem, each prefixed with the person's household/id.
func NewDirectory(cfg Config, people []Person) (*Directory, error) {
	cfg.ApplyDefaults()
	d := &Directory{profiles: make(map[string]*Profile, len(people)), byPhone: map[string][]ContactRef{}}
	var errs []error
	for _, person := range people {
		if err := person.Validate(cfg); err != nil {
			errs = append(errs, fmt.Errorf("person %s/%s: %w", person.Household, person.ID, err))
			continue
		}
		key := profileKey(person.Household, person.ID)
		if _, dup := d.profiles[key]; dup {
			errs = append(errs, fmt.Errorf("person %s/%s: listed twice", person.Household, person.ID))
			continue
		}
		p, err := resolve(cfg, person)
		if err != nil {
			errs = append(errs, fmt.Errorf("person %s/%s: %w", person.Household, person.ID, err))
			continue
		}
		d.profiles[key] = p
		for _, c := range p.Contacts {
			if dst, ok := c.dest[ChannelSMS]; ok {
				d.byPhone[dst.Phone] = append(d.byPhone[dst.Phone], ContactRef{Household: p.Household, Person: p.Person, Contact: c.ID})
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

func resolve(cfg Config, person Person) (*Profile, error) {
	nc := person.Notify
	nc.Self.Channels = slices.Clone(nc.Self.Channels)
	nc.Contacts = slices.Clone(nc.Contacts)
	nc.ApplyDefaults(len(person.Phones) > 0)
	lang := person.Language
	if lang == "" {
		lang = "ja"
	}
	zone := person.TimeZone
	if zone == "" {
		zone = "Asia/Tokyo"
	}
	loc, err := loadZone(zone)
	if err != nil {
		return nil, err
	}
	p := &Profile{
		Household: person.Household,
		Person:    person.ID,
		Name:      person.Name,
		Language:  lang,
		Location:  loc,
		Escalate:  !nc.Escalation.Disabled,
	}
	p.AckTimeout = nc.Escalation.AckTimeout.Std()
	if p.AckTimeout == 0 {
		p.AckTimeout = cfg.Escalation.AckTimeout.Std()
	}

	if len(nc.Self.Channels) > 0 {
		self := &Recipient{
			ID: RecipientSelf, Kind: event.RecipientPerson, Name: person.Name,
			Language: firstNonEmpty(nc.Self.Language, lang), Location: loc,
			MinLevel: nc.Self.MinVerdict, Quiet: nc.Self.QuietHours, Consent: ConsentFull,
			dest: map[string]Destination{},
		}
		for _, ch := range orderChannels(nc.Self.Channels) {
			switch ch {
			case ChannelSMS:
				phone, err := NormalizePhone(person.Phones[0], "")
				if err != nil {
					return nil, fmt.Errorf("phones[0]: %w", err)
				}
				self.dest[ch] = Destination{Name: person.Name, Phone: phone}
			case ChannelEmail:
				self.dest[ch] = Destination{Name: person.Name, Email: nc.Self.Email}
			case ChannelConsole:
				self.dest[ch] = Destination{Name: person.Name}
			}
			self.Channels = append(self.Channels, ch)
		}
		p.Self = self
	}

	for _, k := range nc.Contacts {
		c := &Recipient{
			ID: k.ID, Kind: event.RecipientContact, Name: k.Name, Relation: k.Relation,
			Language: firstNonEmpty(k.Language, lang), Location: loc,
			MinLevel: k.MinVerdict, Quiet: k.QuietHours, Order: k.Order, Consent: k.Consent,
			dest: map[string]Destination{},
		}
		if k.TimeZone != "" {
			if c.Location, err = loadZone(k.TimeZone); err != nil {
				return nil, err
			}
		}
		if k.SMS != "" {
			phone, err := NormalizePhone(k.SMS, "")
			if err != nil {
				return nil, fmt.Errorf("contact %s sms: %w", k.ID, err)
			}
			c.dest[ChannelSMS] = Destination{Name: k.Name, Phone: phone}
			c.Channels = append(c.Channels, ChannelSMS)
			if k.Voice && cfg.Twilio.Voice.Enabled {
				c.dest[ChannelVoice] = Destination{Name: k.Name, Phone: phone}
				c.Voice = true
			}
		}
		if k.Email != "" {
			c.dest[ChannelEmail] = Destination{Name: k.Name, Email: k.Email}
			c.Channels = append(c.Channels, ChannelEmail)
		}
		if k.Webhook != nil {
			c.dest[ChannelWebhook] = webhookDest(k.Name, *k.Webhook)
			c.Channels = append(c.Channels, ChannelWebhook)
		}
		p.Contacts = append(p.Contacts, c)
	}
	slices.SortStableFunc(p.Contacts, func(a, b *Recipient) int { return a.Order - b.Order })

	hd := nc.Escalation.Helpdesk
	if hd == nil {
		hd = cfg.Escalation.Helpdesk
	}
	if hd != nil {
		p.Helpdesk = &Recipient{
			ID: RecipientHelpdesk, Kind: event.RecipientHelpdesk, Name: "helpdesk",
			Language: cfg.Escalation.HelpdeskLanguage, Location: loc,
			MinLevel: event.LevelSuspicious, Consent: ConsentCategory,
			Channels: []string{ChannelWebhook},
			dest:     map[string]Destination{ChannelWebhook: webhookDest("helpdesk", *hd)},
		}
	}
	return p, nil
}

func webhookDest(name string, t WebhookTarget) Destination {
	return Destination{Name: name, URL: t.URL, URLSecret: t.URLSecret, Secret: t.Secret}
}

// orderChannels returns chs in [Channels] order without duplicates.
func orderChannels(chs []string) []string {
	var out []string
	for _, c := range Channels {
		if slices.Contains(chs, c) {
			out = append(out, c)
		}
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// jst is Japan Standard Time, which has no daylight saving: the fallback
// for Asia/Tokyo where the system has no zone database.
var jst = time.FixedZone("JST", 9*60*60)

func loadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err != nil {
		if name == "Asia/Tokyo" || name == "Japan" {
			return jst, nil
		}
		return nil, fmt.Errorf("time zone %q: %w", name, err)
	}
	return loc, nil
}

// Lookup returns the profile of a protected person.
func (d *Directory) Lookup(household, person string) (*Profile, bool) {
	p, ok := d.profiles[profileKey(household, person)]
	return p, ok
}

// ChannelsInUse lists, in [Channels] order, every channel some recipient
// uses (voice included when a contact has it), so a program can check it
// has a channel for each.
func (d *Directory) ChannelsInUse() []string {
	used := map[string]bool{}
	for _, p := range d.profiles {
		rs := append([]*Recipient{p.Self, p.Helpdesk}, p.Contacts...)
		for _, r := range rs {
			if r == nil {
				continue
			}
			for _, c := range r.Channels {
				used[c] = true
			}
			if r.Voice {
				used[ChannelVoice] = true
			}
		}
	}
	var out []string
	for _, c := range Channels {
		if used[c] {
			out = append(out, c)
		}
	}
	return out
}

// Len is the number of protected people.
func (d *Directory) Len() int { return len(d.profiles) }

// ContactsByPhone returns the trusted contacts whose SMS number is phone
// (E.164), so a reply from that number can be taken as an acknowledgement.
// One number may belong to a contact of several people.
func (d *Directory) ContactsByPhone(phone string) []ContactRef {
	return slices.Clone(d.byPhone[phone])
}

// ContactPhones returns every contact SMS number (E.164) with the contacts
// it belongs to: what SMS ingest needs to recognise acknowledgements.
func (d *Directory) ContactPhones() map[string][]ContactRef {
	out := make(map[string][]ContactRef, len(d.byPhone))
	for k, v := range d.byPhone {
		out[k] = slices.Clone(v)
	}
	return out
}
