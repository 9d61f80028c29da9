package screen

import (
	"bytes"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/giftcode"
	"github.com/scamscreen/scamscreen/screen/match"
	"github.com/scamscreen/scamscreen/screen/normalize"
	"github.com/scamscreen/scamscreen/screen/phone"
	"github.com/scamscreen/scamscreen/screen/sender"
	"github.com/scamscreen/scamscreen/screen/urls"
)

// fieldSpan is one field of the message inside the shared folded text.
type fieldSpan struct {
	mask       uint8
	src        string // the original
	start, end int    // range of the folded text
}

// hitRec is a keyword hit that passed its word-boundary check.
type hitRec struct {
	pat        int32
	start, end int32
	field      uint8
}

// fired is a rule that fired, with its evidence.
type fired struct {
	rule       int
	field      string
	start, end int
	evidence   string
}

type disguise struct {
	field      uint8
	start, end int // folded
}

// scratch is the per-message working memory, pooled so that screening
// allocates little beyond the verdict.
type scratch struct {
	text      normalize.Text
	fields    []fieldSpan
	hits      []match.Hit
	recs      []hitRec
	mask      []uint32
	veto      []bool
	seen      []bool
	touched   []int32
	done      []bool
	fired     []fired
	claims    []sender.Claim
	found     []urls.Found
	foundFld  []uint8
	usigs     []urls.Signal
	ssigs     []sender.Signal
	phones    []phone.Number
	phoneFld  []uint8
	codes     []giftcode.Code
	codeFld   []uint8
	disguises []disguise
	window    []hitRec
	spans     [][2]int
}

func newScratch(nrules int) *scratch {
	return &scratch{
		mask: make([]uint32, nrules),
		veto: make([]bool, nrules),
		seen: make([]bool, nrules),
		done: make([]bool, nrules),
	}
}

func (sc *scratch) reset() {
	for _, ri := range sc.touched {
		sc.mask[ri], sc.veto[ri], sc.seen[ri] = 0, false, false
	}
	for _, f := range sc.fired {
		sc.done[f.rule] = false
	}
	sc.text.Reset()
	sc.fields, sc.hits, sc.recs, sc.touched, sc.fired = sc.fields[:0], sc.hits[:0], sc.recs[:0], sc.touched[:0], sc.fired[:0]
	sc.claims, sc.found, sc.foundFld, sc.usigs, sc.ssigs = sc.claims[:0], sc.found[:0], sc.foundFld[:0], sc.usigs[:0], sc.ssigs[:0]
	sc.phones, sc.phoneFld, sc.codes, sc.codeFld, sc.disguises = sc.phones[:0], sc.phoneFld[:0], sc.codes[:0], sc.codeFld[:0], sc.disguises[:0]
}

func (sc *scratch) field(mask uint8) *fieldSpan {
	for i := range sc.fields {
		if sc.fields[i].mask == mask {
			return &sc.fields[i]
		}
	}
	return nil
}

func (sc *scratch) fieldAt(pos int32) uint8 {
	for i := range sc.fields {
		if int(pos) >= sc.fields[i].start && int(pos) < sc.fields[i].end {
			return sc.fields[i].mask
		}
	}
	return 0
}

// quote maps the folded range [s,e) of a field back to the original.
func (sc *scratch) quote(f *fieldSpan, s, e int) (int, int, string) {
	os, oe := sc.text.Span(s, e)
	return os, oe, f.src[os:oe]
}

// Screen screens one message. It never fails: a message with nothing to
// read is clean. The verdict's slices are the caller's.
func (e *Engine) Screen(msg *event.Message) event.Verdict {
	sc := e.pool.Get().(*scratch)
	defer func() {
		sc.reset()
		e.pool.Put(sc)
	}()

	e.fold(sc, fieldSubject, msg.Subject)
	from := msg.From.Name
	if msg.Channel == event.ChannelSMS && from == "" && hasLetter(msg.From.Addr) {
		from = msg.From.Addr // an alphanumeric SMS sender id
	}
	e.fold(sc, fieldFrom, from)
	e.fold(sc, fieldText, msg.Text)

	sc.hits = e.auto.Scan(sc.text.Out, sc.hits)
	e.post(sc)
	for _, ri := range sc.touched {
		e.evalRule(sc, msg, int(ri))
	}
	e.analyze(sc, msg)
	return e.verdict(sc, msg)
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c >= 'a' && c <= 'z' {
			return true
		}
	}
	return false
}

