package mailparse

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/scamscreen/scamscreen/event"
)

// Limits for HTMLText.
const (
	maxLinks        = 2000
	maxLinkText     = 1 << 10
	maxHiddenFrames = 256
)

// HTMLText reduces an HTML body to the text a reader sees and returns its
// links. It streams through golang.org/x/net/html's tokenizer:
//
//   - script, style, title, template, noscript and Outlook's xml blocks are
//     dropped, and so is every element hidden with an inline style
//     (display:none, visibility:hidden, mso-hide:all, font-size:0,
//     opacity:0) or the hidden attribute, since spam hides words there;
//   - block elements (p, div, br, li, tr, h1–h6, table, ...) become line
//     breaks, table cells a space; entities are decoded; runs of blanks
//     collapse to one space and runs of line breaks to one;
//   - each <a href> becomes a [event.Link] with its href as written
//     (trimmed) and its visible text (the image alt text when it has
//     none); the text also stays in the returned text. A hidden anchor
//     still yields its link, with no text. <area href> (Text is its alt),
//     <form action> and <iframe src> / <frame src> yield links too.
//
// The input need not be valid UTF-8; the output is.
func HTMLText(s string) (text string, links []event.Link) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var w htmlWalker
	w.out.Grow(len(s) / 3)
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken: // io.EOF: a string reader has no other error
			w.closeAnchor()
			return strings.TrimSpace(w.out.String()), w.links
		case html.TextToken:
			if len(w.frames) > 0 {
				continue
			}
			w.text(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			w.start(tagName(name), hasAttr, tt == html.SelfClosingTagToken, z)
		case html.EndTagToken:
			name, _ := z.TagName()
			w.end(tagName(name))
		}
	}
}

// tagName returns the element name without allocating for known tags.
func tagName(b []byte) string {
	if a := atom.Lookup(b); a != 0 {
		return a.String()
	}
	return string(b)
}

// hiddenFrame is an element whose content is not shown.
type hiddenFrame struct {
	tag   string
	depth int // open elements of the same name inside it, plus itself
}

type anchor struct {
	href string
	text strings.Builder
	alt  string
}

type htmlWalker struct {
	out       strings.Builder
	space, nl bool // a blank or a line break is pending
	pre       int  // inside <pre>
	frames    []hiddenFrame
	a         *anchor
	links     []event.Link
	scratch   []byte // reused by hiddenStyle
}

// skippedTags never show their content.
var skippedTags = map[string]bool{
	"script": true, "style": true, "title": true, "template": true, "noscript": true,
	"xml": true, "iframe": true, "noembed": true, "noframes": true,
}

var blockTags = map[string]bool{
	"p": true, "div": true, "br": true, "li": true, "tr": true, "table": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "dl": true, "dt": true, "dd": true, "blockquote": true,
	"pre": true, "hr": true, "section": true, "article": true, "header": true,
	"footer": true, "nav": true, "aside": true, "main": true, "form": true,
	"center": true, "address": true, "fieldset": true, "figure": true,
	"figcaption": true, "details": true, "summary": true, "caption": true,
	"thead": true, "tbody": true, "tfoot": true, "body": true, "html": true,
	"option": true, "legend": true,
}

var voidTags = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "param": true,
	"source": true, "track": true, "wbr": true, "basefont": true, "frame": true,
	"keygen": true, "isindex": true,
}

func (w *htmlWalker) start(tag string, hasAttr, selfClosing bool, z *html.Tokenizer) {
	var href, alt, action, src string
	hidden := false
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = z.TagAttr()
		switch string(k) {
		case "href":
			href = string(v)
		case "alt":
			alt = string(v)
		case "style":
			if w.hiddenStyle(v) {
				hidden = true
			}
		case "action":
			action = string(v)
		case "src":
			src = string(v)
		case "hidden":
			hidden = true
		}
	}
	w.autoClose(tag)

	switch tag {
	case "a":
		w.closeAnchor()
		if h := strings.TrimSpace(href); h != "" {
			w.a = &anchor{href: h}
		}
	case "area":
		if h := strings.TrimSpace(href); h != "" {
			w.addLink(event.Link{Href: h, Text: collapse(alt)})
		}
	case "form":
		if h := strings.TrimSpace(action); h != "" {
			w.addLink(event.Link{Href: h})
		}
	case "iframe", "frame":
		if h := strings.TrimSpace(src); h != "" {
			w.addLink(event.Link{Href: h}) // loaded without a click in clients that allow it
		}
	case "img":
		if w.a != nil && len(w.frames) == 0 && w.a.alt == "" {
			w.a.alt = alt
		}
	case "pre":
		w.pre++
	case "td", "th":
		w.space = true
	}
	if blockTags[tag] {
		w.nl = true
	}
	if voidTags[tag] || selfClosing {
		return
	}
	if len(w.frames) > 0 {
		if top := &w.frames[len(w.frames)-1]; top.tag == tag {
			top.depth++
			return
		}
	}
	if (skippedTags[tag] || hidden) && len(w.frames) < maxHiddenFrames {
		w.frames = append(w.frames, hiddenFrame{tag: tag, depth: 1})
	}
}

