package mailparse

import (
	"bytes"
	"strings"

	"github.com/scamscreen/scamscreen/event"
)

// transfer decodes a body's transfer encoding, keeping at most limit
// bytes. It reports whether output was dropped. A clear-text tail after
// base64 data (a list footer) is appended after a line break, as is.
func (p *parser) transfer(cte int, body []byte, limit int, path string) ([]byte, bool) {
	switch cte {
	case cteBase64:
		end := base64End(body)
		tail := bytes.TrimSpace(body[end:])
		out, bad, truncated := appendBase64(make([]byte, 0, min(limit, end*3/4+len(tail)+8)), body[:end], limit)
		if len(tail) > 0 && !truncated {
			out = append(out, '\n')
			out = append(out, tail[:min(len(tail), max(limit-len(out), 0))]...)
		}
		if bad > 0 {
			if bad*10 > nonBlank(body[:end]) {
				// Not base64 at all: a mislabelled plain body.
				p.issue(partIssue(path, issueCTEMismatch))
				return identity(body, limit)
			}
			p.issue(partIssue(path, issueBadBase64))
		}
		return out, truncated
	case cteQP:
		return appendQP(make([]byte, 0, min(limit, len(body))), body, limit)
	case cteUnknown:
		p.issue(partIssue(path, issueUnknownCTE))
	}
	return identity(body, limit)
}

func identity(body []byte, limit int) ([]byte, bool) {
	if len(body) > limit {
		return body[:limit], true
	}
	return body, false
}

func nonBlank(b []byte) int {
	n := 0
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			n++
		}
	}
	return n
}

// transferSize returns the decoded size of a body without keeping it: the
// decoders run in count-only mode over the input slice.
func transferSize(cte int, body []byte) int64 {
	switch cte {
	case cteBase64:
		return base64Size(body)
	case cteQP:
		return qpSize(body)
	}
	return int64(len(body))
}

func (p *parser) attachment(typ string, params, dparams map[string]string, cte int, body []byte) {
	if len(p.msg.Attachments) >= maxParts {
		return
	}
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = cleanText(decodeWords(name, p.hint))
	p.msg.Attachments = append(p.msg.Attachments, event.Attachment{
		Name: truncateUTF8(name, 1024),
		Type: truncateUTF8(toValid([]byte(typ)), 256),
		Size: transferSize(cte, body),
	})
}

// textPart decodes a text/plain (or other readable text/*) part.
func (p *parser) textPart(params map[string]string, cte int, body []byte, path string) []piece {
	if p.textLeft <= 0 {
		if len(bytes.TrimSpace(body)) > 0 {
			p.issue(issueTextTruncated)
		}
		return nil
	}
	raw, truncated := p.transfer(cte, body, p.textLeft+16, path)
	s, _ := p.decodeBody(raw, params["charset"])
	if truncated {
		s = strings.TrimRight(s, "\uFFFD") // a character cut by the limit
	}
	bad := strings.Count(s, "\uFFFD")
	s = normaliseNewlines(s)
	if strings.EqualFold(params["format"], "flowed") {
		s = unflow(s, strings.EqualFold(params["delsp"], "yes"))
	}
	s = strings.TrimSpace(s)
	if bad > 0 {
		p.issue(partIssue(path, issueUndecodable))
	}
	return p.keep(s, truncated, false)
}

// keep charges s to the text budget and returns it as a piece.
func (p *parser) keep(s string, truncated, html bool) []piece {
	if len(s) > p.textLeft {
		s = truncateUTF8(s, max(p.textLeft, 0))
		truncated = true
	}
	if truncated {
		p.issue(issueTextTruncated)
	}
	p.textLeft -= len(s)
	if s == "" {
		return nil
	}
	return []piece{{html: html, text: s}}
}

