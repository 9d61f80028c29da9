package normalize

import (
	"slices"
	"unicode/utf8"
)

// Text is folded text with a map back to the original. Out holds the folded
// UTF-8; for every byte i of Out, Start[i] and End[i] are the byte offsets of
// the original runes that produced it (End exclusive). A Text is reused from
// message to message with [Text.Reset], so folding allocates only when the
// buffers grow.
type Text struct {
	Out   []byte
	Start []int32
	End   []int32

	// Spelled-out words ("a m a z o n"): the separators between single
	// letters of the current run, removed when the run ends with three or
	// more letters.
	runSeps  []int32
	runLen   int
	tokStart int  // Out index of the current word token, -1 when none
	sepAt    int  // Out index of the separator emitted before the current token, -1 when none
	dropped  bool // a separator was dropped (or none emitted) before the current token
}

// Reset empties t and keeps its buffers.
func (t *Text) Reset() {
	t.Out, t.Start, t.End = t.Out[:0], t.Start[:0], t.End[:0]
}

// Len is the number of folded bytes.
func (t *Text) Len() int { return len(t.Out) }

// Span maps the folded bytes Out[s:e] (e > s) back to the original: the
// start of the first rune and the end of the last.
func (t *Text) Span(s, e int) (start, end int) {
	return int(t.Start[s]), int(t.End[e-1])
}

// String folds s into a new string. Rule keywords go through it so that they
// meet message text in the same form.
func String(s string) string {
	var t Text
	t.Append(s, 0)
	return string(t.Out)
}

// AppendBoundary appends a NUL byte that keeps matches of the text before
// from running into the text after (fields of one message share a Text).
// Its offsets are -1.
func (t *Text) AppendBoundary() {
	t.Out = append(t.Out, 0)
	t.Start = append(t.Start, -1)
	t.End = append(t.End, -1)
}

// Append folds src onto t. Offsets recorded are base plus the byte offset in
// src, so several fields can share one Text with their own offsets.
func (t *Text) Append(src string, base int32) {
	tb := tables()
	f := folder{t: t, prev: clsNone, fieldStart: len(t.Out)}
	t.tokStart, t.sepAt, t.runLen, t.runSeps = -1, -1, 0, t.runSeps[:0]

	for i := 0; i < len(src); {
		r := rune(src[i])
		if r < utf8.RuneSelf {
			c, cls := tb.ascii[r], tb.asciiCl[r]
			if cls == clsWord {
				// Fast path: a run of ASCII letters and digits, lower-cased.
				f.word(cls)
				j := i + 1
				for j < len(src) && src[j] < utf8.RuneSelf && tb.asciiCl[src[j]] == clsWord {
					j++
				}
				n := len(t.Out)
				t.Out = append(t.Out, src[i:j]...)
				t.Start = slices.Grow(t.Start, j-i)[:n+j-i]
				t.End = slices.Grow(t.End, j-i)[:n+j-i]
				for k := n; k < len(t.Out); k++ {
					t.Out[k] = tb.ascii[t.Out[k]]
					o := base + int32(i+k-n)
					t.Start[k], t.End[k] = o, o+1
				}
				f.prev = clsWord
				i = j
				continue
			}
			s, e := base+int32(i), base+int32(i)+1
			i++
			if cls == clsOther {
				// One byte out for one byte in.
				f.word(cls)
				t.Out = append(t.Out, c)
				t.Start = append(t.Start, s)
				t.End = append(t.End, e)
				f.prev = cls
				continue
			}
			f.put(tb, r, asciiChars[c:c+1], cls, s, e, src[i:])
			continue
		}
		r, w := decodeRune(src, i)
		s, e := base+int32(i), base+int32(i+w)
		i += w
		ent, ok := tb.lookup(r)
		switch {
		case r == utf8.RuneError && w == 1:
			continue
		case !ok:
			cls := classOf(r)
			if cls == clsHan && !f.pend && t.tokStart < 0 {
				// Fast path: a kanji after anything but a word or a pending
				// separator is emitted as it is.
				t.sepAt = -1
				t.emit(src[i-w:i], s, e)
				f.prev = cls
				continue
			}
			f.put(tb, r, src[i-w:i], cls, s, e, src[i:])
		case ent.many:
			out := tb.pstr[ent.off : ent.off+uint32(ent.n)]
			for _, c := range out {
				f.put(tb, c, string(c), classOf(c), s, e, src[i:])
			}
		case ent.cls == clsKana && !f.pend && t.tokStart < 0:
			// Fast path: katakana (and hiragana folded to it).
			t.sepAt = -1
			t.emit(tb.pstr[ent.off:ent.off+uint32(ent.n)], s, e)
			f.prev = clsKana
		default:
			f.put(tb, r, tb.pstr[ent.off:ent.off+uint32(ent.n)], ent.cls, s, e, src[i:])
		}
	}
	t.endToken(f.fieldStart)
	t.finishRun(f.fieldStart)
}