// autoClose ends a hidden element that HTML closes implicitly when tag
// starts (a <p> by the next block, an <li> by the next <li>, ...).
func (w *htmlWalker) autoClose(tag string) {
	for len(w.frames) > 0 {
		top := w.frames[len(w.frames)-1]
		closes := false
		switch top.tag {
		case "p":
			closes = blockTags[tag] && tag != "br"
		case "li":
			closes = tag == "li"
		case "td", "th":
			closes = tag == "td" || tag == "th" || tag == "tr"
		case "tr":
			closes = tag == "tr"
		case "option":
			closes = tag == "option"
		case "dt", "dd":
			closes = tag == "dt" || tag == "dd"
		}
		if !closes || top.depth != 1 {
			return
		}
		w.frames = w.frames[:len(w.frames)-1]
	}
}

func (w *htmlWalker) end(tag string) {
	for i := len(w.frames) - 1; i >= 0; i-- {
		if w.frames[i].tag != tag {
			continue
		}
		w.frames[i].depth--
		if w.frames[i].depth == 0 {
			w.frames = w.frames[:i]
		} else {
			w.frames = w.frames[:i+1]
		}
		break
	}
	switch tag {
	case "a":
		w.closeAnchor()
	case "pre":
		if w.pre > 0 {
			w.pre--
		}
	case "td", "th":
		w.space = true
	}
	if blockTags[tag] {
		w.nl = true
	}
}

func (w *htmlWalker) closeAnchor() {
	if w.a == nil {
		return
	}
	t := collapse(w.a.text.String())
	if t == "" {
		t = collapse(w.a.alt)
	}
	w.addLink(event.Link{Href: w.a.href, Text: t})
	w.a = nil
}

func (w *htmlWalker) addLink(l event.Link) {
	if len(w.links) >= maxLinks {
		return
	}
	if len(l.Text) > maxLinkText {
		l.Text = truncateUTF8(l.Text, maxLinkText)
	}
	w.links = append(w.links, l)
}

// text writes visible text, collapsing blanks (and line breaks outside
// <pre>).
func (w *htmlWalker) text(s []byte) {
	if w.a != nil && w.a.text.Len() < maxLinkText {
		w.a.text.Write(s)
		w.a.text.WriteByte(' ')
	}
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		s = s[n:]
		switch r {
		case '\n':
			if w.pre > 0 {
				w.nl = true
			} else {
				w.space = true
			}
			continue
		case ' ', '\t', '\r', '\f', '\u00a0':
			w.space = true
			continue
		}
		if w.out.Len() > 0 {
			switch {
			case w.nl:
				w.out.WriteByte('\n')
			case w.space:
				w.out.WriteByte(' ')
			}
		}
		w.nl, w.space = false, false
		w.out.WriteRune(r)
	}
}

// hiddenStyle reports whether an inline style hides its element. It
// normalises the style (lower case, no blanks) into a scratch buffer the
// walker reuses, so styled elements cost no allocation.
func (w *htmlWalker) hiddenStyle(style []byte) bool {
	b := w.scratch[:0]
	for _, c := range style {
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		case c >= 'A' && c <= 'Z':
			b = append(b, c+('a'-'A'))
		default:
			b = append(b, c)
		}
	}
	w.scratch = b
	for _, h := range hidingStyles {
		if bytes.Contains(b, h) {
			return true
		}
	}
	return zeroProperty(b, []byte("font-size:")) || zeroProperty(b, []byte("opacity:"))
}

var hidingStyles = [][]byte{
	[]byte("display:none"), []byte("visibility:hidden"), []byte("visibility:collapse"), []byte("mso-hide:all"),
}

// zeroProperty reports whether prop is set to zero ("0", "0px", "0%"),
// not to "0.8em" or "10px".
func zeroProperty(s, prop []byte) bool {
	for i := 0; ; {
		j := bytes.Index(s[i:], prop)
		if j < 0 {
			return false
		}
		at := i + j
		i = at + len(prop)
		if at > 0 && s[at-1] != ';' && s[at-1] != '{' {
			continue // the tail of a longer property name
		}
		v := s[i:]
		k := 0
		for k < len(v) && v[k] == '0' {
			k++
		}
		if k == 0 || (k < len(v) && (v[k] == '.' || v[k] >= '0' && v[k] <= '9')) {
			continue
		}
		return true
	}
}

// collapse joins the words of s with single spaces.
func collapse(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
