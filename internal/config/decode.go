package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest configuration file [Load] and [Decode] accept.
const MaxFileSize = 4 << 20

// Validator is implemented by configs that check themselves. [Decode] calls
// Validate after a successful decode and reports its problems with the lines
// they refer to.
type Validator interface {
	Validate() error
}

// Load reads the YAML file at path into into, which must be a non-nil
// pointer, exactly as [Decode] does.
func Load(path string, into any) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	return Decode(f, path, into)
}

// Decode reads one YAML document from r into into, which must be a non-nil
// pointer, typically to a struct already filled with defaults. name is used
// in errors (usually the file name).
//
// Decoding is strict: unknown keys, values of the wrong type, an empty
// document and a second document are errors. All such problems are returned
// together as an [*Error] whose problems carry their line and, where it can
// be found, their path. A syntax error stops decoding and is returned alone.
// On error, into may hold part of the document.
//
// If into implements [Validator] and decoding succeeded, Decode returns the
// problems of Validate with lines found from their paths, in file order;
// problems about values the file does not contain (defaults) come last.
func Decode(r io.Reader, name string, into any) error {
	if v := reflect.ValueOf(into); v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("decode config %s: want a non-nil pointer, got %T", name, into)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("read config %s: %w", name, err)
	}
	if len(data) > MaxFileSize {
		return fileError(name, Problem{Msg: fmt.Sprintf("file is larger than %s", ByteSize(MaxFileSize))})
	}

	root, err := parseOne(data)
	if err != nil {
		return withFile(name, err)
	}
	idx := newIndex(root, reflect.TypeOf(into).Elem())
	if err := decodeStrict(data, into); err != nil {
		return withFile(name, idx.explain(err))
	}
	if v, ok := into.(Validator); ok {
		if err := v.Validate(); err != nil {
			return withFile(name, idx.locate(err))
		}
	}
	return nil
}

// parseOne parses data into a node tree and checks that it holds exactly
// one non-empty document.
func parseOne(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Problems: []Problem{{Msg: "file is empty"}}}
		}
		return nil, &Error{Problems: []Problem{yamlProblem(err.Error())}}
	}
	if isEmptyDoc(&root) {
		return nil, &Error{Problems: []Problem{{Line: root.Line, Msg: "file is empty"}}}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, &Error{Problems: []Problem{yamlProblem(err.Error())}}
	default:
		line := next.Line
		if len(next.Content) > 0 {
			line = next.Content[0].Line
		}
		return nil, &Error{Problems: []Problem{{Line: line, Msg: "a second YAML document; a config file holds exactly one"}}}
	}
	return &root, nil
}

func isEmptyDoc(n *yaml.Node) bool {
	if n.Kind != yaml.DocumentNode {
		return false
	}
	if len(n.Content) == 0 {
		return true
	}
	c := n.Content[0]
	return c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null"
}

// decodeStrict decodes data into into with unknown keys rejected. A panic in
// a custom unmarshaler is turned into an error: bad input never crashes the
// caller.
func decodeStrict(data []byte, into any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decode: panic: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(into)
}

func withFile(name string, err error) error {
	var ce *Error
	if errors.As(err, &ce) {
		return &Error{File: name, Problems: ce.Problems}
	}
	return fmt.Errorf("%s: %w", name, err)
}

func fileError(name string, p Problem) error {
	return &Error{File: name, Problems: []Problem{p}}
}

// NodeError returns an error about the YAML value n for use by UnmarshalYAML
// methods. It is a *yaml.TypeError carrying n's position, so yaml.v3 keeps
// decoding and [Decode] reports it with the others, with its line and path.
// The message must not contain a secret.
func NodeError(n *yaml.Node, format string, args ...any) error {
	return &yaml.TypeError{Errors: []string{
		fmt.Sprintf("line %d column %d: %s", n.Line, n.Column, fmt.Sprintf(format, args...)),
	}}
}