// fold appends one field to the folded text and restores brand words
// written with look-alike digits.
func (e *Engine) fold(sc *scratch, mask uint8, src string) {
	if src == "" {
		return
	}
	if len(sc.fields) > 0 {
		sc.text.AppendBoundary()
	}
	start := sc.text.Len()
	sc.text.Append(src, 0)
	e.undisguise(sc, mask, start)
	sc.fields = append(sc.fields, fieldSpan{mask: mask, src: src, start: start, end: sc.text.Len()})
}

// undisguise finds Latin tokens whose look-alike skeleton is a brand token
// ("amaz0n", "arnazon", "app1e") and writes the brand word in their place.
// Only tokens holding a digit, one of @$!| or the pairs rn and vv can be
// disguises, so it jumps from one such spot to the next (a table lookup
// per byte, and the vectorised bytes.Index for the pairs) instead of
// reading every token.
func (e *Engine) undisguise(sc *scratch, mask uint8, from int) {
	for pos := from; pos < len(sc.text.Out); {
		out := sc.text.Out
		k := nextOdd(out[pos:])
		if k < 0 {
			return
		}
		k += pos
		i, j := k, k
		for i > from && isTokenByte(out[i-1]) {
			i--
		}
		for j < len(out) && isTokenByte(out[j]) {
			j++
		}
		pos = j
		if j-i < 4 || j-i > 24 {
			continue
		}
		tok := string(out[i:j])
		if brand, ok := e.tokens[normalize.Skeleton(tok)]; ok && brand != tok && hasLetter(tok) {
			sc.text.Replace(i, j, brand)
			sc.disguises = append(sc.disguises, disguise{field: mask, start: i, end: i + len(brand)})
			pos = i + len(brand)
		}
	}
}

// nextOdd returns the index of the next byte that can make a token a
// disguise (a digit, @, $, !, |, or the start of rn or vv), or -1.
func nextOdd(b []byte) int {
	k := -1
	for i, c := range b {
		if oddBytes[c] {
			k = i
			break
		}
	}
	for _, pair := range [...]string{"rn", "vv"} {
		end := len(b)
		if k >= 0 {
			end = k
		}
		if p := bytes.Index(b[:end], []byte(pair)); p >= 0 {
			k = p
		}
	}
	return k
}

// oddBytes are the single bytes nextOdd looks for. bytes.IndexAny would
// build the same table on every call.
var oddBytes = func() (t [256]bool) {
	for _, c := range "0123456789@$!|" {
		t[c] = true
	}
	return t
}()

var tokenBytes = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "@$!|" {
		t[c] = true
	}
	return t
}()

func isTokenByte(c byte) bool { return tokenBytes[c] }

// post records each keyword hit against the rules and brands it belongs to.
func (e *Engine) post(sc *scratch) {
	out := sc.text.Out
	for _, h := range sc.hits {
		p := &e.patterns[h.Pattern]
		if p.boundL && h.Start > 0 && isWordByte(out[h.Start-1]) || p.boundR && int(h.End) < len(out) && isWordByte(out[h.End]) {
			continue
		}
		field := sc.fieldAt(h.Start)
		recorded := false
		for _, ps := range p.postings {
			if ps.term == termBrand || ps.term == termBrandDisguise {
				sf := senderField(field)
				switch self := selfClaim(out, int(h.Start), int(h.End)); {
				case sf == sender.FieldText && self:
					sf = sender.FieldSelf
				case sf == sender.FieldSubject && !self && !subjectHead(sc, h):
					sf = sender.FieldSubjectMention
				}
				sc.claims = append(sc.claims, sender.Claim{Brand: e.brands[ps.rule], Field: sf})
				if ps.term == termBrandDisguise {
					sc.disguises = append(sc.disguises, disguise{field: field, start: int(h.Start), end: int(h.End)})
				}
				continue
			}
			cr := &e.rules[ps.rule]
			if cr.fields&field == 0 {
				continue
			}
			if !sc.seen[ps.rule] {
				sc.seen[ps.rule] = true
				sc.touched = append(sc.touched, ps.rule)
			}
			if ps.term == termUnless {
				sc.veto[ps.rule] = true
			} else {
				sc.mask[ps.rule] |= 1 << ps.term
			}
			if !recorded {
				sc.recs = append(sc.recs, hitRec{pat: h.Pattern, start: h.Start, end: h.End, field: field})
				recorded = true
			}
		}
	}
}

