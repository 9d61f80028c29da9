package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Line is the 1-based line in the file the problem refers to, or 0 when
	// it is not known.
	Line int
	// Path locates the offending value by YAML keys and list indexes, such
	// as households[0].people[1].phones[0]. It is empty for problems with
	// the file as a whole.
	Path string
	// Msg says what is wrong, without the path or line.
	Msg string
}

// String formats p as "line L: path: msg", leaving out the parts that are
// unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(p.Line))
		b.WriteString(": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is every problem found in one configuration, returned by [Decode],
// [Load] and [Problems.Err]. Use errors.As to get at the list.
type Error struct {
	// File names the configuration file, or is empty when the problems come
	// from validation outside a file.
	File string
	// Problems holds at least one problem.
	Problems []Problem
}

// Error lists the problems one per line, each prefixed with the file name.
func (e *Error) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if e.File != "" {
			b.WriteString(e.File)
			b.WriteString(": ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Problems collects validation problems so a Validate method can report all
// of them at once. The zero value is ready to use. A Problems returned by
// [Problems.At] shares its parent's list and prefixes every path it is given.
//
// Problems is not safe for concurrent use.
type Problems struct {
	prefix string
	list   *[]Problem
}

func (p *Problems) ensure() {
	if p.list == nil {
		p.list = new([]Problem)
	}
}

// Add records a problem at path, relative to p's own path; an empty path
// means p's path itself. The message is formatted with fmt.Sprintf and
// should not include the path. Never put a secret's value in a message.
func (p *Problems) Add(path string, format string, args ...any) {
	p.ensure()
	*p.list = append(*p.list, Problem{Path: JoinPath(p.prefix, path), Msg: fmt.Sprintf(format, args...)})
}

// At returns a Problems for the value at elems below p's path; see [Path]
// for how elems are written. Problems added to the result are part of p.
func (p *Problems) At(elems ...any) *Problems {
	p.ensure()
	return &Problems{prefix: JoinPath(p.prefix, Path(elems...)), list: p.list}
}

// Merge records the outcome of another validation (typically a nested
// Config's Validate) at path below p's path. A nil err adds nothing. The
// problems of an [*Error] keep their own paths, prefixed; any other error
// becomes one problem carrying its text.
func (p *Problems) Merge(path string, err error) {
	if err == nil {
		return
	}
	p.ensure()
	base := JoinPath(p.prefix, path)
	var ce *Error
	if errors.As(err, &ce) {
		for _, q := range ce.Problems {
			*p.list = append(*p.list, Problem{Line: q.Line, Path: JoinPath(base, q.Path), Msg: q.Msg})
		}
		return
	}
	*p.list = append(*p.list, Problem{Path: base, Msg: err.Error()})
}

// Len reports how many problems have been recorded.
func (p *Problems) Len() int {
	if p.list == nil {
		return 0
	}
	return len(*p.list)
}

// Err returns nil when no problem was recorded, and otherwise an [*Error]
// holding every problem, sorted by path (list indexes in numeric order).
func (p *Problems) Err() error {
	if p.Len() == 0 {
		return nil
	}
	list := slices.Clone(*p.list)
	slices.SortStableFunc(list, func(a, b Problem) int { return comparePaths(a.Path, b.Path) })
	return &Error{Problems: list}
}

// Path builds a field path from its elements: strings are YAML keys and
// integers are list indexes, so Path("households", 0, "people", 1) is
// "households[0].people[1]". Keys that are not made only of letters, digits,
// '_' and '-' are quoted, as in households["tanaka.family"]. Other values are
// formatted with %v and used as keys.
func Path(elems ...any) string {
	var b strings.Builder
	for _, e := range elems {
		switch v := e.(type) {
		case string:
			writeKey(&b, v)
		case int:
			writeIndex(&b, int64(v))
		case int64:
			writeIndex(&b, v)
		case int32:
			writeIndex(&b, int64(v))
		case uint:
			writeIndex(&b, int64(v))
		case uint32:
			writeIndex(&b, int64(v))
		default:
			writeKey(&b, fmt.Sprint(v))
		}
	}
	return b.String()
}

func writeKey(b *strings.Builder, k string) {
	if !bareKey(k) {
		b.WriteByte('[')
		b.WriteString(strconv.Quote(k))
		b.WriteByte(']')
		return
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(k)
}

func writeIndex(b *strings.Builder, i int64) {
	b.WriteByte('[')
	b.WriteString(strconv.FormatInt(i, 10))
	b.WriteByte(']')
}

func bareKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// JoinPath joins a path and a path relative to it: JoinPath("a", "b") is
// "a.b", JoinPath("a", "[0]") is "a[0]", and an empty side yields the other.
func JoinPath(base, rel string) string {
	switch {
	case base == "":
		return rel
	case rel == "":
		return base
	case rel[0] == '[':
		return base + rel
	default:
		return base + "." + rel
	}
}

// segment is one step of a parsed path: a mapping key or a list index.
type segment struct {
	key     string
	index   int
	isIndex bool
}

// parsePath splits a path into segments. It never fails: text it cannot
// read becomes a final key segment.
func parsePath(p string) []segment {
	var segs []segment
	for i := 0; i < len(p); {
		switch p[i] {
		case '.':
			i++
		case '[':
			rest := p[i+1:]
			if strings.HasPrefix(rest, `"`) {
				q, err := strconv.QuotedPrefix(rest)
				if err == nil && strings.HasPrefix(rest[len(q):], "]") {
					k, _ := strconv.Unquote(q) // QuotedPrefix guarantees a valid literal.
					segs = append(segs, segment{key: k})
					i += 1 + len(q) + 1
					continue
				}
			} else if end := strings.IndexByte(rest, ']'); end > 0 {
				if n, err := strconv.Atoi(rest[:end]); err == nil && n >= 0 {
					segs = append(segs, segment{index: n, isIndex: true})
					i += 1 + end + 1
					continue
				}
			}
			return append(segs, segment{key: p[i:]})
		default:
			end := strings.IndexAny(p[i:], ".[")
			if end < 0 {
				end = len(p) - i
			}
			segs = append(segs, segment{key: p[i : i+end]})
			i += end
		}
	}
	return segs
}

// comparePaths orders paths segment by segment, indexes numerically and
// before keys, a prefix before its extensions.
func comparePaths(a, b string) int {
	if a == b {
		return 0
	}
	sa, sb := parsePath(a), parsePath(b)
	for i := 0; i < len(sa) && i < len(sb); i++ {
		x, y := sa[i], sb[i]
		switch {
		case x.isIndex && y.isIndex:
			if c := x.index - y.index; c != 0 {
				return c
			}
		case x.isIndex:
			return -1
		case y.isIndex:
			return 1
		default:
			if c := strings.Compare(x.key, y.key); c != 0 {
				return c
			}
		}
	}
	if c := len(sa) - len(sb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
