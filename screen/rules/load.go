package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/normalize"
	"github.com/scamscreen/scamscreen/screen/urls"
)

// BrandsFile is the file of a rule directory that lists the protected
// brands rather than rules.
const BrandsFile = "brands.yaml"

// Fields a rule can be limited to.
var validFields = map[string]bool{"subject": true, "text": true, "from": true}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,79}$`)
	packPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,39}$`)
)

// Set is every pack of a rule directory plus its brand list. It is what an
// engine is built from.
type Set struct {
	Packs  []*Pack
	Brands []urls.Brand
}

// Refs names the packs of s (name@version+hash), sorted; verdicts record it.
func (s *Set) Refs() []string {
	refs := make([]string, 0, len(s.Packs))
	for _, p := range s.Packs {
		refs = append(refs, p.Ref())
	}
	sort.Strings(refs)
	return refs
}

// Rules returns every rule of every pack, in pack and file order.
func (s *Set) Rules() []*Rule {
	var out []*Rule
	for _, p := range s.Packs {
		for i := range p.Rules {
			out = append(out, &p.Rules[i])
		}
	}
	return out
}

// PackOf returns the pack a rule belongs to.
func (s *Set) PackOf(r *Rule) *Pack {
	for _, p := range s.Packs {
		if p.Name == r.Pack {
			return p
		}
	}
	return nil
}

// LoadDir loads every *.yaml file of dir.
func LoadDir(dir string) (*Set, error) {
	return LoadFS(os.DirFS(dir), ".", dir)
}

// LoadFS loads every *.yaml file of dir in fsys; display is the directory
// name used in messages. Every problem of every file is reported at once.
func LoadFS(fsys fs.FS, dir, display string) (*Set, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("rule directory %s: %w", display, err)
	}
	set := &Set{}
	var problems []string
	brandsSeen := false
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		name := path.Join(display, e.Name())
		data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if e.Name() == BrandsFile {
			brandsSeen = true
			b, err := urls.LoadBrands(bytes.NewReader(data))
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", name, err))
				continue
			}
			set.Brands = b
			continue
		}
		p, errs := ParsePack(data, name)
		problems = append(problems, errs...)
		if p != nil {
			set.Packs = append(set.Packs, p)
		}
	}
	if len(set.Packs) == 0 && len(problems) == 0 {
		problems = append(problems, fmt.Sprintf("%s: no rule packs (*.yaml) found", display))
	}
	if !brandsSeen {
		problems = append(problems, fmt.Sprintf("%s: %s is missing: the analysers need the list of protected brands", display, BrandsFile))
	}
	problems = append(problems, crossCheck(set)...)
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	return set, nil
}

// LoadError lists every problem found in a rule directory.
type LoadError struct {
	Problems []string
}

func (e *LoadError) Error() string {
	return fmt.Sprintf("rule packs have %d problem(s):\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// ParsePack decodes and validates one pack file. It returns the pack (nil
// when it could not be decoded) and every problem found, each prefixed with
// file and line.
func ParsePack(data []byte, file string) (*Pack, []string) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Pack
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, []string{file + ": empty file"}
		}
		return nil, yamlProblems(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, []string{file + ": more than one YAML document"}
	}
	// Line numbers of the rules, from a second, untyped decode.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err == nil && len(doc.Content) == 1 {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "rules" && m.Content[i+1].Kind == yaml.SequenceNode {
				for j, item := range m.Content[i+1].Content {
					if j < len(p.Rules) {
						p.Rules[j].Line = item.Line
					}
				}
			}
		}
	}
	sum := sha256.Sum256(data)
	p.File, p.Hash = file, hex.EncodeToString(sum[:4])
	for i := range p.Rules {
		p.Rules[i].Pack = p.Name
	}
	return &p, validatePack(&p)
}

