package screen

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/giftcode"
	"github.com/scamscreen/scamscreen/screen/match"
	"github.com/scamscreen/scamscreen/screen/normalize"
	"github.com/scamscreen/scamscreen/screen/phone"
	"github.com/scamscreen/scamscreen/screen/rules"
	"github.com/scamscreen/scamscreen/screen/sender"
	"github.com/scamscreen/scamscreen/screen/urls"
)

// Version is the engine version recorded in every verdict. Bump it when a
// change to this package alone can change verdicts.
const Version = "screen/1"

// Options tune scoring. The zero value of a field means its default.
type Options struct {
	// Suspicious and Scam are the score thresholds (defaults 3 and 6).
	Suspicious float64 `yaml:"suspicious"`
	Scam       float64 `yaml:"scam"`
	// CategoryCap caps the score one category can contribute (default 10).
	CategoryCap float64 `yaml:"category_cap"`
	// ModifierCap caps the total of modifier rules (default 3).
	ModifierCap float64 `yaml:"modifier_cap"`
	// ComboBonus is added when a lure family and a gift-card demand occur
	// together (default 3).
	ComboBonus float64 `yaml:"combo_bonus"`
	// CategoryMin is the score a category needs to be named in a verdict
	// (default 1); the strongest category of a flagged message is always
	// named.
	CategoryMin float64 `yaml:"category_min"`
	// Blocklist holds operator-supplied known fraud numbers and domains.
	Blocklist *Blocklist `yaml:"-"`
}

func (o *Options) defaults() {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.Suspicious, 3)
	def(&o.Scam, 6)
	def(&o.CategoryCap, 10)
	def(&o.ModifierCap, 3)
	def(&o.ComboBonus, 3)
	def(&o.CategoryMin, 1)
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	o.defaults()
	var errs []error
	if o.Suspicious <= 0 || o.Scam <= o.Suspicious {
		errs = append(errs, fmt.Errorf("thresholds must satisfy 0 < suspicious (%v) < scam (%v)", o.Suspicious, o.Scam))
	}
	for name, v := range map[string]float64{"category_cap": o.CategoryCap, "modifier_cap": o.ModifierCap, "combo_bonus": o.ComboBonus, "category_min": o.CategoryMin} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s must be a non-negative number, got %v", name, v))
		}
	}
	return errors.Join(errs...)
}

// Field masks.
const (
	fieldSubject uint8 = 1 << iota
	fieldFrom
	fieldText
	fieldAll = fieldSubject | fieldFrom | fieldText
)

var fieldNames = map[uint8]string{fieldSubject: "subject", fieldFrom: "from", fieldText: "text"}

// posting says what a keyword is to whom.
type posting struct {
	rule int32 // rule index, or brand index for brand names
	term int8  // term index (a regex's prefilter is its last term), termUnless or termBrand
}

const (
	termUnless        int8 = -1
	termBrand         int8 = -2
	termBrandDisguise int8 = -3 // a brand name with its voiced marks dropped (アマソン)
)

// pattern is one distinct folded keyword.
type pattern struct {
	text     string
	boundL   bool // an ASCII word: must not continue a word on the left
	boundR   bool // ... or on the right
	postings []posting
}

// crule is a compiled rule.
type crule struct {
	r        *rules.Rule
	pack     *rules.Pack
	nterms   int
	all      uint32 // mask with one bit per term
	fields   uint8
	re       *regexp.Regexp
	reSpan   int  // longest match of re in bytes, or -1: search whole fields
	reLines  bool // re has line anchors: its search windows are whole lines
	analyzer string
	reason   event.Explained
}

// Engine screens messages. It is immutable and safe for concurrent use.
type Engine struct {
	opts     Options
	set      *rules.Set
	refs     []string
	rules    []crule
	patterns []pattern
	auto     *match.Automaton
	urls     *urls.Analyzer
	sender   *sender.Checker
	brands   []string          // brand names by index
	tokens   map[string]string // skeleton of a brand token → the token
	byName   map[string][]int  // analyzer signal name → rule indices
	pool     sync.Pool
}

// Analyzers lists every analyser signal a rule can name.
func Analyzers() []string {
	var out []string
	for _, k := range urls.Kinds() {
		out = append(out, "url."+k.String())
	}
	for _, k := range sender.Kinds() {
		out = append(out, "sender."+k.String())
	}
	for k := phone.Landline; k <= phone.International; k++ {
		out = append(out, "phone."+k.String())
	}
	out = append(out, "phone.known_fraud")
	for k := giftcode.Amazon; k <= giftcode.Generic; k++ {
		out = append(out, "code."+k.String())
	}
	out = append(out, "text.brand_disguise", "text.brand_link_elsewhere", "url.all_genuine")
	return out
}

