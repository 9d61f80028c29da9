package screen

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/rules"
)

// ExampleMessage turns a rule example into the message it describes. An
// example is an incoming SMS unless it says otherwise or has e-mail parts
// (a subject, an e-mail sender, links, authentication results).
func ExampleMessage(id string, ex rules.Example) *event.Message {
	m := &event.Message{
		V: event.Version, ID: id, Channel: ex.Channel, Direction: ex.Direction,
		Subject: ex.Subject, Text: ex.Text,
	}
	if m.Direction == "" {
		m.Direction = event.DirectionIn
	}
	if m.Channel == "" {
		m.Channel = event.ChannelSMS
		if ex.Subject != "" || strings.Contains(ex.From, "@") || len(ex.Links) > 0 || ex.Auth != nil {
			m.Channel = event.ChannelEmail
		}
	}
	m.From = parseAddress(ex.From)
	if ex.ReplyTo != "" {
		m.ReplyTo = []event.Address{parseAddress(ex.ReplyTo)}
	}
	for _, l := range ex.Links {
		m.Links = append(m.Links, event.Link{Href: l.Href, Text: l.Text})
		m.URLs = append(m.URLs, l.Href)
	}
	if a := ex.Auth; a != nil {
		m.Auth = &event.Auth{SPF: a.SPF, DMARC: a.DMARC}
		if a.DKIM != "" {
			m.Auth.DKIM = []event.DKIMResult{{Result: a.DKIM, Domain: a.DKIMDomain}}
		}
	}
	return m
}

func parseAddress(s string) event.Address {
	s = strings.TrimSpace(s)
	if s == "" {
		return event.Address{}
	}
	if a, err := mail.ParseAddress(s); err == nil {
		return event.Address{Name: a.Name, Addr: a.Address}
	}
	return event.Address{Addr: s}
}

// ExampleFailure is a rule example that did not behave as its rule says.
type ExampleFailure struct {
	Rule    *rules.Rule
	File    string
	Match   bool // a match: example that did not fire (else a no_match that did)
	Example rules.Example
	Fired   []string // the rules that fired on it
}

func (f ExampleFailure) String() string {
	what := "match example did not fire"
	if !f.Match {
		what = "no_match example fired"
	}
	text := f.Example.Text
	if len([]rune(text)) > 60 {
		text = string([]rune(text)[:60]) + "…"
	}
	return fmt.Sprintf("%s:%d: rule %s: %s: %q (fired: %s)", f.File, f.Rule.Line, f.Rule.ID, what, text, strings.Join(f.Fired, ", "))
}

// CheckExamples runs every rule's own examples through the engine and
// returns the ones that failed. Examples is how many ran.
func (e *Engine) CheckExamples() (failures []ExampleFailure, examples int) {
	for i := range e.rules {
		cr := &e.rules[i]
		run := func(ex rules.Example, want bool) {
			examples++
			eng := e
			if len(ex.Blocklist) > 0 {
				bl, err := LoadBlocklist(strings.NewReader(strings.Join(ex.Blocklist, "\n")))
				if err == nil {
					opts := e.opts
					opts.Blocklist = bl
					eng, err = New(e.set, opts)
				}
				if err != nil {
					failures = append(failures, ExampleFailure{Rule: cr.r, File: cr.pack.File, Match: want, Example: ex, Fired: []string{"blocklist: " + err.Error()}})
					return
				}
			}
			v := eng.Screen(ExampleMessage("example", ex))
			var fired []string
			for _, r := range v.Reasons {
				fired = append(fired, r.Rule)
			}
			if slices.Contains(fired, cr.r.ID) != want {
				failures = append(failures, ExampleFailure{Rule: cr.r, File: cr.pack.File, Match: want, Example: ex, Fired: fired})
			}
		}
		for _, ex := range cr.r.Match {
			run(ex, true)
		}
		for _, ex := range cr.r.NoMatch {
			run(ex, false)
		}
	}
	return failures, examples
}