func yamlProblems(file string, err error) []string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			out = append(out, file+": "+strings.TrimPrefix(e, "yaml: "))
		}
		return out
	}
	return []string{file + ": " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

func validatePack(p *Pack) []string {
	var out []string
	add := func(line int, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s:%d: %s", p.File, line, fmt.Sprintf(format, args...)))
	}
	if !packPattern.MatchString(p.Name) {
		add(1, "pack name %q must be 2-40 characters of a-z 0-9 _ -", p.Name)
	}
	if strings.TrimSpace(p.Version) == "" {
		add(1, "pack %s has no version", p.Name)
	}
	if len(p.Rules) == 0 {
		add(1, "pack %s has no rules", p.Name)
	}
	for name, words := range p.Sets {
		for _, w := range words {
			if err := checkKeyword(w); err != nil {
				add(1, "set $%s: %v", name, err)
			}
		}
	}
	ids := map[string]int{}
	for i := range p.Rules {
		r := &p.Rules[i]
		for _, msg := range validateRule(p, r) {
			add(r.Line, "rule %s: %s", r.ID, msg)
		}
		if prev, dup := ids[r.ID]; dup {
			add(r.Line, "rule id %s is also used at line %d", r.ID, prev)
		}
		ids[r.ID] = r.Line
	}
	return out
}

func validateRule(p *Pack, r *Rule) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if !idPattern.MatchString(r.ID) {
		bad("id must be 3-80 characters of a-z 0-9 _ . - (got %q)", r.ID)
	}
	if !r.Category.Valid() {
		bad("category %q is not one of %v", r.Category, event.Categories)
	}
	if r.Weight == 0 || math.IsNaN(r.Weight) || math.IsInf(r.Weight, 0) || math.Abs(r.Weight) > 20 {
		bad("weight %v must be a non-zero number between -20 and 20", r.Weight)
	}
	for _, f := range r.Flags {
		if !f.Valid() {
			bad("flag %q is not one of %v", f, event.Flags)
		}
	}
	if strings.TrimSpace(r.Explain.JA) == "" || strings.TrimSpace(r.Explain.EN) == "" {
		bad("explain needs both ja and en: the person warned must understand why")
	}
	keywords := len(r.Any) > 0 || len(r.All) > 0
	switch {
	case r.Analyzer != "" && (keywords || r.Regex != ""):
		bad("an analyzer rule takes no keywords or regex")
	case r.Analyzer == "" && !keywords && r.Regex == "":
		bad("needs any/all keywords, a regex, or an analyzer")
	}
	for i, terms := range r.TermSets() {
		words, err := p.Expand(terms)
		if err != nil {
			bad("keyword set %d: %v", i+1, err)
			continue
		}
		if len(words) == 0 {
			bad("keyword set %d is empty", i+1)
		}
		for _, w := range words {
			if err := checkKeyword(w); err != nil {
				bad("%v", err)
			}
		}
	}
	for _, terms := range []Terms{r.Unless, r.Prefilter} {
		words, err := p.Expand(terms)
		if err != nil {
			bad("%v", err)
		}
		for _, w := range words {
			if err := checkKeyword(w); err != nil {
				bad("%v", err)
			}
		}
	}
	if r.Within < 0 {
		bad("within must not be negative")
	}
	if r.Within > 0 && len(r.TermSets()) < 2 && r.Regex == "" {
		bad("within only makes sense with two or more keyword sets under all")
	}
	if r.Regex != "" {
		if _, err := regexp.Compile(r.Regex); err != nil {
			bad("regex: %v", err)
		}
		if len(r.Prefilter) == 0 {
			bad("a regex rule needs prefilter keywords (the expression runs only where one occurs)")
		}
	} else if len(r.Prefilter) > 0 {
		bad("prefilter is only for regex rules")
	}
	if r.Analyzer != "" && (len(r.Unless) > 0 || r.Within > 0) {
		bad("unless and within do not apply to analyzer rules")
	}
	switch r.Direction {
	case "", "in", "out", "any":
	default:
		bad("direction %q must be in, out or any", r.Direction)
	}
	for _, c := range r.Channels {
		if !c.Valid() {
			bad("channel %q must be email or sms", c)
		}
	}
	for _, f := range r.Fields {
		if !validFields[f] {
			bad("field %q must be one of subject, text, from", f)
		}
	}
	if len(r.Match) == 0 {
		bad("needs at least one match: example (the rule's own test)")
	}
	for _, ex := range append(append([]Example{}, r.Match...), r.NoMatch...) {
		if ex.Channel != "" && !ex.Channel.Valid() {
			bad("example channel %q must be email or sms", ex.Channel)
		}
		if ex.Direction != "" && !ex.Direction.Valid() {
			bad("example direction %q must be in or out", ex.Direction)
		}
	}
	return out
}

// checkKeyword rejects keywords that fold to something too short to mean
// anything on its own (a single kana or letter would match everywhere).
func checkKeyword(w string) error {
	f := normalize.String(w)
	if utf8.RuneCountInString(f) < 2 {
		return fmt.Errorf("keyword %q folds to %q: too short to match safely", w, f)
	}
	return nil
}

func crossCheck(s *Set) []string {
	var out []string
	names := map[string]string{}
	ids := map[string]string{}
	for _, p := range s.Packs {
		if other, dup := names[p.Name]; dup {
			out = append(out, fmt.Sprintf("%s: pack name %s is also used by %s", p.File, p.Name, other))
		}
		names[p.Name] = p.File
		for _, r := range p.Rules {
			where := fmt.Sprintf("%s:%d", p.File, r.Line)
			if other, dup := ids[r.ID]; dup && other[:strings.LastIndexByte(other, ':')] != p.File {
				out = append(out, fmt.Sprintf("%s: rule id %s is also used at %s", where, r.ID, other))
			}
			ids[r.ID] = where
		}
	}
	sort.Slice(s.Packs, func(i, j int) bool { return s.Packs[i].Name < s.Packs[j].Name })
	return out
}