// New compiles set into an engine.
func New(set *rules.Set, opts Options) (*Engine, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	opts.defaults()
	var ua urls.Options
	if opts.Blocklist != nil {
		ua.Blocklist = opts.Blocklist.domains
	}
	an, err := urls.NewAnalyzer(set.Brands, ua)
	if err != nil {
		return nil, fmt.Errorf("brands: %w", err)
	}
	e := &Engine{
		opts:   opts,
		set:    set,
		refs:   set.Refs(),
		urls:   an,
		sender: sender.New(an),
		tokens: map[string]string{},
		byName: map[string][]int{},
	}
	known := map[string]bool{}
	for _, n := range Analyzers() {
		known[n] = true
	}
	index := map[string]int{}
	add := func(word string, p posting) {
		f := normalize.String(word)
		i, ok := index[f]
		if !ok {
			i = len(e.patterns)
			index[f] = i
			e.patterns = append(e.patterns, pattern{text: f, boundL: isWordByte(f[0]), boundR: isWordByte(f[len(f)-1])})
		}
		e.patterns[i].postings = append(e.patterns[i].postings, p)
	}
	var problems []string
	for _, p := range set.Packs {
		for i := range p.Rules {
			r := &p.Rules[i]
			ri := len(e.rules)
			cr := crule{r: r, pack: p, fields: fieldAll, reason: event.Explained{JA: r.Explain.JA, EN: r.Explain.EN}}
			if len(r.Fields) > 0 {
				cr.fields = 0
				for _, f := range r.Fields {
					for m, n := range fieldNames {
						if n == f {
							cr.fields |= m
						}
					}
				}
			}
			where := fmt.Sprintf("%s:%d: rule %s", p.File, r.Line, r.ID)
			switch r.Kind() {
			case "analyzer":
				if !known[r.Analyzer] {
					problems = append(problems, fmt.Sprintf("%s: unknown analyzer %q (known: %s)", where, r.Analyzer, strings.Join(Analyzers(), ", ")))
					continue
				}
				cr.analyzer = r.Analyzer
				e.byName[r.Analyzer] = append(e.byName[r.Analyzer], ri)
			default:
				sets := r.TermSets()
				if len(sets) > 30 {
					problems = append(problems, fmt.Sprintf("%s: more than 30 keyword sets", where))
					continue
				}
				for ti, terms := range sets {
					words, _ := p.Expand(terms)
					for _, w := range words {
						add(w, posting{rule: int32(ri), term: int8(ti)})
					}
				}
				cr.nterms = len(sets)
				if r.Regex != "" {
					// The prefilter is one more term that must occur.
					src, err := foldRegex(r.Regex)
					if err == nil {
						cr.re, err = regexp.Compile(src)
					}
					if err == nil {
						cr.reSpan, cr.reLines, err = regexSpan(src)
					}
					if err != nil {
						problems = append(problems, fmt.Sprintf("%s: regex: %v", where, err))
						continue
					}
					words, _ := p.Expand(r.Prefilter)
					for _, w := range words {
						add(w, posting{rule: int32(ri), term: int8(cr.nterms)})
					}
					cr.nterms++
				}
				cr.all = 1<<cr.nterms - 1
			}
			if len(r.Unless) > 0 {
				words, _ := p.Expand(r.Unless)
				for _, w := range words {
					add(w, posting{rule: int32(ri), term: termUnless})
				}
			}
			e.rules = append(e.rules, cr)
		}
	}
	if len(problems) > 0 {
		return nil, &rules.LoadError{Problems: problems}
	}
	for bi, b := range set.Brands {
		e.brands = append(e.brands, b.Name)
		for _, n := range b.Names {
			f := normalize.String(n)
			if utf8.RuneCountInString(f) < 2 {
				continue
			}
			add(n, posting{rule: int32(bi), term: termBrand})
			// Katakana names with their voiced marks dropped ("アマソン") are
			// a known way around filters.
			if d := devoice(f); d != f && utf8.RuneCountInString(d) >= 3 {
				add(d, posting{rule: int32(bi), term: termBrandDisguise})
			}
		}
		for _, t := range b.Tokens {
			if len(t) >= 4 {
				e.tokens[normalize.Skeleton(t)] = t
			}
		}
	}
	texts := make([]string, len(e.patterns))
	for i, p := range e.patterns {
		texts[i] = p.text
	}
	e.auto, err = match.Build(texts)
	if err != nil {
		return nil, fmt.Errorf("compile keywords: %w", err)
	}
	e.pool.New = func() any { return newScratch(len(e.rules)) }
	return e, nil
}