// selfWords follow a brand name when a text speaks as the brand
// ("アマゾンからのお知らせ", "楽天カード株式会社", "Amazonカスタマーサービス").
var selfWords = func() [][]byte {
	var out [][]byte
	for _, w := range []string{"からの", "より", "合同会社", "株式会社", "カスタマー", "サポート", "事務局", "センター",
		"公式", "をご利用", "をご利用いただき", "会員様", "会員の皆様", "お客様窓口", "ジャパン", "セキュリティ"} {
		out = append(out, []byte(normalize.String(w)))
	}
	return out
}()

// selfClaim reports whether the brand name at folded [s,e) is a header
// (between 【】 or [] brackets) or followed by words a company uses of itself.
func selfClaim(out []byte, s, e int) bool {
	if s >= 3 && e+3 <= len(out) && string(out[s-3:s]) == "【" && string(out[e:e+3]) == "】" ||
		s >= 1 && e < len(out) && out[s-1] == '[' && out[e] == ']' {
		return true
	}
	rest := out[e:min(len(out), e+30)]
	for _, w := range selfWords {
		if len(rest) >= len(w) && string(rest[:len(w)]) == string(w) {
			return true
		}
	}
	return false
}

// subjectHead reports whether a brand name opens the subject as its
// sender would ("Amazon: ...", "Amazon.co.jp ご注文の発送", "アマゾンより")
// rather than as news does ("Google may face ...").
func subjectHead(sc *scratch, h match.Hit) bool {
	f := sc.field(fieldSubject)
	if f == nil || int(h.Start) != f.start {
		return false
	}
	_, end := sc.text.Span(int(h.Start), int(h.End))
	rest := strings.TrimLeft(f.src[end:], " ")
	switch {
	case rest == "", rest[0] == ':', strings.HasPrefix(rest, "："), rest[0] >= 0x80 && end < len(f.src) && f.src[end] != ' ':
		return true
	case end < len(f.src) && f.src[end] == ' ' && rest[0] >= 0x80:
		return true // a Japanese subject after the name
	}
	return false
}

func senderField(f uint8) sender.Field {
	switch f {
	case fieldFrom:
		return sender.FieldFrom
	case fieldSubject:
		return sender.FieldSubject
	}
	return sender.FieldText
}

// nearUnless reports whether one of rule ri's unless-keywords occurs in
// field within unlessReach characters of the span [start, end).
func (e *Engine) nearUnless(sc *scratch, ri int, field uint8, start, end int) bool {
	out := sc.text.Out
	for _, u := range sc.recs {
		if u.field != field {
			continue
		}
		if _, unless := e.roles(u, ri); !unless {
			continue
		}
		lo, hi := int(u.end), start // the gap between them, either way round
		if int(u.start) >= end {
			lo, hi = end, int(u.start)
		}
		if hi <= lo || hi-lo <= unlessReach*utf8.UTFMax && runeCount(out[lo:hi]) <= unlessReach {
			return true
		}
	}
	return false
}

// termsOf is the set of rule ri's keyword lists a hit belongs to (a bit
// per list; one keyword may stand in several lists), or 0.
func (e *Engine) termsOf(h hitRec, ri int) uint32 {
	terms, _ := e.roles(h, ri)
	return terms
}

// roles is what a hit is to rule ri: the keyword lists it stands in, and
// whether it is one of the rule's unless-keywords. A pattern's postings
// are in rule order (New adds them rule by rule), so the walk stops past
// ri.
func (e *Engine) roles(h hitRec, ri int) (terms uint32, unless bool) {
	for _, ps := range e.patterns[h.pat].postings {
		if int(ps.rule) > ri {
			break
		}
		if int(ps.rule) != ri {
			continue
		}
		switch {
		case ps.term >= 0:
			terms |= 1 << ps.term
		case ps.term == termUnless:
			unless = true
		}
	}
	return terms, unless
}