// folder is the state of one Append: the class of the last rune emitted and
// the separators waiting for the next rune to decide their fate.
type folder struct {
	t          *Text
	prev       uint8
	pend       bool  // separators are waiting to be emitted or dropped
	pendSpace  bool  // they include white space
	pendByte   byte  // the first separator, as ASCII
	pendS      int32 // original span of the separators
	pendE      int32
	fieldStart int
}

// word updates the token state before a rune of class cls is emitted.
func (f *folder) word(cls uint8) {
	t := f.t
	if f.pend {
		t.flush(f.prev, cls, f.pendSpace, f.pendByte, f.pendS, f.pendE, f.fieldStart)
		f.pend = false
	}
	if cls == clsWord {
		if t.tokStart < 0 {
			t.tokStart = len(t.Out)
		}
		return
	}
	t.endToken(f.fieldStart)
	t.sepAt = -1
}

// put folds one rune r that maps to out with class cls; rest is the input
// after it (for look-ahead).
func (f *folder) put(tb *table, r rune, out string, cls uint8, s, e int32, rest string) {
	t := f.t
	switch cls {
	case clsDrop:
		return
	case clsMark:
		if f.prev == clsKana {
			t.voice(tb, r, e)
		}
		return
	case clsChoon: // 一 between katakana is a long-vowel mark in disguise
		if f.prev == clsKana && rest != "" && nextIsKana(tb, rest) {
			return
		}
		cls = clsHan
	case clsDash:
		if f.prev == clsKana {
			return
		}
		if out == "ー" {
			cls = clsOther
			break
		}
		cls, out = clsSep, "-"
	}
	if cls == clsSpace || cls == clsSep {
		if !f.pend {
			f.pend, f.pendSpace, f.pendByte, f.pendS = true, false, 0, s
		}
		switch {
		case cls == clsSpace:
			f.pendSpace = true
		case f.pendByte == 0 && len(out) == 1:
			f.pendByte = out[0]
		case f.pendByte == 0:
			f.pendByte = '.'
		}
		f.pendE = e
		return
	}
	f.word(cls)
	t.emit(out, s, e)
	f.prev = cls
}

// asciiChars holds every ASCII byte, so a one-byte string is a slice of it.
const asciiChars = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f" +
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f"

// nextIsKana reports whether the next rune of s that survives folding
// (separators between Japanese characters do not) is katakana.
func nextIsKana(tb *table, s string) bool {
	for len(s) > 0 {
		r, w := utf8.DecodeRuneInString(s)
		s = s[w:]
		var cls uint8
		if r == utf8.RuneError && w == 1 {
			continue
		}
		if r < utf8.RuneSelf {
			cls = tb.asciiCl[r]
		} else if e, ok := tb.lookup(r); ok {
			cls = e.cls
		} else {
			cls = classOf(r)
		}
		switch cls {
		case clsSpace, clsSep, clsDrop, clsMark, clsDash:
			continue
		}
		return cls == clsKana
	}
	return false
}

func (t *Text) emit(out string, s, e int32) {
	n := len(t.Out)
	t.Out = append(t.Out, out...)
	t.Start = slices.Grow(t.Start, len(out))[:n+len(out)]
	t.End = slices.Grow(t.End, len(out))[:n+len(out)]
	for j := n; j < n+len(out); j++ {
		t.Start[j], t.End[j] = s, e
	}
}

// flush decides what becomes of separators between the last emitted rune
// (class prev) and the next one (class next): dropped next to Japanese
// characters and at the start of a field, one space or one separator
// character elsewhere.
func (t *Text) flush(prev, next uint8, space bool, sep byte, s, e int32, fieldStart int) {
	if prev == clsNone || prev == clsKana || prev == clsHan || next == clsKana || next == clsHan {
		return
	}
	c := sep
	if space {
		c = ' '
	}
	t.endToken(fieldStart)
	t.sepAt = len(t.Out)
	t.Out = append(t.Out, c)
	t.Start = append(t.Start, s)
	t.End = append(t.End, e)
}

