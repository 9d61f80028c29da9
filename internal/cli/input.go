package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

// item is one message read from the command line's inputs, or the error
// that stopped it from being read. where names the file or file:line.
type item struct {
	where string
	msg   *event.Message
	label string
	cats  []string
	warn  string // the message was read, but only in part
	err   error
}

// Input formats.
const (
	formatAuto  = "auto"
	formatJSONL = "jsonl"
	formatEML   = "eml"
	formatTSV   = "tsv" // label<TAB>text, as the UCI SMS Spam Collection
)

type reader struct {
	format    string
	direction event.Direction
	stdin     io.Reader
}

// maxLine bounds one JSON Lines record.
const maxLine = 64 << 20

// read calls fn for every message of every input in order. Arguments are
// files, directories (every regular file inside, sorted) or "-" for
// standard input.
func (r *reader) read(args []string, fn func(item)) {
	if len(args) == 0 {
		args = []string{"-"}
	}
	for _, a := range args {
		if a == "-" {
			data, err := io.ReadAll(r.stdin)
			if err != nil {
				fn(item{where: "stdin", err: err})
				continue
			}
			r.readData("stdin", data, fn)
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			fn(item{where: a, err: err})
			continue
		}
		if !st.IsDir() {
			r.readFile(a, fn)
			continue
		}
		var files []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				fn(item{where: p, err: err})
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") {
				return nil
			}
			regular := d.Type().IsRegular()
			if d.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(p) // follow a link to a file
				regular = err == nil && st.Mode().IsRegular()
			}
			if regular {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			fn(item{where: a, err: err})
		}
		sort.Strings(files)
		for _, f := range files {
			r.readFile(f, fn)
		}
	}
}

func (r *reader) readFile(path string, fn func(item)) {
	data, err := os.ReadFile(path)
	if err != nil {
		fn(item{where: path, err: err})
		return
	}
	r.readData(path, data, fn)
}

func (r *reader) readData(name string, data []byte, fn func(item)) {
	format := r.format
	if format == formatAuto {
		switch ext := strings.ToLower(filepath.Ext(name)); {
		case ext == ".jsonl" || ext == ".ndjson" || ext == ".json":
			format = formatJSONL
		case ext == ".eml":
			format = formatEML
		case ext == ".tsv":
			format = formatTSV
		case bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")):
			format = formatJSONL
		case looksTSV(data):
			format = formatTSV
		default:
			format = formatEML
		}
	}
	switch format {
	case formatJSONL:
		r.readJSONL(name, data, fn)
	case formatTSV:
		r.readTSV(name, data, fn)
	default:
		fn(r.readEML(name, data))
	}
}

func (r *reader) readEML(name string, data []byte) item {
	msg, err := mailparse.Parse(data)
	if err != nil {
		if errors.Is(err, mailparse.ErrNotMessage) {
			return item{where: name, err: errors.New("not an e-mail message (expected RFC 822 headers, JSON Lines, or label<TAB>text lines; --input names the format)")}
		}
		return item{where: name, err: err}
	}
	msg.V = event.Version
	msg.ID = name
	msg.Direction = r.direction
	msg.Raw = nil
	it := item{where: name, msg: msg}
	if msg.ParseError != "" {
		it.warn = "read only in part: " + msg.ParseError
	}
	return it
}

// record is one JSON Lines input, as DESIGN.md's command-line contract
// gives it; text is accepted for body, and label and categories (for eval)
// ride along.
type record struct {
	ID         string   `json:"id"`
	Channel    string   `json:"channel"`
	Direction  string   `json:"direction"`
	From       string   `json:"from"`
	To         string   `json:"to"`
	ReplyTo    string   `json:"reply_to"`
	Subject    string   `json:"subject"`
	Body       string   `json:"body"`
	Text       string   `json:"text"`
	HTML       string   `json:"html"`
	ReceivedAt string   `json:"received_at"`
	Label      string   `json:"label"`
	Categories []string `json:"categories"`
}