// unlessReach is how near, in characters, an unless-keyword must be to
// one of a rule's keywords to veto it. A veto is local so that a lure
// cannot silence a rule by quoting a warning somewhere else in the text
// ("※ギフト券の番号は第三者に教えないでください" under a demand for them),
// while a genuine warning, whose keywords stand next to its own "never",
// stays vetoed.
const unlessReach = 30

func (e *Engine) evalRule(sc *scratch, msg *event.Message, ri int) {
	cr := &e.rules[ri]
	if !cr.r.AppliesTo(msg.Channel, msg.Direction) {
		return
	}
	if cr.nterms == 0 || sc.mask[ri] != cr.all {
		return
	}
	if cr.re != nil {
		e.evalRegex(sc, ri)
		return
	}
	// Collect this rule's hits (a hit recorded for another rule may lie in
	// a field this one does not read), less those an unless-keyword near
	// them vetoes.
	sc.window = sc.window[:0]
	var got uint32
	for _, h := range sc.recs {
		if cr.fields&h.field == 0 {
			continue
		}
		t := e.termsOf(h, ri)
		if t == 0 || sc.veto[ri] && e.nearUnless(sc, ri, h.field, int(h.start), int(h.end)) {
			continue
		}
		got |= t
		sc.window = append(sc.window, h)
	}
	if got != cr.all {
		return
	}
	best := e.bestWindow(sc, ri)
	if best == nil {
		return
	}
	// Quote the longest keyword of a set that starts where the chosen one
	// does ("送ってください", not "送って").
	for i := range best {
		t := e.termsOf(best[i], ri)
		for _, h := range sc.window {
			if h.start == best[i].start && h.end > best[i].end && h.field == best[i].field && e.termsOf(h, ri)&t != 0 {
				best[i].end = h.end
			}
		}
	}
	sc.fire(e.evidence(sc, ri, best))
}

// bestWindow returns hits covering every term of rule ri: within one field
// and the rule's window when it has one (the shortest such), otherwise the
// first hit of each term.
func (e *Engine) bestWindow(sc *scratch, ri int) []hitRec {
	cr := &e.rules[ri]
	hs := sc.window
	within := cr.r.Within
	if within == 0 {
		var got uint32
		picked := hs[:0:0]
		for _, h := range hs {
			if t := e.termsOf(h, ri); t&^got != 0 {
				got |= t
				picked = append(picked, h)
			}
		}
		return picked
	}
	slices.SortFunc(hs, func(a, b hitRec) int { return int(a.start - b.start) })
	bestLen, bestI, bestJ := -1, 0, 0
	for i := range hs {
		var got uint32
		for j := i; j < len(hs); j++ {
			if hs[j].field != hs[i].field {
				break
			}
			// A rune is at most four bytes, so a window spanning more
			// than 4*within bytes holds more than within runes: stop
			// here rather than walk a long mail to the term's next hit.
			if int(hs[j].start-hs[i].start) > utf8.UTFMax*within {
				break
			}
			got |= e.termsOf(hs[j], ri)
			if got == cr.all {
				end := hs[j].end
				for k := i; k <= j; k++ {
					end = max(end, hs[k].end)
				}
				n := runeCount(sc.text.Out[hs[i].start:end])
				if n <= within && (bestLen < 0 || n < bestLen) {
					bestLen, bestI, bestJ = n, i, j
				}
				break
			}
		}
	}
	if bestLen < 0 {
		return nil
	}
	return hs[bestI : bestJ+1]
}

func runeCount(b []byte) int {
	n := 0
	for _, c := range b {
		if c&0xC0 != 0x80 {
			n++
		}
	}
	return n
}

// maxQuote is the longest original span quoted whole; longer evidence is
// quoted hit by hit.
const maxQuote = 160