// These parse the messages yaml.v3 produces; its errors carry no structure.
// The tests pin the formats of the pinned version.
var (
	reLine    = regexp.MustCompile(`^(?:yaml: )?line (\d+)(?: column (\d+))?: (.*)$`)
	reUnknown = regexp.MustCompile(`^field (.+) not found in type \S+$`)
	reDup     = regexp.MustCompile(`^field (.+) already set in type \S+$`)
	reDupKey  = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
	reType    = regexp.MustCompile("^cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
)

// yamlProblem turns one yaml.v3 message ("yaml: line 3: ...") into a
// Problem with its line.
func yamlProblem(msg string) Problem {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Msg: strings.TrimPrefix(msg, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	return Problem{Line: line, Msg: m[3]}
}

var tagWords = map[string]string{
	"!!str": "string", "!!int": "integer", "!!float": "number", "!!bool": "boolean",
	"!!null": "null", "!!seq": "list", "!!map": "mapping", "!!timestamp": "timestamp",
	"!!binary": "binary",
}

// index maps a parsed document to paths, to find the path of a line and the
// line of a path.
type index struct {
	root    *yaml.Node
	entries []entry
	goType  reflect.Type // what the document is decoded into
}

// entry is one value in the document: a mapping value (with its key) or a
// list item.
type entry struct {
	path string
	key  *yaml.Node // nil for list items
	val  *yaml.Node
}

func newIndex(root *yaml.Node, goType reflect.Type) *index {
	idx := &index{root: root, goType: goType}
	idx.walk(root, "")
	return idx
}

func (idx *index) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			idx.walk(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := JoinPath(path, Path(k.Value))
			idx.entries = append(idx.entries, entry{path: p, key: k, val: v})
			idx.walk(v, p)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			p := JoinPath(path, Path(i))
			idx.entries = append(idx.entries, entry{path: p, val: v})
			idx.walk(v, p)
		}
	}
	// Aliases are not followed: their target is indexed where it is defined,
	// and following them could loop.
}

// explain turns the error of a strict decode into an *Error with a line and
// path for each problem.
func (idx *index) explain(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return &Error{Problems: []Problem{yamlProblem(err.Error())}}
	}
	ps := make([]Problem, 0, len(te.Errors))
	for _, msg := range te.Errors {
		ps = append(ps, idx.typeProblem(msg))
	}
	return &Error{Problems: ps}
}

func (idx *index) typeProblem(msg string) Problem {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	p := Problem{Line: line, Msg: m[3]}
	if m[2] != "" { // from NodeError: the position is exact.
		col, _ := strconv.Atoi(m[2])
		p.Path = idx.pathAt(line, col)
		return p
	}
	if u := reUnknown.FindStringSubmatch(p.Msg); u != nil {
		p.Path = idx.keyPath(line, u[1])
		p.Msg = fmt.Sprintf("unknown key %q", u[1])
		return p
	}
	if u := reDup.FindStringSubmatch(p.Msg); u != nil {
		p.Path = idx.keyPath(line, u[1])
		p.Msg = fmt.Sprintf("key %q appears more than once", u[1])
		return p
	}
	if u := reDupKey.FindStringSubmatch(p.Msg); u != nil {
		p.Path = idx.keyPath(line, u[1])
		p.Msg = fmt.Sprintf("key %q appears more than once (first on line %s)", u[1], u[2])
		return p
	}
	if u := reType.FindStringSubmatch(p.Msg); u != nil {
		p.Path = idx.typedPath(line, u[1], u[3])
		got := u[1]
		if w, ok := tagWords[got]; ok {
			got = w
		}
		if u[2] != "" {
			got += " " + strconv.Quote(u[2])
		}
		p.Msg = fmt.Sprintf("got %s, want %s", got, u[3])
	}
	return p
}