// devoice removes voiced and semi-voiced marks from katakana: ガ→カ, パ→ハ.
func devoice(s string) string {
	var b strings.Builder
	for _, r := range s {
		if d := []rune(norm.NFD.String(string(r))); len(d) == 2 && (d[1] == 0x3099 || d[1] == 0x309A) {
			r = d[0]
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// RulePacks names the packs the engine was built from (name@version+hash).
func (e *Engine) RulePacks() []string { return append([]string(nil), e.refs...) }

// Stats describes the compiled engine.
type Stats struct {
	Rules, Patterns, States int
}

// Stats reports the size of the compiled engine.
func (e *Engine) Stats() Stats {
	return Stats{Rules: len(e.rules), Patterns: len(e.patterns), States: e.auto.States()}
}

// Rules returns the rules the engine was built from.
func (e *Engine) Rules() []*rules.Rule {
	out := make([]*rules.Rule, len(e.rules))
	for i := range e.rules {
		out[i] = e.rules[i].r
	}
	return out
}

// foldRegex rewrites the literals of a regular expression into folded form
// (lower case, katakana, no long-vowel marks ...) because expressions run on
// folded text.
// maxRegexSpan is the longest match, in runes, for which evalRegex
// searches only near the prefilter's hits; a regex that can match more is
// searched through the whole field.
const maxRegexSpan = 1024

// regexSpan returns the most bytes a match of the regular expression src
// can span, or -1 when that is unbounded (a star, a plus, an open repeat),
// over maxRegexSpan runes, or when src anchors at the start or end of the
// text, which only a whole field has. lines reports line anchors (^ and $
// in multi-line mode).
func regexSpan(src string) (span int, lines bool, err error) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return 0, false, err
	}
	var runes func(*syntax.Regexp) int
	runes = func(r *syntax.Regexp) int {
		switch r.Op {
		case syntax.OpLiteral:
			return len(r.Rune)
		case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
			return 1
		case syntax.OpCapture, syntax.OpQuest:
			return runes(r.Sub[0])
		case syntax.OpStar, syntax.OpPlus, syntax.OpBeginText, syntax.OpEndText:
			return -1
		case syntax.OpBeginLine, syntax.OpEndLine:
			lines = true
			return 0
		case syntax.OpRepeat:
			n := runes(r.Sub[0])
			if r.Max < 0 || n < 0 {
				return -1
			}
			return min(n*r.Max, maxRegexSpan+1)
		case syntax.OpConcat, syntax.OpAlternate:
			total := 0
			for _, sub := range r.Sub {
				n := runes(sub)
				if n < 0 {
					return -1
				}
				if r.Op == syntax.OpConcat {
					total = min(total+n, maxRegexSpan+1)
				} else {
					total = max(total, n)
				}
			}
			return total
		default: // \b, \B and the empty match
			return 0
		}
	}
	n := runes(re)
	if n < 0 || n > maxRegexSpan {
		return -1, false, nil
	}
	return n * utf8.UTFMax, lines, nil
}

// foldLiteral folds a literal of a regular expression as the text is
// folded. normalize.String trims the ends, but in a literal such as the
// "for " of `for \$\d` the space separates words; folded text keeps one
// space between words, so edge whitespace becomes one space.
func foldLiteral(lit string) string {
	core := strings.TrimFunc(lit, unicode.IsSpace)
	if core == "" {
		if lit == "" {
			return ""
		}
		return " "
	}
	f := normalize.String(core)
	if core != strings.TrimLeftFunc(lit, unicode.IsSpace) {
		f += " "
	}
	if core != strings.TrimRightFunc(lit, unicode.IsSpace) {
		f = " " + f
	}
	return f
}

func foldRegex(src string) (string, error) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return "", err
	}
	var walk func(*syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		switch r.Op {
		case syntax.OpLiteral:
			r.Rune = []rune(foldLiteral(string(r.Rune)))
			r.Flags &^= syntax.FoldCase
			if len(r.Rune) == 0 {
				r.Op = syntax.OpEmptyMatch
			}
		case syntax.OpCharClass:
			var out []rune
			for i := 0; i+1 < len(r.Rune); i += 2 {
				lo, hi := r.Rune[i], r.Rune[i+1]
				switch {
				case lo >= 'A' && hi <= 'Z':
					out = append(out, lo+32, hi+32)
				case lo >= 0x3041 && hi <= 0x3096:
					out = append(out, lo+0x60, hi+0x60)
				case lo == hi:
					f := []rune(normalize.String(string(lo)))
					if len(f) == 1 {
						out = append(out, f[0], f[0])
					} else {
						out = append(out, lo, hi)
					}
				default:
					out = append(out, lo, hi)
				}
			}
			r.Rune = out
		}
		for _, s := range r.Sub {
			walk(s)
		}
	}
	walk(re)
	return re.String(), nil
}