// endToken closes the current word token and tracks runs of single letters
// separated by one separator each.
func (t *Text) endToken(fieldStart int) {
	if t.tokStart < 0 {
		return
	}
	n := len(t.Out) - t.tokStart
	single := n == 1 || n <= utf8.UTFMax && utf8.RuneCount(t.Out[t.tokStart:]) == 1
	tokStart := t.tokStart
	t.tokStart = -1
	if !single {
		t.finishRun(fieldStart)
		t.sepAt = -1
		return
	}
	if t.runLen > 0 && t.sepAt >= 0 && t.sepAt == tokStart-1 {
		t.runSeps = append(t.runSeps, int32(t.sepAt))
		t.runLen++
	} else {
		t.finishRun(fieldStart)
		t.runLen = 1
	}
	t.sepAt = -1
}

// finishRun removes the separators of a spelled-out word of three or more
// letters.
func (t *Text) finishRun(fieldStart int) {
	if t.runLen >= 3 && len(t.runSeps) > 0 {
		w := int(t.runSeps[0])
		k := 0
		for r := w; r < len(t.Out); r++ {
			if k < len(t.runSeps) && int(t.runSeps[k]) == r {
				k++
				continue
			}
			t.Out[w], t.Start[w], t.End[w] = t.Out[r], t.Start[r], t.End[r]
			w++
		}
		t.Out, t.Start, t.End = t.Out[:w], t.Start[:w], t.End[:w]
		if t.tokStart > w {
			t.tokStart -= k
		}
	}
	t.runLen, t.runSeps = 0, t.runSeps[:0]
}

// voice composes a voiced or semi-voiced sound mark with the katakana just
// emitted ("ｶﾞ", "か\u3099", "ソ゛"). It reports whether it did.
func (t *Text) voice(tb *table, mark rune, end int32) bool {
	n := len(t.Out)
	if n < 3 {
		return false
	}
	base, size := utf8.DecodeLastRune(t.Out)
	if size != 3 {
		return false
	}
	var (
		v  rune
		ok bool
	)
	switch mark {
	case 0x3099, 0x309B, 0xFF9E:
		v, ok = tb.voiced[base]
	default:
		v, ok = tb.semi[base]
	}
	if !ok {
		return false
	}
	var b [3]byte
	utf8.EncodeRune(b[:], v)
	copy(t.Out[n-3:], b[:])
	for i := n - 3; i < n; i++ {
		t.End[i] = end
	}
	return true
}

// Replace replaces the folded bytes Out[s:e] with repl. Every byte of repl
// maps to the original span of the bytes it replaces. The engine uses it to
// restore brand words written with look-alike digits ("amaz0n").
func (t *Text) Replace(s, e int, repl string) {
	if s >= e {
		return
	}
	os, oe := t.Start[s], t.End[e-1]
	d := len(repl) - (e - s)
	if d > 0 {
		t.Out = append(t.Out, make([]byte, d)...)
		t.Start = append(t.Start, make([]int32, d)...)
		t.End = append(t.End, make([]int32, d)...)
	}
	copy(t.Out[s+len(repl):], t.Out[e:])
	copy(t.Start[s+len(repl):], t.Start[e:])
	copy(t.End[s+len(repl):], t.End[e:])
	if d < 0 {
		n := len(t.Out) + d
		t.Out, t.Start, t.End = t.Out[:n], t.Start[:n], t.End[:n]
	}
	copy(t.Out[s:], repl)
	for i := s; i < s+len(repl); i++ {
		t.Start[i], t.End[i] = os, oe
	}
}

// decodeRune is utf8.DecodeRuneInString(src[i:]) with the three-byte
// sequences of kana, kanji and full-width forms decoded inline: the
// standard function's multi-byte path is not inlined, and Japanese text
// is almost all three-byte runes. Lead bytes E1–EC and EE–EF take any
// continuation byte; E0 (overlong forms) and ED (surrogates) need the
// checks the standard function makes, so it decodes them.
func decodeRune(src string, i int) (rune, int) {
	if c := src[i]; c >= 0xE1 && c <= 0xEF && c != 0xED && i+2 < len(src) {
		c1, c2 := src[i+1], src[i+2]
		if c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
			return rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F), 3
		}
	}
	return utf8.DecodeRuneInString(src[i:])
}
