package urls

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/publicsuffix"
)

// Brand is a protected brand: a company or authority whose name phishing
// borrows. It is decoded from configs/rules/brands.yaml.
type Brand struct {
	// Name is how reasons name the brand ("Amazon", "SMBC"). Unique.
	Name string `yaml:"name"`
	// Kind is the sector.
	Kind BrandKind `yaml:"kind"`
	// Domains are the registrable domains the brand itself links to and
	// sends from (amazon.co.jp, amzn.to). Any host under one of them is
	// genuine. A domain shared by a group (japanpost.jp) may appear under
	// more than one brand; the first one listed owns it for [Analyzer.Genuine].
	Domains []string `yaml:"domains"`
	// MailboxDomains are domains (registrable, or hosts under Domains or
	// registrable on their own) where the brand gives e-mail addresses to the
	// public: gmail.com, icloud.com, docomo.ne.jp. Links there are genuine,
	// but a message from such an address is not from the brand.
	MailboxDomains []string `yaml:"mailbox_domains,omitempty"`
	// Tokens are lower-case Latin words of at least three letters that
	// look-alike domains imitate ("amazon", "amzn"). Unique across brands.
	Tokens []string `yaml:"tokens"`
	// Names are the ways texts refer to the brand, in Latin and Japanese
	// script ("Amazon", "アマゾン", "Amazon.co.jp").
	Names []string `yaml:"names"`
}

// BrandKind is the sector of a brand.
type BrandKind string

// Brand kinds.
const (
	BrandECommerce  BrandKind = "ecommerce"
	BrandBank       BrandKind = "bank"
	BrandCarrier    BrandKind = "carrier"
	BrandUtility    BrandKind = "utility"
	BrandDelivery   BrandKind = "delivery"
	BrandPayment    BrandKind = "payment"
	BrandCard       BrandKind = "card"
	BrandGovernment BrandKind = "government"
	BrandTech       BrandKind = "tech"
)

// Valid reports whether k is one of the known kinds.
func (k BrandKind) Valid() bool {
	switch k {
	case BrandECommerce, BrandBank, BrandCarrier, BrandUtility, BrandDelivery,
		BrandPayment, BrandCard, BrandGovernment, BrandTech:
		return true
	}
	return false
}

// brandFile is the document shape of brands.yaml.
type brandFile struct {
	Brands []Brand `yaml:"brands"`
}

// LoadBrands reads a brand list in the format of configs/rules/brands.yaml:
// a mapping with one key, "brands", holding a sequence of [Brand]. Decoding
// is strict (unknown keys are errors), and every brand is validated: a
// unique name, a known kind, at least one domain, every domain a
// registrable domain under an ICANN suffix written in lower-case ASCII
// (A-labels for IDNs), tokens of at least three letters [a-z0-9] that are
// unique across brands and not filler words, no empty names. Errors carry
// the line number; all problems are reported, joined.
func LoadBrands(r io.Reader) ([]Brand, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read brands: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var file brandFile
	if err := dec.Decode(&file); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("decode brands: empty document")
		}
		return nil, fmt.Errorf("decode brands: %w", err)
	}
	var more yaml.Node
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode brands: more than one YAML document")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("decode brands: %w", err)
	}
	lines := brandLines(&root)
	if len(file.Brands) == 0 {
		return nil, errors.New("brands: no brands")
	}
	if err := validateBrands(file.Brands, lines); err != nil {
		return nil, err
	}
	return file.Brands, nil
}

// nodeLines holds the line of each brand and of each of its list items.
type nodeLines struct {
	brand int
	field map[string][]int // key -> line of each sequence item
}

// brandLines finds the source line of every brand and list item, for
// validation errors.
func brandLines(root *yaml.Node) []nodeLines {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil
	}
	var seq *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "brands" {
			seq = top.Content[i+1]
		}
	}
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]nodeLines, len(seq.Content))
	for i, b := range seq.Content {
		out[i] = nodeLines{brand: b.Line, field: map[string][]int{}}
		if b.Kind != yaml.MappingNode {
			continue
		}
		for k := 0; k+1 < len(b.Content); k += 2 {
			key, val := b.Content[k], b.Content[k+1]
			if val.Kind == yaml.SequenceNode {
				for _, it := range val.Content {
					out[i].field[key.Value] = append(out[i].field[key.Value], it.Line)
				}
			} else {
				out[i].field[key.Value] = []int{val.Line}
			}
		}
	}
	return out
}

