package rules

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/scamscreen/scamscreen/event"
)

// Pack is one rule-pack file.
type Pack struct {
	Name        string              `yaml:"pack"`
	Version     string              `yaml:"version"`
	Language    string              `yaml:"language,omitempty"` // "ja", "en", or empty for language-neutral rules
	Description string              `yaml:"description,omitempty"`
	Sets        map[string][]string `yaml:"sets,omitempty"`
	Rules       []Rule              `yaml:"rules"`

	// File is where the pack was loaded from; Hash is a digest of its bytes,
	// so an edit without a version bump still changes the verdict ids.
	File string `yaml:"-"`
	Hash string `yaml:"-"`
}

// Ref is how verdicts name the pack: name@version+hash.
func (p *Pack) Ref() string {
	return p.Name + "@" + p.Version + "+" + p.Hash
}

// Rule is one rule. Exactly one of the kinds (Any/All, Regex, Analyzer) is
// set.
type Rule struct {
	ID       string         `yaml:"id"`
	Category event.Category `yaml:"category"`
	Weight   float64        `yaml:"weight"`
	// Modifier rules (urgency, secrecy, threats) add their weight only to a
	// message that already has other evidence: on their own they flag
	// nothing.
	Modifier bool         `yaml:"modifier,omitempty"`
	Flags    []event.Flag `yaml:"flags,omitempty"`
	Explain  Explanation  `yaml:"explain"`

	Any    Terms   `yaml:"any,omitempty"`
	All    []Terms `yaml:"all,omitempty"`
	Within int     `yaml:"within,omitempty"` // characters of folded text; 0 means anywhere
	Unless Terms   `yaml:"unless,omitempty"`

	Regex     string `yaml:"regex,omitempty"`
	Prefilter Terms  `yaml:"prefilter,omitempty"`

	Analyzer string `yaml:"analyzer,omitempty"`

	// Scope. Channels defaults to both; Direction to "in" ("out" or "any"
	// otherwise); Fields to every text field.
	Channels  []event.Channel `yaml:"channels,omitempty"`
	Direction string          `yaml:"direction,omitempty"`
	Fields    []string        `yaml:"fields,omitempty"`

	Match   []Example `yaml:"match"`
	NoMatch []Example `yaml:"no_match,omitempty"`

	Line int    `yaml:"-"` // line of the rule in its file
	Pack string `yaml:"-"` // name of the pack it came from
}

// Explanation is what a rule means, in words the person it protects can
// act on.
type Explanation struct {
	JA string `yaml:"ja"`
	EN string `yaml:"en"`
}

// Terms is a set of alternatives: keywords, and $name references to the
// pack's sets. In YAML it is a string or a list of strings.
type Terms []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (t *Terms) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*t = Terms{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Terms, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a keyword must be a string", c.Line)
			}
			out = append(out, c.Value)
		}
		*t = out
		return nil
	}
	return fmt.Errorf("line %d: keywords must be a string or a list of strings", n.Line)
}

// Example is a message a rule must (or must not) match. In YAML it is a
// string (the body of an incoming message) or a mapping with the fields
// below.
type Example struct {
	Text      string          `yaml:"text"`
	Subject   string          `yaml:"subject,omitempty"`
	From      string          `yaml:"from,omitempty"` // "Name <addr>" or a phone number
	ReplyTo   string          `yaml:"reply_to,omitempty"`
	Channel   event.Channel   `yaml:"channel,omitempty"`
	Direction event.Direction `yaml:"direction,omitempty"`
	// Links are the anchors of an HTML body: href and visible text.
	Links []ExampleLink `yaml:"links,omitempty"`
	// Auth is what the receiving server recorded.
	Auth *ExampleAuth `yaml:"auth,omitempty"`
	// Blocklist entries (numbers, domains) the example is screened with, for
	// rules that fire only on an operator's list.
	Blocklist []string `yaml:"blocklist,omitempty"`
}

// ExampleLink is an HTML anchor of an example.
type ExampleLink struct {
	Href string `yaml:"href"`
	Text string `yaml:"text"`
}

// ExampleAuth is the Authentication-Results of an example: each result is
// pass, fail, softfail, none ...; DKIMDomain is the d= of the signature.
type ExampleAuth struct {
	SPF        string `yaml:"spf,omitempty"`
	DKIM       string `yaml:"dkim,omitempty"`
	DKIMDomain string `yaml:"dkim_domain,omitempty"`
	DMARC      string `yaml:"dmarc,omitempty"`
}

// UnmarshalYAML accepts a plain string as the text of the example.
func (e *Example) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*e = Example{Text: n.Value}
		return nil
	}
	type plain Example
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*e = Example(p)
	return nil
}

// Kind names what kind of rule r is.
func (r *Rule) Kind() string {
	switch {
	case r.Analyzer != "":
		return "analyzer"
	case r.Regex != "":
		return "regex"
	default:
		return "keywords"
	}
}

// TermSets returns the AND of alternatives of a keyword rule (Any is one set).
func (r *Rule) TermSets() []Terms {
	if len(r.Any) > 0 {
		return append([]Terms{r.Any}, r.All...)
	}
	return r.All
}

// Where says where the rule is defined, for messages to the people who
// maintain packs.
func (r *Rule) Where(file string) string {
	return fmt.Sprintf("%s:%d: rule %s", file, r.Line, r.ID)
}

// AppliesTo reports whether r screens messages of this channel and
// direction.
func (r *Rule) AppliesTo(ch event.Channel, dir event.Direction) bool {
	switch r.Direction {
	case "", "in":
		if dir != event.DirectionIn {
			return false
		}
	case "out":
		if dir != event.DirectionOut {
			return false
		}
	}
	if len(r.Channels) == 0 {
		return true
	}
	for _, c := range r.Channels {
		if c == ch {
			return true
		}
	}
	return false
}

// Expand resolves $set references of terms within pack p.
func (p *Pack) Expand(terms Terms) ([]string, error) {
	var out []string
	for _, t := range terms {
		if name, ok := strings.CutPrefix(t, "$"); ok {
			set, found := p.Sets[name]
			if !found {
				return nil, fmt.Errorf("unknown set $%s", name)
			}
			out = append(out, set...)
			continue
		}
		out = append(out, t)
	}
	return out, nil
}