// keyPath returns the path of the mapping key named key on line.
func (idx *index) keyPath(line int, key string) string {
	for _, e := range idx.entries {
		if e.key != nil && e.key.Line == line && e.key.Value == key {
			return e.path
		}
	}
	return ""
}

// typedPath returns the path of the value on line with tag that decodes
// into the Go type named goType. Several values can share a line (flow
// style); the Go type tells them apart, and the outermost is the fallback.
func (idx *index) typedPath(line int, tag, goType string) string {
	first, found := "", false
	for _, e := range idx.entries {
		if e.val.Line != line || e.val.ShortTag() != tag {
			continue
		}
		if t := goTypeAt(idx.goType, parsePath(e.path)); t != nil && t.String() == goType {
			return e.path
		}
		if !found {
			first, found = e.path, true
		}
	}
	return first
}

// goTypeAt returns the Go type that the value at path decodes into, or nil
// when it cannot tell.
func goTypeAt(t reflect.Type, segs []segment) reflect.Type {
	for _, s := range segs {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Slice, reflect.Array:
			if !s.isIndex {
				return nil
			}
			t = t.Elem()
		case reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			if s.isIndex {
				return nil
			}
			if t = fieldType(t, s.key); t == nil {
				return nil
			}
		default:
			return nil
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// fieldType returns the type of the field of struct t that yaml.v3 decodes
// key into, looking through inlined structs, or nil.
func fieldType(t reflect.Type, key string) reflect.Type {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if r := fieldType(ft, key); r != nil {
					return r
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if name == key {
			return f.Type
		}
	}
	return nil
}

// pathAt returns the path of the value starting at line and column.
func (idx *index) pathAt(line, col int) string {
	for _, e := range idx.entries {
		if e.val.Line == line && e.val.Column == col {
			return e.path
		}
	}
	return ""
}

// locate fills in the lines of validation problems from their paths.
func (idx *index) locate(err error) error {
	var ce *Error
	if !errors.As(err, &ce) {
		return &Error{Problems: []Problem{{Msg: err.Error()}}}
	}
	ps := make([]Problem, len(ce.Problems))
	for i, p := range ce.Problems {
		if p.Line == 0 {
			p.Line = idx.lineOf(p.Path)
		}
		ps[i] = p
	}
	// Read top to bottom like the file; problems with values that are not
	// in the file (defaults) come last, still in path order.
	slices.SortStableFunc(ps, func(a, b Problem) int {
		switch {
		case a.Line == b.Line:
			return 0
		case a.Line == 0:
			return 1
		case b.Line == 0:
			return -1
		}
		return a.Line - b.Line
	})
	return &Error{Problems: ps}
}

// lineOf returns the line of the value at path: the line of its key for a
// mapping value, of the item for a list item. When only a prefix of the path
// exists in the file (a value left at its default), it returns the line of
// the deepest part that does, and 0 for a path that is not there at all.
func (idx *index) lineOf(path string) int {
	n := idx.root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, s := range parsePath(path) {
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			n = n.Alias
		}
		var next *yaml.Node
		switch {
		case s.isIndex && n.Kind == yaml.SequenceNode && s.index < len(n.Content):
			next = n.Content[s.index]
			line = next.Line
		case !s.isIndex && n.Kind == yaml.MappingNode:
			k, v := lookupKey(n, s.key)
			if k != nil {
				next, line = v, k.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

// lookupKey finds key in mapping n, then in the mappings merged into it
// with "<<".
func lookupKey(n *yaml.Node, key string) (k, v *yaml.Node) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i], n.Content[i+1]
		}
		if n.Content[i].ShortTag() == "!!merge" {
			merges = append(merges, n.Content[i+1])
		}
	}
	for _, m := range merges {
		if m.Kind == yaml.AliasNode && m.Alias != nil {
			m = m.Alias
		}
		if m.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(m.Content); i += 2 {
				if m.Content[i].Value == key {
					return m.Content[i], m.Content[i+1]
				}
			}
		}
	}
	return nil, nil
}