func validateBrands(brands []Brand, lines []nodeLines) error {
	var errs []error
	line := func(i int, field string, j int) int {
		if i >= len(lines) {
			return 0
		}
		if ls := lines[i].field[field]; j < len(ls) {
			return ls[j]
		}
		return lines[i].brand
	}
	bad := func(i int, field string, j int, format string, args ...any) {
		where := "brands"
		if l := line(i, field, j); l > 0 {
			where = fmt.Sprintf("brands line %d", l)
		}
		errs = append(errs, fmt.Errorf("%s: brand %q: %s", where, brands[i].Name, fmt.Sprintf(format, args...)))
	}
	names := map[string]int{}
	tokens := map[string]string{}
	skels := map[string]string{}
	for i := range brands {
		b := &brands[i]
		if strings.TrimSpace(b.Name) == "" {
			bad(i, "name", 0, "name is empty")
		} else if j, dup := names[strings.ToLower(b.Name)]; dup {
			bad(i, "name", 0, "name already used by the brand at line %d", line(j, "name", 0))
		} else {
			names[strings.ToLower(b.Name)] = i
		}
		if !b.Kind.Valid() {
			bad(i, "kind", 0, "kind %q is not one of ecommerce, bank, carrier, utility, delivery, payment, card, government, tech", b.Kind)
		}
		if len(b.Domains) == 0 {
			bad(i, "domains", 0, "no domains")
		}
		seen := map[string]bool{}
		for j, d := range b.Domains {
			if err := checkRegistrable(d); err != nil {
				bad(i, "domains", j, "domain %q: %v", d, err)
			}
			if seen[d] {
				bad(i, "domains", j, "domain %q listed twice", d)
			}
			seen[d] = true
		}
		for j, d := range b.MailboxDomains {
			if err := checkMailbox(d, seen); err != nil {
				bad(i, "mailbox_domains", j, "mailbox domain %q: %v", d, err)
			}
		}
		if len(b.Tokens) == 0 {
			bad(i, "tokens", 0, "no tokens")
		}
		for j, t := range b.Tokens {
			switch {
			case !validToken(t):
				bad(i, "tokens", j, "token %q: want at least three characters a-z or 0-9", t)
			case isFiller(t):
				bad(i, "tokens", j, "token %q is a filler word that phishing domains add to brand names", t)
			case tokens[t] != "":
				bad(i, "tokens", j, "token %q already used by brand %q", t, tokens[t])
			default:
				tokens[t] = b.Name
				var sk skeleton
				sk.build(t)
				key := string(sk.skel())
				if other, dup := skels[key]; dup && other != b.Name {
					bad(i, "tokens", j, "token %q looks the same as a token of brand %q", t, other)
				}
				skels[key] = b.Name
			}
		}
		for j, n := range b.Names {
			if strings.TrimSpace(n) == "" {
				bad(i, "names", j, "empty name")
			}
		}
	}
	return errors.Join(errs...)
}

func validToken(t string) bool {
	if len(t) < 3 || len(t) > maxLabel {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// checkRegistrable reports why d is not a canonical registrable domain.
func checkRegistrable(d string) error {
	if err := checkCanonical(d); err != nil {
		return err
	}
	ps, icann := publicsuffix.PublicSuffix(d)
	if !icannTLD(lastLabel(d)) {
		return errors.New("top-level domain is not in the ICANN section of the public suffix list")
	}
	if ps == d {
		return errors.New("is a public suffix itself")
	}
	if !icann {
		return fmt.Errorf("is under the private suffix %q: anyone can register below it", ps)
	}
	if etld1, err := publicsuffix.EffectiveTLDPlusOne(d); err != nil || etld1 != d {
		return fmt.Errorf("not a registrable domain (that would be %q)", etld1)
	}
	return nil
}

// checkMailbox reports why d cannot be a mailbox domain of a brand whose
// genuine domains are in genuine.
func checkMailbox(d string, genuine map[string]bool) error {
	if err := checkCanonical(d); err != nil {
		return err
	}
	if !icannTLD(lastLabel(d)) {
		return errors.New("top-level domain is not in the ICANN section of the public suffix list")
	}
	reg, _, private := registrable(d)
	if reg == "" || private {
		return errors.New("not under a registrable domain")
	}
	if reg != d && !genuine[reg] {
		return fmt.Errorf("a host under %q, which is not one of the brand's domains", reg)
	}
	return nil
}

// checkCanonical reports why d is not in the form Found.Host uses.
func checkCanonical(d string) error {
	a, _, _, ok := canonHost(d, false)
	if !ok {
		return errors.New("not a valid domain name")
	}
	if a != d {
		return fmt.Errorf("write it as %q", a)
	}
	return nil
}