// htmlPart reduces a text/html part to text and records its links.
func (p *parser) htmlPart(params map[string]string, cte int, body []byte, path string) []piece {
	if p.htmlLeft <= 0 {
		p.issue(issueHTMLTruncated)
		return nil
	}
	raw, truncated := p.transfer(cte, body, p.htmlLeft, path)
	p.htmlLeft -= len(raw)
	label := params["charset"]
	if label == "" {
		label = metaCharset(raw)
	}
	s, _ := p.decodeBody(raw, label)
	if truncated {
		s = strings.TrimRight(s, "\uFFFD") // a character cut by the limit
		p.issue(issueHTMLTruncated)
	}
	if strings.Contains(s, "\uFFFD") {
		p.issue(partIssue(path, issueUndecodable))
	}
	text, links := HTMLText(s)
	p.addLinks(links)
	if p.textLeft <= 0 {
		if text != "" {
			p.issue(issueTextTruncated)
		}
		return nil
	}
	return p.keep(text, false, true)
}

func (p *parser) addLinks(links []event.Link) {
	room := maxLinks - len(p.links)
	if len(links) > room {
		links = links[:max(room, 0)]
	}
	p.links = append(p.links, links...)
}

// metaCharset finds <meta charset=...> or <meta http-equiv content="...;
// charset=..."> near the start of an HTML body with no MIME charset.
func metaCharset(b []byte) string {
	head := bytes.ToLower(b[:min(len(b), 4<<10)])
	for i := 0; ; {
		j := bytes.Index(head[i:], []byte("charset"))
		if j < 0 {
			return ""
		}
		i += j + len("charset")
		if bytes.LastIndex(head[:i], []byte("<meta")) < 0 {
			continue
		}
		k := i
		for k < len(head) && (head[k] == ' ' || head[k] == '=' || head[k] == '"' || head[k] == '\'') {
			k++
		}
		e := k
		for e < len(head) && head[e] > ' ' && head[e] != '"' && head[e] != '\'' && head[e] != ';' && head[e] != '>' && head[e] != '/' {
			e++
		}
		if e > k && e-k < 40 {
			return string(head[k:e])
		}
	}
}

// decodeBody decodes a part's text: with its own charset when it declares
// one, else with the message's hint.
func (p *parser) decodeBody(b []byte, label string) (string, int) {
	if k, _ := resolveCharset(label); k == csNone {
		return p.hint.decode(b)
	}
	return decodeText(b, label, p.hint.kind)
}

// rawPieces is the fallback when structure is lost: the bytes are read as
// text (quoted-printable undone when it clearly is), charset detected, and
// reduced as HTML when they look like HTML.
func (p *parser) rawPieces(b []byte, path string) []piece {
	if len(b) > p.htmlLeft {
		b = b[:max(p.htmlLeft, 0)]
		p.issue(issueTextTruncated)
	}
	if looksQP(b) {
		b, _ = appendQP(make([]byte, 0, len(b)), b, len(b))
	}
	s, _ := p.hint.decode(b)
	s = normaliseNewlines(s)
	if looksHTML(s) {
		text, links := HTMLText(s)
		p.addLinks(links)
		return p.keep(text, false, true)
	}
	return p.keep(strings.TrimSpace(stripControls(s)), false, false)
}

func looksQP(b []byte) bool {
	head := b[:min(len(b), 64<<10)]
	return bytes.Count(head, []byte("=\n"))+bytes.Count(head, []byte("=\r\n"))+bytes.Count(head, []byte("=3D"))+bytes.Count(head, []byte("=20")) >= 3
}

func looksHTML(s string) bool {
	head := strings.ToLower(s[:min(len(s), 64<<10)])
	for _, t := range []string{"<html", "<body", "<a href", "<div", "<p>", "<br", "<table", "<font"} {
		if strings.Contains(head, t) {
			return true
		}
	}
	return false
}

// stripControls drops C0 control characters other than tab and line feed
// (binary input read as text).
func stripControls(s string) string {
	if strings.IndexFunc(s, isJunkControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isJunkControl(r) {
			return -1
		}
		return r
	}, s)
}

func isJunkControl(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' || r == 0x7f }

// normaliseNewlines turns CRLF and lone CR into LF.
func normaliseNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// unflow joins format=flowed soft line breaks (RFC 3676) so a sentence
// wrapped by the sender reads as one line.
func unflow(s string, delsp bool) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	b.Grow(len(s))
	for i, l := range lines {
		if strings.HasPrefix(l, " ") {
			l = l[1:] // space-stuffing
		}
		soft := strings.HasSuffix(l, " ") && l != "-- " && i < len(lines)-1
		if soft && delsp {
			l = l[:len(l)-1]
		}
		b.WriteString(l)
		if !soft && i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