func (r *reader) readJSONL(name string, data []byte, fn func(item)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, n)
		var rec record
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&rec); err != nil {
			fn(item{where: where, err: fmt.Errorf("not a JSON object: %v", jsonErr(err))})
			continue
		}
		msg, err := recordMessage(&rec, r.direction)
		if err != nil {
			fn(item{where: where, err: err})
			continue
		}
		if msg.ID == "" {
			msg.ID = where
		}
		fn(item{where: where, msg: msg, label: rec.Label, cats: rec.Categories})
	}
	if err := sc.Err(); err != nil {
		fn(item{where: name, err: err})
	}
}

func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v (at byte %d)", se, se.Offset)
	}
	return err.Error()
}

func recordMessage(rec *record, defDir event.Direction) (*event.Message, error) {
	m := &event.Message{V: event.Version, ID: rec.ID, Subject: rec.Subject, Text: rec.Body}
	if m.Text == "" {
		m.Text = rec.Text
	}
	if rec.HTML != "" {
		text, links := mailparse.HTMLText(rec.HTML)
		if m.Text == "" {
			m.Text = text
		}
		m.Links = links
	}
	switch ch := event.Channel(rec.Channel); {
	case ch == "":
		m.Channel = event.ChannelSMS
		if rec.Subject != "" || strings.Contains(rec.From, "@") || rec.HTML != "" {
			m.Channel = event.ChannelEmail
		}
	case ch.Valid():
		m.Channel = ch
	default:
		return nil, fmt.Errorf("channel %q: want sms or email", rec.Channel)
	}
	switch d := event.Direction(rec.Direction); {
	case d == "":
		m.Direction = defDir
	case d.Valid():
		m.Direction = d
	default:
		return nil, fmt.Errorf("direction %q: want in or out", rec.Direction)
	}
	m.From = address(rec.From)
	if rec.To != "" {
		m.To = []event.Address{address(rec.To)}
	}
	if rec.ReplyTo != "" {
		m.ReplyTo = []event.Address{address(rec.ReplyTo)}
	}
	if rec.ReceivedAt != "" {
		t, err := time.Parse(time.RFC3339, rec.ReceivedAt)
		if err != nil {
			return nil, fmt.Errorf("received_at %q: want RFC 3339 time", rec.ReceivedAt)
		}
		m.ReceivedAt = t
	}
	return m, nil
}

func address(s string) event.Address {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil && strings.Contains(s, "@") {
		return event.Address{Name: a.Name, Addr: a.Address}
	}
	if !strings.Contains(s, "@") && strings.ContainsAny(s, "0123456789+") && !strings.ContainsFunc(s, func(r rune) bool { return r > 0x7f }) {
		return event.Address{Addr: s} // a phone number or SMS sender id
	}
	return event.Address{Name: s} // a display name only, as corpora often give
}

func (r *reader) readTSV(name string, data []byte, fn func(item)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	for n := 1; sc.Scan(); n++ {
		where := fmt.Sprintf("%s:%d", name, n)
		label, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			fn(item{where: where, err: errors.New("no tab between label and text")})
			continue
		}
		switch label {
		case "spam", "smishing", "scam":
			label = "scam"
		case "ham":
		default:
			fn(item{where: where, err: fmt.Errorf("label %q: want ham, spam or scam", label)})
			continue
		}
		fn(item{where: where, label: label, msg: &event.Message{
			V: event.Version, ID: where, Channel: event.ChannelSMS, Direction: r.direction, Text: text,
		}})
	}
}

// looksTSV reports whether data starts like label<TAB>text lines: a short
// label without a colon, then a tab. A mail's first line is a header
// ("Received: ...") or an mbox "From " line, which never match.
func looksTSV(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	label, _, ok := bytes.Cut(line, []byte("\t"))
	return ok && len(label) > 0 && len(label) <= 40 && !bytes.ContainsAny(label, ": ")
}
