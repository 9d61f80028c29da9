package mailparse

import (
	"bytes"
	"math"
	"strings"
)

// Header limits. A header block is normally a few kilobytes; spam and
// mailing-list hops can reach megabytes (go-message refuses more than 1 MB).
const (
	maxHeaderBytes  = 8 << 20
	maxHeaderFields = 20000
)

// field is one header field as it appears in the input: name trimmed, value
// raw and still folded. Both are sub-slices of the input.
type field struct {
	name  []byte
	value []byte
}

// header is a header block in input order.
type header []field

// get returns the raw value of the first field called name.
func (h header) get(name string) ([]byte, bool) {
	for _, f := range h {
		if equalFold(f.name, name) {
			return f.value, true
		}
	}
	return nil, false
}

// getString returns the unfolded first value of name, or "".
func (h header) getString(name string) string {
	v, _ := h.get(name)
	return unfoldCapped(v)
}

// unfoldCapped unfolds at most maxHeaderText bytes of v, not cutting a
// UTF-8 sequence where it can tell.
func unfoldCapped(v []byte) string {
	if len(v) > maxHeaderText {
		n := maxHeaderText
		for n > 0 && v[n]&0xc0 == 0x80 {
			n--
		}
		v = v[:n]
	}
	return unfold(v)
}

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c, d := b[i], s[i]
		if c == d {
			continue
		}
		if c|0x20 != d|0x20 || c|0x20 < 'a' || c|0x20 > 'z' {
			return false
		}
	}
	return true
}

// headerBlock is the outcome of reading one header block.
type headerBlock struct {
	h         header
	body      []byte
	malformed int  // lines that were neither fields nor continuations, skipped
	noBlank   bool // the body started without the blank separator line
	tooBig    bool // the block exceeded maxHeaderBytes or maxHeaderFields
}

// readHeader splits data into a header block and a body. It never fails:
// an mbox "From " line is skipped, a stray line between fields is skipped
// when a known field follows it, and otherwise the first line that is not a
// field starts the body. Bare LF and CRLF line ends are both accepted.
func readHeader(data []byte, top bool) headerBlock {
	var hb headerBlock
	pos := 0
	if top {
		// Leading blank lines before the first field, as some exports have.
		p := 0
		for p < len(data) {
			line, next := nextLine(data, p)
			if len(bytes.TrimSpace(line)) != 0 {
				break
			}
			p = next
		}
		if p > 0 && knownFieldLine(data, p) {
			pos = p
		}
		if bytes.HasPrefix(data[pos:], []byte("From ")) {
			_, pos = nextLine(data, pos)
		}
	}
	lastWasField, lastValStart := false, 0
	for pos < len(data) {
		if pos > maxHeaderBytes || len(hb.h) >= maxHeaderFields {
			hb.tooBig = true
			hb.body = data[blankLineAfter(data, pos):]
			return hb
		}
		line, next := nextLine(data, pos)
		if len(line) == 0 {
			hb.body = data[next:]
			return hb
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(bytes.TrimSpace(line)) == 0 && !lastWasField {
				// A whitespace-only line where a field was expected ends the block.
				hb.body = data[next:]
				return hb
			}
			if lastWasField {
				hb.h[len(hb.h)-1].value = data[lastValStart : pos+len(line)]
			} else {
				hb.malformed++
			}
			pos = next
			continue
		}
		if name, val, ok := fieldLine(line); ok {
			lastValStart = pos + (len(line) - len(val))
			hb.h = append(hb.h, field{name: name, value: data[lastValStart : pos+len(line)]})
			lastWasField = true
			pos = next
			continue
		}
		// Neither a field nor a continuation. An mbox "From " envelope line
		// between fields is an artefact of the mailbox, not an error; other
		// stray lines are skipped when a known field follows, or when they
		// look like a broken field and end the block.
		if known := knownFieldLine(data, next); known || (fieldish(line) && blankLineAt(data, next)) {
			if !(top && known && bytes.HasPrefix(line, []byte("From "))) {
				hb.malformed++
			}
			lastWasField = false
			pos = next
			continue
		}
		hb.noBlank = true
		hb.body = data[pos:]
		return hb
	}
	hb.body = data[len(data):]
	return hb
}