func (e *Engine) evidence(sc *scratch, ri int, hs []hitRec) fired {
	f := sc.field(hs[0].field)
	same := true
	s, en := hs[0].start, hs[0].end
	for _, h := range hs[1:] {
		if h.field != hs[0].field {
			same = false
		}
		s, en = min(s, h.start), max(en, h.end)
	}
	if same {
		os, oe, q := sc.quote(f, int(s), int(en))
		if oe-os <= maxQuote {
			return fired{rule: ri, field: fieldNames[f.mask], start: os, end: oe, evidence: q}
		}
	}
	var b strings.Builder
	for i, h := range hs {
		if i > 0 {
			b.WriteString(" … ")
		}
		_, _, q := sc.quote(sc.field(h.field), int(h.start), int(h.end))
		b.WriteString(q)
	}
	os, oe, _ := sc.quote(f, int(hs[0].start), int(hs[0].end))
	return fired{rule: ri, field: fieldNames[f.mask], start: os, end: oe, evidence: b.String()}
}

func (e *Engine) evalRegex(sc *scratch, ri int) {
	cr := &e.rules[ri]
	for i := range sc.fields {
		f := &sc.fields[i]
		if cr.fields&f.mask == 0 {
			continue
		}
		start, end, ok := e.findRegex(sc, ri, f)
		if !ok {
			continue
		}
		if sc.veto[ri] && e.nearUnless(sc, ri, f.mask, start, end) {
			return
		}
		os, oe, q := sc.quote(f, start, end)
		sc.fire(fired{rule: ri, field: fieldNames[f.mask], start: os, end: oe, evidence: q})
		return
	}
}

// findRegex finds rule ri's regex in field f of the folded text. A regex
// whose matches span at most cr.reSpan bytes is searched only in windows
// reaching that far around its prefilter's hits (a match holding a hit
// lies in one), so a long mail that names the prefilter once costs a short
// search instead of a pass over the whole mail. Each window is widened to
// a place where the regex's assertions read the same as in the whole
// field (see widen), so every match found in a window is a match in the
// field. Other regexes search the whole field.
func (e *Engine) findRegex(sc *scratch, ri int, f *fieldSpan) (start, end int, ok bool) {
	cr := &e.rules[ri]
	out := sc.text.Out
	if cr.reSpan < 0 {
		loc := cr.re.FindIndex(out[f.start:f.end])
		if loc == nil || loc[0] == loc[1] {
			return 0, 0, false
		}
		return f.start + loc[0], f.start + loc[1], true
	}
	pre := uint32(1) << (cr.nterms - 1)
	wins := sc.spans[:0]
	for _, h := range sc.recs {
		if int(h.start) < f.start || int(h.end) > f.end || e.termsOf(h, ri)&pre == 0 {
			continue
		}
		lo, hi := widen(out, f.start, f.end, int(h.start)-cr.reSpan, int(h.end)+cr.reSpan, cr.reLines)
		wins = append(wins, [2]int{lo, hi})
	}
	sc.spans = wins
	slices.SortFunc(wins, func(a, b [2]int) int { return a[0] - b[0] })
	for i := 0; i < len(wins); {
		lo, hi := wins[i][0], wins[i][1]
		for i++; i < len(wins) && wins[i][0] <= hi; i++ {
			hi = max(hi, wins[i][1])
		}
		if loc := cr.re.FindIndex(out[lo:hi]); loc != nil && loc[0] != loc[1] {
			return lo + loc[0], lo + loc[1], true
		}
	}
	return 0, 0, false
}

// widen clamps [lo, hi) to the field [fs, fe) and moves its ends outward
// to places where a regex sees the same context as in the whole field:
// for a regex with line anchors, the start of a line and the end of one;
// otherwise rune boundaries next to a byte that is not an ASCII word
// character, which is all \b and \B look at (Go's \b is ASCII: any
// other rune reads as a non-word, as does the edge of the text).
func widen(out []byte, fs, fe, lo, hi int, lines bool) (int, int) {
	lo, hi = max(lo, fs), min(hi, fe)
	if lines {
		for lo > fs && out[lo-1] != '\n' {
			lo--
		}
		for hi < fe && out[hi] != '\n' {
			hi++
		}
		return lo, hi
	}
	for lo > fs && (out[lo]&0xC0 == 0x80 || isASCIIWord(out[lo-1])) {
		lo--
	}
	for hi < fe && (out[hi]&0xC0 == 0x80 || isASCIIWord(out[hi])) {
		hi++
	}
	return lo, hi
}

func isASCIIWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func (sc *scratch) fire(f fired) {
	if sc.done[f.rule] {
		return
	}
	sc.done[f.rule] = true
	sc.fired = append(sc.fired, f)
}

// signal fires every rule that gives weight to analyser signal name.
func (e *Engine) signal(sc *scratch, msg *event.Message, name string, f fired) {
	for _, ri := range e.byName[name] {
		if !e.rules[ri].r.AppliesTo(msg.Channel, msg.Direction) {
			continue
		}
		f.rule = ri
		sc.fire(f)
	}
}

// analyze runs the built-in analysers.
func (e *Engine) analyze(sc *scratch, msg *event.Message) {
	// URLs in the subject and the body, and the links of an HTML body.
	for _, fm := range [...]uint8{fieldSubject, fieldText} {
		src := msg.Subject
		if fm == fieldText {
			src = msg.Text
		}
		n := len(sc.found)
		sc.found = urls.Extract(src, sc.found)
		for range sc.found[n:] {
			sc.foundFld = append(sc.foundFld, fm)
		}
	}
	sc.usigs = e.urls.Analyze(sc.found, msg.Links, sc.usigs)
	for _, s := range sc.usigs {
		var f fired
		if s.Link {
			l := msg.Links[s.Index]
			f = fired{field: "link", evidence: firstNonEmpty(l.Text, l.Href)}
		} else {
			fd := sc.found[s.Index]
			f = fired{field: fieldNames[sc.foundFld[s.Index]], start: fd.Start, end: fd.End, evidence: fd.Raw}
		}
		e.signal(sc, msg, "url."+s.Kind.String(), f)
	}

	// Every link of the message goes to a protected brand's own domain.
	if e.allGenuine(sc, msg) {
		e.signal(sc, msg, "url.all_genuine", fired{field: "text"})
	}

	// A message that speaks as a brand (or an SMS naming one) links to a
	// domain of no brand. Mere mentions in e-mail do not count: mailing
	// lists name brands and link elsewhere all the time.
	if e.claimsBrand(sc, msg) {
		for i := range sc.found {
			fd := &sc.found[i]
			if fd.Domain == "" || fd.Flags&urls.Email != 0 {
				continue
			}
			if _, genuine := e.urls.Genuine(fd.Domain); genuine {
				continue
			}
			e.signal(sc, msg, "text.brand_link_elsewhere", fired{field: fieldNames[sc.foundFld[i]], start: fd.Start, end: fd.End, evidence: fd.Raw})
			break
		}
	}

	// The sender.
	in := sender.Input{Channel: msg.Channel, From: msg.From, ReplyTo: msg.ReplyTo, Auth: msg.Auth, Claims: sc.claims}
	sc.ssigs = e.sender.Check(&in, sc.ssigs)
	for _, s := range sc.ssigs {
		ev := msg.From.Addr
		if msg.From.Name != "" {
			ev = msg.From.Name + " <" + msg.From.Addr + ">"
		}
		if s.Kind == sender.ReplyToElsewhere && len(msg.ReplyTo) > 0 {
			ev = msg.ReplyTo[0].Addr
		}
		e.signal(sc, msg, "sender."+s.Kind.String(), fired{field: "from", evidence: ev})
	}

	// Call-back numbers and, in what the person sends, gift-card codes.
	for _, fm := range [...]uint8{fieldSubject, fieldText} {
		f := sc.field(fm)
		if f == nil {
			continue
		}
		seg := sc.text.Out[f.start:f.end]
		n := len(sc.phones)
		sc.phones = phone.Find(seg, sc.phones)
		for i := n; i < len(sc.phones); i++ {
			sc.phoneFld = append(sc.phoneFld, fm)
			p := sc.phones[i]
			os, oe, q := sc.quote(f, f.start+p.Start, f.start+p.End)
			ev := fired{field: fieldNames[fm], start: os, end: oe, evidence: q}
			e.signal(sc, msg, "phone."+p.Kind.String(), ev)
			if e.opts.Blocklist.hasNumber(p.E164) {
				e.signal(sc, msg, "phone.known_fraud", ev)
			}
		}
		if msg.Direction != event.DirectionOut {
			continue
		}
		n = len(sc.codes)
		sc.codes = giftcode.Find(seg, sc.codes)
		for i := n; i < len(sc.codes); i++ {
			c := sc.codes[i]
			os, oe, q := sc.quote(f, f.start+c.Start, f.start+c.End)
			e.signal(sc, msg, "code."+c.Kind.String(), fired{field: fieldNames[fm], start: os, end: oe, evidence: giftcode.Mask(q)})
		}
		n = len(sc.codes)
		sc.codes = giftcode.FindBitCash(f.src, seg, sc.codes)
		for _, c := range sc.codes[n:] {
			e.signal(sc, msg, "code."+c.Kind.String(), fired{field: fieldNames[fm], start: c.Start, end: c.End, evidence: giftcode.Mask(f.src[c.Start:c.End])})
		}
	}

	for _, d := range sc.disguises {
		f := sc.field(d.field)
		if f == nil {
			continue
		}
		os, oe, q := sc.quote(f, d.start, d.end)
		e.signal(sc, msg, "text.brand_disguise", fired{field: fieldNames[d.field], start: os, end: oe, evidence: q})
	}
}

