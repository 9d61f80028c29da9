package mailparse

import (
	"sort"
	"strconv"
	"strings"
)

// maxParams bounds the parameters read from one header value.
const maxParams = 64

// parseMediaValue parses a Content-Type or Content-Disposition value
// leniently: "type/subtype; key=value; ...". It accepts missing or extra
// semicolons, unquoted values with blanks, unterminated quotes, duplicate
// keys (the first wins) and RFC 2231 extended and continued values
// ("filename*0*=iso-2022-jp”%1B%24B...") in any charset we decode. Keys are
// lower-cased; the type is lower-cased with blanks and quotes removed.
func parseMediaValue(raw string, hint charsetHint) (typ string, params map[string]string) {
	v := raw
	if has8bitString(v) || strings.IndexByte(v, 0x1b) >= 0 {
		v, _ = hint.decode([]byte(v))
	}
	rest := ""
	if i := strings.IndexByte(v, ';'); i >= 0 {
		typ, rest = v[:i], v[i+1:]
	} else if i := strings.IndexAny(v, " \t"); i >= 0 && strings.Contains(v[i:], "=") {
		typ, rest = v[:i], v[i+1:] // "text/plain charset=..." with the semicolon missing
	} else {
		typ = v
	}
	typ = strings.ToLower(strings.Trim(strings.TrimSpace(typ), "\"' "))
	typ = strings.Join(strings.Fields(typ), "")
	return typ, parseParams(rest, hint)
}

type paramSeg struct {
	idx int
	ext bool
	val string
}

func parseParams(s string, hint charsetHint) map[string]string {
	params := make(map[string]string)
	var ext map[string][]paramSeg
	n := 0
	for i := 0; i < len(s) && n < maxParams; {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ';') {
			i++
		}
		ks := i
		for i < len(s) && s[i] != '=' && s[i] != ';' && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		key := strings.ToLower(s[ks:i])
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) || s[i] != '=' || key == "" {
			// Not a parameter: skip to the next semicolon.
			for i < len(s) && s[i] != ';' {
				i++
			}
			continue
		}
		i++
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		var val string
		val, i = paramValue(s, i)
		n++
		name, seg, isSeg := splitExtKey(key)
		if isSeg {
			if ext == nil {
				ext = make(map[string][]paramSeg)
			}
			seg.val = val
			ext[name] = append(ext[name], seg)
			continue
		}
		if _, dup := params[key]; !dup {
			params[key] = val
		}
	}
	for name, segs := range ext {
		params[name] = joinExtSegments(segs, hint)
	}
	return params
}

// paramValue reads a quoted or bare value starting at i.
func paramValue(s string, i int) (string, int) {
	if i < len(s) && s[i] == '"' {
		var b strings.Builder
		i++
		for i < len(s) {
			c := s[i]
			if c == '\\' && i+1 < len(s) {
				b.WriteByte(s[i+1])
				i += 2
				continue
			}
			if c == '"' {
				i++
				break
			}
			b.WriteByte(c)
			i++
		}
		return b.String(), i
	}
	start := i
	for i < len(s) && s[i] != ';' {
		if s[i] == ' ' || s[i] == '\t' {
			// A blank ends the value unless what follows is more of it
			// (an unquoted file name with spaces) rather than "key=".
			j := i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			k := j
			for k < len(s) && s[k] != '=' && s[k] != ';' && s[k] != ' ' && s[k] != '\t' {
				k++
			}
			if j == len(s) || s[j] == ';' || (k < len(s) && s[k] == '=') {
				break
			}
			i = j
			continue
		}
		i++
	}
	return strings.TrimSpace(s[start:i]), i
}

// splitExtKey recognises RFC 2231 keys: "name*", "name*0", "name*1*".
func splitExtKey(key string) (name string, seg paramSeg, ok bool) {
	star := strings.IndexByte(key, '*')
	if star <= 0 {
		return "", paramSeg{}, false
	}
	name, rest := key[:star], key[star+1:]
	if rest == "" {
		return name, paramSeg{idx: 0, ext: true}, true
	}
	ext := strings.HasSuffix(rest, "*")
	rest = strings.TrimSuffix(rest, "*")
	idx, err := strconv.Atoi(rest)
	if err != nil || idx < 0 || idx > 999 {
		return "", paramSeg{}, false
	}
	return name, paramSeg{idx: idx, ext: ext}, true
}

// joinExtSegments assembles RFC 2231 continuations and decodes the
// charset named by the first extended segment.
func joinExtSegments(segs []paramSeg, hint charsetHint) string {
	sort.SliceStable(segs, func(a, b int) bool { return segs[a].idx < segs[b].idx })
	var raw []byte
	label := ""
	for i, sg := range segs {
		if i > 0 && sg.idx == segs[i-1].idx {
			continue
		}
		if !sg.ext {
			raw = append(raw, sg.val...)
			continue
		}
		v := sg.val
		if i == 0 {
			// charset'language'value
			if a := strings.IndexByte(v, '\''); a >= 0 {
				if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
					label = v[:a]
					v = v[a+1+b+1:]
				}
			}
		}
		raw = appendPercentDecoded(raw, v)
	}
	if label == "" {
		s, _ := hint.decode(raw)
		return s
	}
	s, _ := decodeText(raw, label, hint.kind)
	return s
}

func appendPercentDecoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		dst = append(dst, s[i])
	}
	return dst
}