// nextLine returns the line at pos without its line end, and the offset of
// the following line.
func nextLine(data []byte, pos int) (line []byte, next int) {
	i := bytes.IndexByte(data[pos:], '\n')
	if i < 0 {
		line, next = data[pos:], len(data)
	} else {
		line, next = data[pos:pos+i], pos+i+1
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, next
}

// blankLineAfter returns the offset just past the first empty line at or
// after pos, or len(data).
func blankLineAfter(data []byte, pos int) int {
	for pos < len(data) {
		line, next := nextLine(data, pos)
		if len(line) == 0 {
			return next
		}
		pos = next
	}
	return len(data)
}

// fieldish reports whether a line starts like a header field name
// ("X-Spam-Report ...") even though it has no colon.
func fieldish(line []byte) bool {
	end := bytes.IndexAny(line, " \t:")
	if end < 0 {
		end = len(line)
	}
	name := line[:end]
	if len(name) < 3 || bytes.IndexByte(name, '-') < 1 || !isASCIILetter(name[0]) {
		return false
	}
	for _, c := range name {
		if !(isASCIILetter(c) || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// blankLineAt reports whether the line at pos is empty.
func blankLineAt(data []byte, pos int) bool {
	if pos >= len(data) {
		return false
	}
	line, _ := nextLine(data, pos)
	return len(line) == 0
}

// fieldLine splits "Name: value" when Name is a valid field name (printable
// ASCII without colon; blanks before the colon are tolerated).
func fieldLine(line []byte) (name, value []byte, ok bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, nil, false
	}
	name = bytes.TrimRight(line[:colon], " \t")
	if len(name) == 0 {
		return nil, nil, false
	}
	for _, c := range name {
		if c <= ' ' || c >= 0x7f {
			return nil, nil, false
		}
	}
	return name, line[colon+1:], true
}

// knownFieldLine reports whether the line at pos is a field with a name
// mail commonly carries; it decides whether a stray line sits inside the
// header block or starts the body.
func knownFieldLine(data []byte, pos int) bool {
	if pos >= len(data) {
		return false
	}
	line, _ := nextLine(data, pos)
	name, _, ok := fieldLine(line)
	if !ok {
		return false
	}
	return knownFieldName(string(name))
}

func knownFieldName(name string) bool {
	n := strings.ToLower(name)
	for _, p := range []string{"x-", "content-", "list-", "arc-", "resent-", "dkim-", "received"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	switch n {
	case "from", "to", "cc", "bcc", "subject", "date", "message-id", "return-path",
		"mime-version", "reply-to", "sender", "delivered-to", "authentication-results",
		"user-agent", "in-reply-to", "references", "importance", "priority", "precedence",
		"organization", "thread-topic", "thread-index", "errors-to", "envelope-to",
		"delivery-date", "comments", "keywords", "feedback-id", "disposition-notification-to",
		"domainkey-signature", "return-receipt-to", "status", "lines":
		return true
	}
	return false
}

// unfold turns a raw folded value into one line: line ends are removed,
// tabs become spaces, and surrounding blanks are trimmed. The result may
// still hold invalid UTF-8; callers decode it.
func unfold(v []byte) string {
	if bytes.IndexAny(v, "\r\n\t") < 0 {
		return string(bytes.TrimSpace(v))
	}
	b := make([]byte, 0, len(v))
	for _, c := range v {
		switch c {
		case '\r', '\n':
		case '\t':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(bytes.TrimSpace(b))
}

// cleanText makes a decoded header value one tidy line: control characters
// become spaces, surrounding blanks go.
func cleanText(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, s)
	}
	return strings.TrimSpace(s)
}

// decodeHeaderText decodes an unstructured header value (Subject, X-Mailer,
// a display name): raw 8-bit or ISO-2022-JP bytes are detected and decoded
// first (with the message's charset hint), then RFC 2047 encoded words.
func decodeHeaderText(raw string, hint charsetHint) string {
	s := raw
	if has8bitString(s) || strings.IndexByte(s, 0x1b) >= 0 {
		s, _ = hint.decode([]byte(s))
	}
	return cleanText(decodeWords(s, hint))
}

func has8bitString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

// maxEncodedWord bounds the text of one encoded word. RFC 2047 allows 75
// characters for the whole word; broken encoders write longer ones, and the
// bound keeps a value full of "=?" linear to scan.
const maxEncodedWord = 1000

// maxHeaderText bounds the raw bytes of a header value Parse decodes into
// a field (Subject, addresses, evidence headers): 64 KB is far beyond any
// real value and keeps hostile ones cheap.
const maxHeaderText = 64 << 10

// encodedWord is one RFC 2047 word: =?charset?enc?text?=.
type encodedWord struct {
	charset string
	enc     byte // 'B' or 'Q'
	text    string
}

// decodeWords decodes RFC 2047 encoded words in s. Adjacent words (only
// blanks between them, as after unfolding) are joined without the blanks,
// and consecutive words of one charset are decoded together, so a
// character or a base64 quantum split across words (a long Japanese
// subject folded over several lines) survives. Anything that does not
// parse as an encoded word is kept as written.
func decodeWords(s string, hint charsetHint) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s))
	var run []encodedWord
	flush := func() {
		for i := 0; i < len(run); {
			j := i + 1
			for j < len(run) && strings.EqualFold(run[j].charset, run[i].charset) {
				j++
			}
			sb.WriteString(decodeWordRun(run[i:j], hint))
			i = j
		}
		run = run[:0]
	}
	lastEnd, i := 0, 0
	for i < len(s) {
		j := strings.Index(s[i:], "=?")
		if j < 0 {
			break
		}
		start := i + j
		w, end, ok := parseEncodedWord(s, start)
		if !ok {
			i = start + 2
			continue
		}
		gap := s[lastEnd:start]
		if len(run) == 0 || strings.TrimSpace(gap) != "" {
			flush()
			sb.WriteString(gap)
		}
		run = append(run, w)
		lastEnd, i = end, end
	}
	flush()
	sb.WriteString(s[lastEnd:])
	return sb.String()
}

// parseEncodedWord parses the word starting at s[start:] ("=?").
func parseEncodedWord(s string, start int) (encodedWord, int, bool) {
	p := start + 2
	q := strings.IndexByte(s[p:min(len(s), p+65)], '?')
	if q <= 0 {
		return encodedWord{}, 0, false
	}
	cs := s[p : p+q]
	if strings.ContainsAny(cs, " \t=") {
		return encodedWord{}, 0, false
	}
	p += q + 1
	if p+1 >= len(s) || s[p+1] != '?' {
		return encodedWord{}, 0, false
	}
	enc := s[p] &^ 0x20
	if enc != 'B' && enc != 'Q' {
		return encodedWord{}, 0, false
	}
	p += 2
	e := strings.Index(s[p:min(len(s), p+maxEncodedWord)], "?=")
	if e < 0 {
		return encodedWord{}, 0, false
	}
	text := s[p : p+e]
	if strings.Contains(text, "=?") {
		return encodedWord{}, 0, false
	}
	return encodedWord{charset: cs, enc: enc, text: text}, p + e + 2, true
}

// decodeWordRun decodes consecutive encoded words of one charset.
func decodeWordRun(words []encodedWord, hint charsetHint) string {
	var raw []byte
	for i := 0; i < len(words); {
		if words[i].enc == 'B' {
			// Consecutive B words are decoded as one stream: the lenient
			// decoder honours padding mid-stream and carries a quantum split
			// across words.
			j := i
			var b64 []byte
			for ; j < len(words) && words[j].enc == 'B'; j++ {
				b64 = append(b64, words[j].text...)
			}
			raw, _, _ = appendBase64(raw, b64, math.MaxInt)
			i = j
			continue
		}
		raw = appendQWord(raw, words[i].text, trailUnderscore(words[i].charset))
		i++
	}
	s, _ := decodeText(raw, words[0].charset, hint.kind)
	return s
}

// trailUnderscore reports whether a charset's trail bytes include 0x5F.
func trailUnderscore(label string) bool {
	k, norm := resolveCharset(label)
	if k == csShiftJIS {
		return true
	}
	for _, p := range []string{"big5", "gb", "cp936", "cp950", "x-gbk", "ms936", "windows-936"} {
		if strings.HasPrefix(norm, p) {
			return true
		}
	}
	return false
}

// appendQWord decodes RFC 2047 Q encoding: "_" is a space, "=XX" a byte.
// Some Big5, GBK and Shift_JIS encoders leave a trail byte 0x5F as a bare
// "_" after an escaped lead byte; with dbcs set (a double-byte charset
// whose trail bytes include 0x5F), "_" after an odd run of 8-bit bytes is
// kept as 0x5F.
func appendQWord(dst []byte, t string, dbcs bool) []byte {
	high := 0 // consecutive 8-bit bytes just written
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '_' && dbcs && high%2 == 1:
			dst = append(dst, '_')
			high = 0
		case c == '_':
			dst = append(dst, ' ')
			high = 0
		case c == '=' && i+2 < len(t) && isHex(t[i+1]) && isHex(t[i+2]):
			b := unhex(t[i+1])<<4 | unhex(t[i+2])
			dst = append(dst, b)
			i += 2
			if b >= 0x80 {
				high++
			} else {
				high = 0
			}
		default:
			dst = append(dst, c)
			high = 0
		}
	}
	return dst
}
