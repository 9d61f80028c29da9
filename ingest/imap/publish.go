package imap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
	"github.com/scamscreen/scamscreen/internal/errkind"
)

// Headers the worker adds to [event.Message.Headers] (canonical spelling)
// so that a later stage, an operator or [Actions] can find the mail on the
// server again: the mailbox id, the folder name, and the folder's
// UIDVALIDITY and the mail's UID as decimal strings. HeaderTruncated is
// set, to the full size in bytes, when the mail was larger than
// max_message_size and Raw holds only its beginning.
const (
	HeaderMailbox     = "X-Scamscreen-Imap-Mailbox"
	HeaderFolder      = "X-Scamscreen-Imap-Folder"
	HeaderUIDValidity = "X-Scamscreen-Imap-Uidvalidity"
	HeaderUID         = "X-Scamscreen-Imap-Uid"
	HeaderTruncated   = "X-Scamscreen-Imap-Truncated"
)

// shrunkTextBytes is the text kept when a message was too large for the
// bus as parsed (a permanent publish error): the raw original still holds
// everything.
const (
	shrunkTextBytes = 256 << 10
	shrunkLinks     = 200
)

// A message refused by the bus is cut to fit: each field to at most
// shrunkFieldBytes, lists to shrunkLinks entries, and the whole, encoded
// without its raw original, to shrunkBudget. The raw original travels
// inline only up to the bus's raw_inline_limit (at most 512 KiB, 683 KiB
// in base64), and in the object store above it, so this leaves room under
// NATS's default 1 MiB max_payload.
const (
	shrunkFieldBytes = 2 << 10
	shrunkBudget     = 256 << 10
	shrunkIssueBytes = 1 << 10
)

// Source returns the event.Message Source of mail from folder of mailbox
// id: "imap:<id>/<folder>".
func Source(mailboxID, folder string) string { return "imap:" + mailboxID + "/" + folder }

// buildMessage turns a fetched mail into the message published for it.
func (f *folder) buildMessage(m *fetched) *event.Message {
	msg, _ := mailparse.Parse(m.raw) // a mail that is not one still goes out, flagged
	msg.ID = event.EmailID(f.a.Household, f.a.Person, m.raw)
	msg.Channel = event.ChannelEmail
	msg.Direction = f.spec.dir
	msg.Household = f.a.Household
	msg.Person = f.a.Person
	msg.Source = Source(f.a.ID, f.spec.name)
	if !m.arrival.IsZero() && (msg.ReceivedAt.IsZero() || msg.ReceivedAt.After(m.arrival.Add(24*time.Hour))) {
		// No usable Date (missing, unreadable, or claiming the future).
		msg.ReceivedAt = m.arrival.UTC()
	}
	raw := msg.Raw
	if raw == nil {
		sum := sha256.Sum256(m.raw)
		raw = &event.Raw{SHA256: fmt.Sprintf("%x", sum[:]), Type: "message/rfc822"}
	}
	raw.Inline = m.raw
	raw.Size = int64(len(m.raw))
	msg.Raw = raw
	if msg.Headers == nil {
		msg.Headers = map[string][]string{}
	}
	msg.Headers[HeaderMailbox] = []string{f.a.ID}
	msg.Headers[HeaderFolder] = []string{f.spec.name}
	msg.Headers[HeaderUIDValidity] = []string{strconv.FormatUint(uint64(f.cp.UIDValidity), 10)}
	msg.Headers[HeaderUID] = []string{strconv.FormatUint(uint64(m.uid), 10)}
	if m.truncated {
		msg.Headers[HeaderTruncated] = []string{strconv.FormatInt(m.size, 10)}
		msg.ParseError = joinIssue(msg.ParseError, fmt.Sprintf("mail of %d bytes cut to max_message_size (%d bytes)", m.size, len(m.raw)))
	}
	return msg
}

