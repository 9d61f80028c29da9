package mailparse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/scamscreen/scamscreen/event"
)

// ErrNotMessage reports input that does not look like a mail at all: empty,
// binary, JSON, an HTML document, or text without any mail header field.
var ErrNotMessage = errors.New("input is not a mail message")

// MaxTextBytes caps the decoded text Parse keeps for one message (UTF-8
// bytes, all parts together). Text beyond it is dropped and ParseError says
// so; the raw original keeps everything.
const MaxTextBytes = 4 << 20

// ReceivedCountHeader is the key under which Parse records, in
// [event.Message.Headers], how many Received header fields the message
// carries (as a decimal string, "0" when there are none). A message that
// claims to come from a bank but crossed no relay, or crossed dozens, is
// worth a look, and the count is cheaper to keep than the fields.
const ReceivedCountHeader = "X-Scamscreen-Received-Count"

// evidenceHeaders are the header fields Parse copies into
// [event.Message.Headers], under Go's canonical spelling
// (net/textproto.CanonicalMIMEHeaderKey, hence "Message-Id"). The bool says
// whether the value may carry RFC 2047 encoded words worth decoding.
var evidenceHeaders = []struct {
	key    string
	decode bool
}{
	{"Message-Id", false},
	{"Date", false},
	{"Return-Path", false},
	{"X-Mailer", true},
	{"User-Agent", true},
	{"List-Unsubscribe", false},
	{"Reply-To", true},
	{"Sender", true},
}

// Limits that keep a hostile message from using unbounded memory or time.
const (
	maxHTMLBytes       = 16 << 20 // decoded HTML read, all parts together
	maxParts           = 1000
	maxDepth           = 20
	maxHeaderValues    = 20
	maxHeaderValueSize = 4 << 10
	maxIssues          = 16
)