func (e *Engine) claimsBrand(sc *scratch, msg *event.Message) bool {
	for _, c := range sc.claims {
		switch {
		case msg.Channel == event.ChannelSMS:
			return true
		case c.Field == sender.FieldFrom, c.Field == sender.FieldSubject, c.Field == sender.FieldSelf:
			return true
		}
	}
	return false
}

// allGenuine reports whether the message has links and all of them go to
// protected brands' own domains. A domain merely named in the text (a
// phishing mail copies the brand's footer) is not a link; a scheme-less
// www host is.
func (e *Engine) allGenuine(sc *scratch, msg *event.Message) bool {
	n := 0
	for i := range sc.found {
		f := &sc.found[i]
		if f.Flags&urls.Email != 0 || f.Flags&urls.NoScheme != 0 && f.Flags&urls.WWW == 0 {
			continue
		}
		if _, ok := e.urls.Genuine(f.Host); !ok || f.Host == "" {
			return false
		}
		n++
	}
	for _, l := range msg.Links {
		f, ok := urls.Parse(l.Href)
		if !ok {
			continue
		}
		if _, genuine := e.urls.Genuine(f.Host); !genuine {
			return false
		}
		n++
	}
	return n > 0
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var catIndex = func() map[event.Category]int {
	m := map[event.Category]int{}
	for i, c := range event.Categories {
		m[c] = i
	}
	return m
}()

// verdict adds up the fired rules.
func (e *Engine) verdict(sc *scratch, msg *event.Message) event.Verdict {
	var (
		primary  [16]float64 // per category
		modifier [16]float64
		negative float64
		flags    []event.Flag
	)
	slices.SortFunc(sc.fired, func(a, b fired) int { return a.rule - b.rule })
	reasons := make([]event.Reason, 0, len(sc.fired))
	for _, f := range sc.fired {
		r := e.rules[f.rule].r
		ci := catIndex[r.Category]
		switch {
		case r.Weight < 0:
			negative += r.Weight
		case r.Modifier:
			modifier[ci] += r.Weight
		default:
			primary[ci] += r.Weight
		}
		for _, fl := range r.Flags {
			if !slices.Contains(flags, fl) {
				flags = append(flags, fl)
			}
		}
		reasons = append(reasons, event.Reason{
			Rule: r.ID, Category: r.Category, Weight: r.Weight, Evidence: f.evidence,
			Field: f.field, Start: f.start, End: f.end, Explain: e.rules[f.rule].reason,
		})
	}
	o := e.opts
	var score, mods float64
	var anyPrimary, lure bool
	cats := make([]float64, len(event.Categories))
	for i, c := range event.Categories {
		p := min(primary[i], o.CategoryCap)
		if p > 0 {
			anyPrimary = true
			if c.IsLureFamily() {
				lure = true
			}
		}
		score += p
		cats[i] = p
	}
	if anyPrimary {
		for i := range event.Categories {
			mods += modifier[i]
			if cats[i] > 0 {
				cats[i] += modifier[i]
			}
		}
		score += min(mods, o.ModifierCap)
	}
	gift := primary[catIndex[event.CategoryGiftCardDemand]]
	if lure && gift >= o.Suspicious {
		score += o.ComboBonus
	}
	score = max(0, score+negative)

	level := event.LevelClean
	switch {
	case score >= o.Scam:
		level = event.LevelScam
	case score >= o.Suspicious:
		level = event.LevelSuspicious
	}
	handover := primary[catIndex[event.CategoryCodeHandover]] > 0
	if handover {
		level = event.LevelScam
		score = max(score, o.Scam)
	}

	v := event.Verdict{
		MessageID: msg.ID, Channel: msg.Channel, Direction: msg.Direction,
		Household: msg.Household, Person: msg.Person,
		ReceivedAt: msg.ReceivedAt, IngestedAt: msg.IngestedAt, ScreenedAt: time.Now().UTC(),
		Engine: Version, RulePacks: e.refs, Level: level, Score: round2(score),
		Reasons: reasons, Sender: msg.From, Subject: msg.Subject,
	}
	v.ID = event.VerdictID(msg.ID, e.refs)
	if level > event.LevelClean {
		v.Categories = e.categories(cats)
		v.Flags = flags
		if handover && !slices.Contains(v.Flags, event.FlagCodeSent) {
			v.Flags = append(v.Flags, event.FlagCodeSent)
		}
		v.Guidance = guidance(&v, len(sc.phones) > 0)
	}
	v.Categories = nonNil(v.Categories)
	v.Indicators = e.indicators(sc, msg)
	return v
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func round2(f float64) float64 {
	return float64(int64(f*100+0.5)) / 100
}

// categories names the categories with enough evidence, strongest first.
func (e *Engine) categories(scores []float64) []event.Category {
	type cs struct {
		c event.Category
		s float64
	}
	var all []cs
	top := 0.0
	for i, c := range event.Categories {
		if scores[i] > 0 {
			all = append(all, cs{c, scores[i]})
			top = max(top, scores[i])
		}
	}
	slices.SortStableFunc(all, func(a, b cs) int {
		switch {
		case a.s > b.s:
			return -1
		case a.s < b.s:
			return 1
		}
		return 0
	})
	var out []event.Category
	for _, x := range all {
		if x.s >= e.opts.CategoryMin || x.s == top {
			out = append(out, x.c)
		}
	}
	return out
}

// guidance picks the advice of the seed article that fits the verdict.
func guidance(v *event.Verdict, phones bool) []string {
	g := []string{}
	add := func(keys ...string) {
		for _, k := range keys {
			if !slices.Contains(g, k) {
				g = append(g, k)
			}
		}
	}
	if v.Has(event.CategoryCodeHandover) {
		add(event.GuidanceContactAmazon, event.GuidanceResendEmailCard, event.GuidanceKeepEvidence, event.GuidancePolice9110, event.GuidanceConsumer188)
	}
	add(event.GuidanceDoNotBuy)
	if v.Has(event.CategoryImpersonation) {
		add(event.GuidanceCallKnownNumber)
	}
	if phones {
		add(event.GuidanceDoNotCallBack)
	}
	if v.Has(event.CategoryPhishingLink) {
		add(event.GuidanceDoNotOpenLink)
	}
	if v.Has(event.CategoryUnpaidBill) || v.Has(event.CategoryAccountLock) {
		add(event.GuidanceCallKnownNumber)
	}
	if v.Level == event.LevelScam {
		add(event.GuidanceKeepEvidence, event.GuidanceConsumer188)
	}
	return g
}

// indicators collects what identifies the campaign, for grouping alerts.
func (e *Engine) indicators(sc *scratch, msg *event.Message) event.Indicators {
	var in event.Indicators
	if msg.From.Addr != "" {
		in.SenderKey = strings.ToLower(strings.TrimSpace(msg.From.Addr))
	}
	for _, p := range sc.phones {
		if !slices.Contains(in.Phones, p.E164) {
			in.Phones = append(in.Phones, p.E164)
		}
	}
	for _, f := range sc.found {
		if f.Domain == "" || f.Flags&urls.Email != 0 {
			continue
		}
		if _, genuine := e.urls.Genuine(f.Domain); genuine {
			continue
		}
		if !slices.Contains(in.Domains, f.Domain) {
			in.Domains = append(in.Domains, f.Domain)
		}
	}
	in.Codes = len(sc.codes)
	return in
}