func joinIssue(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// publish builds, publishes and remembers one mail. It returns only when
// JetStream acknowledged it (a duplicate counts), or with an error that
// ends the session so the mail is fetched again after reconnecting.
func (f *folder) publish(ctx context.Context, m *fetched) error {
	msg := f.buildMessage(m)
	_, dup, err := f.w.pub.PublishMessage(ctx, msg)
	if err != nil && errkind.IsPermanent(err) && ctx.Err() == nil {
		// Too big as parsed (text, links): publish a leaner copy. The raw
		// original, kept whole, still has everything.
		f.log.Warn("message refused by the bus, publishing it with less decoded text", f.logFields(m, msg.ID)...)
		shrink(msg)
		_, dup, err = f.w.pub.PublishMessage(ctx, msg)
	}
	if err != nil {
		return &opError{kind: kindPublish, err: fmt.Errorf("publish message %s: %w", msg.ID, err)}
	}
	result := "new"
	if dup {
		result = "duplicate"
	}
	f.w.m.published.WithLabelValues(f.a.ID, result).Inc()
	if !m.arrival.IsZero() {
		f.w.m.arrival.Observe(max(f.w.now().Sub(m.arrival), 0).Seconds())
	}
	if ce := f.log.Check(zap.DebugLevel, "message published"); ce != nil {
		ce.Write(append(f.logFields(m, msg.ID), zap.Bool("duplicate", dup), zap.Int("bytes", len(m.raw)), zap.Bool("parse_error", msg.ParseError != ""))...)
	}
	f.cp.remember(recentKey(headerMessageID(m.raw), m.size, m.arrival), m.arrival)
	if f.w.locs != nil {
		loc := Location{Mailbox: f.a.ID, Folder: f.spec.name, UIDValidity: f.cp.UIDValidity, UID: m.uid}
		if err := f.w.locs.Record(ctx, msg.ID, loc); err != nil {
			// Only the optional scam action needs it; never hold up ingest.
			f.log.Warn("cannot record message location", append(f.logFields(m, msg.ID), zap.Error(err))...)
		}
	}
	return nil
}

// shrink cuts the decoded parts of msg that can make it exceed the bus's
// payload limit, halving what is left until it fits shrunkBudget. A
// hostile mail (thousands of huge links, endless headers) must never
// block its folder; the raw original is kept whole, so nothing is lost
// for evidence.
func shrink(msg *event.Message) {
	msg.Text = cutString(msg.Text, shrunkTextBytes)
	msg.Subject = cutString(msg.Subject, shrunkFieldBytes)
	msg.From = cutAddress(msg.From)
	msg.To = cutAddresses(msg.To)
	msg.ReplyTo = cutAddresses(msg.ReplyTo)
	msg.Links = msg.Links[:min(len(msg.Links), shrunkLinks)]
	for i := range msg.Links {
		msg.Links[i].Href = cutString(msg.Links[i].Href, shrunkFieldBytes)
		msg.Links[i].Text = cutString(msg.Links[i].Text, shrunkFieldBytes)
	}
	msg.URLs = msg.URLs[:min(len(msg.URLs), shrunkLinks)]
	for i := range msg.URLs {
		msg.URLs[i] = cutString(msg.URLs[i], shrunkFieldBytes)
	}
	msg.Attachments = msg.Attachments[:min(len(msg.Attachments), shrunkLinks)]
	for i := range msg.Attachments {
		msg.Attachments[i].Name = cutString(msg.Attachments[i].Name, shrunkFieldBytes)
		msg.Attachments[i].Type = cutString(msg.Attachments[i].Type, shrunkFieldBytes)
	}
	for k, vs := range msg.Headers {
		if strings.HasPrefix(k, "X-Scamscreen-Imap-") {
			continue // where the mail lives: short, and needed
		}
		vs = vs[:min(len(vs), 16)]
		for i := range vs {
			vs[i] = cutString(vs[i], shrunkFieldBytes)
		}
		msg.Headers[k] = vs
	}
	msg.ParseError = joinIssue(cutString(msg.ParseError, shrunkIssueBytes), "decoded text shortened to fit the bus; the raw original is complete")
	for range 20 {
		if encodedSize(msg) <= shrunkBudget {
			return
		}
		msg.Text = cutString(msg.Text, len(msg.Text)/2)
		msg.Links = msg.Links[:len(msg.Links)/2]
		msg.URLs = msg.URLs[:len(msg.URLs)/2]
		msg.Attachments = msg.Attachments[:len(msg.Attachments)/2]
		msg.To = msg.To[:len(msg.To)/2]
		msg.ReplyTo = msg.ReplyTo[:len(msg.ReplyTo)/2]
	}
	// Last resort: the ids, the subject and the raw original.
	msg.Text, msg.Links, msg.URLs, msg.Attachments, msg.To, msg.ReplyTo = "", nil, nil, nil, nil, nil
	msg.Subject = cutString(msg.Subject, shrunkIssueBytes)
	for k := range msg.Headers {
		if !strings.HasPrefix(k, "X-Scamscreen-Imap-") {
			delete(msg.Headers, k)
		}
	}
}

// encodedSize is the size of msg as published, without its raw original.
func encodedSize(msg *event.Message) int {
	m := *msg
	if msg.Raw != nil {
		raw := *msg.Raw
		raw.Inline = nil
		m.Raw = &raw
	}
	data, err := event.Encode(&m)
	if err != nil {
		return math.MaxInt
	}
	return len(data)
}

// cutString cuts s to at most n bytes on a rune boundary.
func cutString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func cutAddress(a event.Address) event.Address {
	return event.Address{Name: cutString(a.Name, shrunkFieldBytes), Addr: cutString(a.Addr, shrunkFieldBytes)}
}

func cutAddresses(as []event.Address) []event.Address {
	as = as[:min(len(as), shrunkLinks)]
	for i := range as {
		as[i] = cutAddress(as[i])
	}
	return as
}

// recentKey identifies a mail across a UIDVALIDITY change: a hash of its
// Message-ID, or without one, of its size and arrival second.
func recentKey(messageID string, size int64, arrival time.Time) uint64 {
	var s string
	if messageID != "" {
		s = "mid\x00" + messageID
	} else {
		s = "noid\x00" + strconv.FormatInt(size, 10) + "\x00" + strconv.FormatInt(arrival.Unix(), 10)
	}
	sum := sha256.Sum256([]byte(s))
	return binary.BigEndian.Uint64(sum[:8])
}

// maxHeaderScan bounds how much of a mail headerMessageID reads.
const maxHeaderScan = 256 << 10

// headerMessageID returns the Message-ID field of a header block,
// unfolded, trimmed of spaces and angle brackets, lower-cased; "" when
// there is none. It reads the same way from a whole mail and from a
// HEADER.FIELDS (MESSAGE-ID) response, so both paths compute the same key.
func headerMessageID(raw []byte) string {
	raw = raw[:min(len(raw), maxHeaderScan)]
	var val []byte
	in := false
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break // end of the header block
		}
		if line[0] == ' ' || line[0] == '\t' {
			if in {
				val = append(val, line...)
			}
			continue
		}
		if in {
			break
		}
		name, rest, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(name)), "message-id") {
			in = true
			val = append(val[:0], rest...)
		}
	}
	s := strings.TrimSpace(string(val))
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">"))
	return strings.ToLower(s)
}

// watchdog closes a connection when the server is silent for longer than
// the command timeout while the worker waits for it.
type watchdog struct {
	cn    *conn
	t     *time.Timer
	fired atomic.Bool
}

func newWatchdog(cn *conn) *watchdog {
	d := &watchdog{cn: cn}
	d.t = time.AfterFunc(time.Hour, d.fire)
	d.t.Stop()
	return d
}

func (d *watchdog) fire() {
	d.fired.Store(true)
	d.cn.timedOut.Store(true)
	d.cn.close()
}

func (d *watchdog) arm()    { d.t.Reset(d.cn.timeout) }
func (d *watchdog) disarm() { d.t.Stop() }
func (d *watchdog) stop()   { d.t.Stop() }

// explain marks err as a timeout when the watchdog closed the connection.
func (d *watchdog) explain(err error) error {
	if d.fired.Load() {
		return fmt.Errorf("%w: %w", errTimeout, err)
	}
	return err
}

// progressReader re-arms the watchdog on every read, so a large mail
// that keeps arriving is not cut off.
type progressReader struct {
	r   io.Reader
	dog *watchdog
}

func (p progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.dog.arm()
	}
	return n, err
}