// Parse decodes a raw message. It always returns a non-nil *event.Message
// holding what could be decoded (Channel=email, Direction left empty for
// the caller, ID left empty for the caller). When the input could only be
// partly decoded, msg.ParseError says what went wrong (no message content
// in that string) and err is nil. err is non-nil (wrapping ErrNotMessage)
// only when the input does not look like a mail at all (e.g. empty, binary,
// JSON) — the message returned then still carries a best-effort Text from
// the raw bytes.
//
// Parse fills From, To, ReplyTo, Subject, ReceivedAt (from Date; zero when
// unreadable), Text, Links, URLs (the deduplicated web hrefs of Links),
// Auth (from the top-most Authentication-Results, the one the receiving
// server added), Headers, Attachments (name, type and decoded size;
// content is not parsed) and Raw (Size, SHA256 and Type, not Inline).
// Headers keeps every occurrence of Message-Id, Date, Return-Path,
// X-Mailer, User-Agent, List-Unsubscribe, Reply-To and Sender, keyed by
// Go's canonical spelling (net/textproto.CanonicalMIMEHeaderKey, hence
// "Message-Id"), decoded to UTF-8, plus [ReceivedCountHeader].
//
// Text is every text/plain part decoded to UTF-8, joined by blank lines;
// in multipart/alternative the plain part is preferred unless it is empty
// or a stub next to a much longer HTML part, whose reduced text
// ([HTMLText]) is then used. HTML-only mail is reduced the same way.
func Parse(raw []byte) (msg *event.Message, err error) {
	sum := sha256.Sum256(raw)
	msg = &event.Message{
		Channel: event.ChannelEmail,
		Raw:     &event.Raw{Size: int64(len(raw)), SHA256: hex.EncodeToString(sum[:]), Type: "message/rfc822"},
	}
	p := &parser{msg: msg, textLeft: MaxTextBytes, htmlLeft: maxHTMLBytes}
	defer func() {
		if r := recover(); r != nil {
			// A bug, not bad input: keep the message screenable from the
			// raw bytes rather than losing it.
			msg.Text, msg.Links, msg.URLs = "", nil, nil
			q := &parser{msg: msg, textLeft: MaxTextBytes, htmlLeft: maxHTMLBytes}
			q.issue(issueInternal)
			q.finish(q.rawPieces(raw, ""))
			err = nil
		}
	}()

	data := raw
	if head := raw[:min(len(raw), 64<<10)]; bytes.IndexByte(head, '\n') < 0 && bytes.IndexByte(head, '\r') >= 0 {
		data = bytes.ReplaceAll(raw, []byte{'\r'}, []byte{'\n'}) // classic Mac line ends
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a UTF-8 byte order mark from some exports
	if reason := notMail(data); reason != "" {
		return p.notMessage(data, reason)
	}
	hb := readHeader(data, true)
	if !hasMailField(hb.h) {
		return p.notMessage(data, issueNoMailField)
	}
	p.headerIssues(hb, "")
	pieces := p.entity(hb.h, hb.body, "", 0, "text/plain")
	p.fillHeader(hb.h)
	p.finish(pieces)
	return msg, nil
}

func (p *parser) notMessage(data []byte, reason string) (*event.Message, error) {
	p.issue(reason)
	p.finish(p.rawPieces(data, ""))
	return p.msg, fmt.Errorf("parse mail: %s: %w", reason, ErrNotMessage)
}

// notMail recognises input that is not a mail before header parsing.
func notMail(data []byte) string {
	trimmed := bytes.TrimLeft(data, " \t\r\n\f\v\ufeff")
	if len(bytes.TrimSpace(trimmed)) == 0 {
		return issueEmpty
	}
	head := data[:min(len(data), 8<<10)]
	ctl := 0
	for _, c := range head {
		if c == 0 {
			return issueBinary
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b {
			ctl++
		}
	}
	if ctl*10 > len(head) {
		return issueBinary
	}
	switch trimmed[0] {
	case '{', '[':
		return issueStructured
	case '<':
		return issueHTMLDocument
	}
	return ""
}

// hasMailField reports whether a header block holds at least one field
// mail carries.
func hasMailField(h header) bool {
	for _, f := range h {
		if knownFieldName(string(f.name)) {
			return true
		}
	}
	return false
}

// piece is the text of one body part.
type piece struct {
	html bool
	text string
}

// parser holds the state of one Parse call.
type parser struct {
	msg      *event.Message
	issues   []string
	textLeft int // text bytes still allowed
	htmlLeft int // decoded HTML bytes still allowed
	parts    int
	// hint is the first charset other than us-ascii the message declares.
	hint  charsetHint
	links []event.Link
}

// issue records a problem once per phrase: the first part it happened in
// names it, later parts with the same problem add nothing.
func (p *parser) issue(s string) {
	phrase := issuePhrase(s)
	for _, i := range p.issues {
		if issuePhrase(i) == phrase {
			return
		}
	}
	if len(p.issues) < maxIssues {
		p.issues = append(p.issues, s)
	}
}

func issuePhrase(s string) string {
	if strings.HasPrefix(s, "part ") {
		if _, phrase, ok := strings.Cut(s, ": "); ok {
			return phrase
		}
	}
	return s
}

func partIssue(path, s string) string {
	if path == "" {
		return s
	}
	return "part " + path + ": " + s
}

func (p *parser) headerIssues(hb headerBlock, path string) {
	if hb.malformed > 0 {
		p.issue(partIssue(path, issueMalformedHeader))
	}
	if hb.noBlank && len(hb.h) > 0 {
		p.issue(partIssue(path, issueNoBlankLine))
	}
	if hb.tooBig {
		p.issue(partIssue(path, issueHeaderTooBig))
	}
}

// finish joins the pieces into Text and derives URLs from the links.
func (p *parser) finish(pieces []piece) {
	var b strings.Builder
	for _, pc := range pieces {
		if pc.text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(pc.text)
	}
	p.msg.Text = b.String()
	p.msg.Links = p.links
	seen := make(map[string]bool, len(p.links))
	for _, l := range p.links {
		if webURL(l.Href) && !seen[l.Href] {
			seen[l.Href] = true
			p.msg.URLs = append(p.msg.URLs, l.Href)
		}
	}
	p.msg.ParseError = strings.Join(p.issues, "; ")
}

// webURL reports whether an href points at the web: http, https or ftp,
// or scheme-less with a host ("//host/x", "www.example.jp/x"). mailto:,
// tel:, javascript:, cid: and fragments are not URLs to screen.
func webURL(href string) bool {
	h := strings.ToLower(strings.TrimSpace(href))
	if h == "" || h[0] == '#' {
		return false
	}
	if i := strings.IndexByte(h, ':'); i > 0 && isScheme(h[:i]) {
		switch h[:i] {
		case "http", "https", "ftp":
			return true
		}
		return false
	}
	if strings.HasPrefix(h, "//") {
		return true
	}
	host := h
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	return strings.Contains(host, ".") && !strings.HasPrefix(host, ".")
}

func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// fillHeader sets the header-derived fields of the message.
func (p *parser) fillHeader(h header) {
	m := p.msg
	subj, _ := h.get("Subject")
	m.Subject = decodeHeaderText(unfoldCapped(subj), p.hint)
	if v, ok := h.get("From"); ok {
		list, found := parseAddressList(unfoldCapped(v), p.hint)
		for _, a := range list {
			if a.Addr != "" {
				m.From = a
				break
			}
		}
		if !found {
			if len(list) > 0 {
				m.From = list[0]
			}
			p.issue(issueFromNoAddress)
		}
	}
	m.To = p.addressFields(h, "To")
	m.ReplyTo = p.addressFields(h, "Reply-To")
	date, _ := h.get("Date")
	m.ReceivedAt = parseDate(toValid([]byte(unfoldCapped(date))))
	if v, ok := h.get("Authentication-Results"); ok {
		if a, _ := ParseAuthResults(unfoldCapped(v)); a != nil {
			m.Auth = a
		}
	}
	m.Headers = map[string][]string{}
	for _, eh := range evidenceHeaders {
		for _, f := range h {
			if !equalFold(f.name, eh.key) {
				continue
			}
			if len(m.Headers[eh.key]) >= maxHeaderValues {
				break
			}
			v := unfoldCapped(f.value)
			if eh.decode {
				v = decodeHeaderText(v, p.hint)
			} else {
				v = cleanText(toValid([]byte(v)))
			}
			m.Headers[eh.key] = append(m.Headers[eh.key], truncateUTF8(v, maxHeaderValueSize))
		}
	}
	n := 0
	for _, f := range h {
		if equalFold(f.name, "Received") {
			n++
		}
	}
	m.Headers[ReceivedCountHeader] = []string{strconv.Itoa(n)}
}

func (p *parser) addressFields(h header, name string) []event.Address {
	var out []event.Address
	for _, f := range h {
		if !equalFold(f.name, name) {
			continue
		}
		list, _ := parseAddressList(unfoldCapped(f.value), p.hint)
		out = append(out, list...)
		if len(out) >= maxAddresses {
			return out[:maxAddresses]
		}
	}
	return out
}
