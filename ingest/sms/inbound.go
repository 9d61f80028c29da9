package sms

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
)

// Times outside these bounds are mistakes (seconds given as milliseconds,
// a zero clock), not SMS.
var (
	minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// handleInbound takes SMS from a forwarder or SMSC feed.
func (s *Server) handleInbound(w http.ResponseWriter, r *http.Request) {
	const ep = endpointInbound
	if r.Method != http.MethodPost {
		s.reject(w, ep, "", rejectf(http.StatusMethodNotAllowed, reasonMethod, "use POST"))
		return
	}
	src := s.sourceFor(r)
	if src == nil {
		s.reject(w, ep, "", rejectf(http.StatusNotFound, reasonSource, "unknown source"))
		return
	}
	// Authenticate before charging the source's rate limit: source names
	// are in the URL, so unsigned requests must not spend the tokens of
	// the genuine forwarder and hold its messages back with 429s.
	body, rj := s.readBody(w, r)
	if rj != nil {
		s.reject(w, ep, src.name, rj)
		return
	}
	now := s.now()
	if rj := src.auth.check(r, body, now); rj != nil {
		s.reject(w, ep, src.name, rj)
		return
	}
	if !src.limiter.Allow() {
		s.reject(w, ep, src.name, rejectf(http.StatusTooManyRequests, reasonRateLimited, "rate limit exceeded, retry later"))
		return
	}
	var (
		items   []incoming
		batch   bool
		ignored string
	)
	switch src.format {
	case FormatScamscreen:
		items, batch, rj = parseScamscreen(body)
	case FormatSMSGateway:
		var in incoming
		in, ignored, rj = parseSMSGateway(body)
		items = []incoming{in}
	case FormatTemplate:
		var in incoming
		in, rj = parseTemplate(body, src.tmpl)
		items = []incoming{in}
	}
	if rj != nil {
		s.reject(w, ep, src.name, rj)
		return
	}
	if ignored != "" {
		s.m.ignored.WithLabelValues(ignored).Inc()
		writeJSON(w, http.StatusOK, okBody{Status: "ignored"})
		return
	}
	msgs := make([]*event.Message, len(items))
	for i, in := range items {
		m, rj := s.resolve(in, src.label, src.name, src.device, now)
		if rj != nil {
			if batch {
				rj = rj.at(i)
			}
			s.reject(w, ep, src.name, rj)
			return
		}
		msgs[i] = m
		if src.maxAge > 0 {
			if rj := checkAge(in.at, now, src.maxAge); rj != nil {
				s.reject(w, ep, src.name, rj)
				return
			}
		}
	}
	res, rj := s.publishAll(r.Context(), ep, msgs)
	if rj != nil {
		s.reject(w, ep, src.name, rj)
		return
	}
	writeJSON(w, http.StatusOK, okBody{Status: "ok", Messages: res})
}

// checkAge refuses a message of a source that signs the body alone when
// its own time, which the signature covers, is missing or further than
// window from now: without a signed timestamp, that time is what stops a
// captured request from being replayed for ever.
func checkAge(at, now time.Time, window time.Duration) *rejection {
	if at.IsZero() {
		return rejectf(http.StatusForbidden, reasonStale, "a message signed without a timestamp header needs its time field")
	}
	if d := now.Sub(at); d > window || d < -window {
		return rejectf(http.StatusForbidden, reasonStale, "message time outside the replay window")
	}
	return nil
}

// sourceFor finds the source a request names in its path or in
// X-Scamscreen-Source; with neither, the only configured source.
func (s *Server) sourceFor(r *http.Request) *source {
	name := r.PathValue("source")
	if name == "" {
		name = r.Header.Get(HeaderSource)
	}
	if name == "" {
		return s.sole
	}
	return s.sources[name]
}

// inboundItem is one message of scamscreen's own schema (see the package
// doc). Unknown fields are ignored, so senders may add their own.
type inboundItem struct {
	Direction string          `json:"direction"`
	From      *string         `json:"from"`
	To        *string         `json:"to"`
	Body      *string         `json:"body"`
	Time      json.RawMessage `json:"time"`
	SourceID  *string         `json:"source_id"`
}

// inboundDoc is a request of scamscreen's own schema: one message, or a
// batch under "messages".
type inboundDoc struct {
	Messages []json.RawMessage `json:"messages"`
	inboundItem
}

// parseScamscreen decodes scamscreen's own schema. batch reports the
// {"messages": [...]} form, whose rejections name the item.
func parseScamscreen(body []byte) (items []incoming, batch bool, rj *rejection) {
	var doc inboundDoc
	if rj := decodeJSON(body, &doc); rj != nil {
		return nil, false, rj
	}
	if doc.Messages == nil {
		in, rj := doc.inboundItem.incoming(body)
		if rj != nil {
			return nil, false, rj
		}
		return []incoming{in}, false, nil
	}
	if !doc.inboundItem.empty() {
		return nil, true, rejectf(http.StatusBadRequest, reasonBatch, "a batch has only \"messages\"")
	}
	switch n := len(doc.Messages); {
	case n == 0:
		return nil, true, rejectf(http.StatusBadRequest, reasonBatch, "empty batch")
	case n > MaxBatch:
		return nil, true, rejectf(http.StatusBadRequest, reasonBatch, "more than "+strconv.Itoa(MaxBatch)+" messages in a batch")
	}
	items = make([]incoming, len(doc.Messages))
	for i, raw := range doc.Messages {
		var it inboundItem
		if rj := decodeJSON(raw, &it); rj != nil {
			return nil, true, rj.at(i)
		}
		in, rj := it.incoming(raw)
		if rj != nil {
			return nil, true, rj.at(i)
		}
		items[i] = in
	}
	return items, true, nil
}

func (it *inboundItem) empty() bool {
	return it.Direction == "" && it.From == nil && it.To == nil && it.Body == nil && len(it.Time) == 0 && it.SourceID == nil
}

func (it *inboundItem) incoming(raw []byte) (incoming, *rejection) {
	in := incoming{direction: event.Direction(it.Direction), raw: raw, rawType: typeJSON}
	if !in.direction.Valid() {
		if it.Direction == "" {
			return in, rejectf(http.StatusBadRequest, reasonMissingField, "missing field: direction")
		}
		return in, rejectf(http.StatusBadRequest, reasonMalformed, "direction must be \"in\" or \"out\"")
	}
	switch {
	case it.Body == nil:
		return in, rejectf(http.StatusBadRequest, reasonMissingField, "missing field: body")
	case it.From == nil:
		return in, rejectf(http.StatusBadRequest, reasonMissingField, "missing field: from")
	case it.To == nil:
		return in, rejectf(http.StatusBadRequest, reasonMissingField, "missing field: to")
	}
	in.from, in.to, in.text = *it.From, *it.To, *it.Body
	if it.SourceID != nil {
		id := *it.SourceID
		if id == "" || len(id) > 256 {
			return in, rejectf(http.StatusBadRequest, reasonMalformed, "source_id must be 1-256 bytes")
		}
		in.sourceID = id
	}
	at, rj := parseTime(it.Time)
	if rj != nil {
		return in, rj
	}
	in.at = at
	return in, nil
}

// decodeJSON decodes exactly one JSON value. Its errors are fixed words:
// decoder errors can quote input.
func decodeJSON(data []byte, into any) *rejection {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(into); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return rejectf(http.StatusBadRequest, reasonMalformed, "a field has the wrong JSON type")
		}
		return rejectf(http.StatusBadRequest, reasonMalformed, "malformed JSON")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return rejectf(http.StatusBadRequest, reasonMalformed, "data after the JSON value")
	}
	return nil
}

// parseTime reads a time given as an RFC 3339 string, or as epoch
// milliseconds (a JSON number or a string of digits). Absent or null is
// the zero time.
func parseTime(raw json.RawMessage) (time.Time, *rejection) {
	bad := rejectf(http.StatusBadRequest, reasonBadTime, "time must be RFC 3339 or epoch milliseconds")
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return time.Time{}, bad
	}
	t, ok := timeValue(v)
	if !ok {
		return time.Time{}, bad
	}
	return t, nil
}

// timeValue interprets a decoded JSON value (json.Number or string) as a
// time.
func timeValue(v any) (time.Time, bool) {
	var t time.Time
	switch x := v.(type) {
	case json.Number:
		ms, err := strconv.ParseInt(x.String(), 10, 64)
		if err != nil {
			return t, false
		}
		t = time.UnixMilli(ms)
	case string:
		x = strings.TrimSpace(x)
		if x == "" {
			return t, false
		}
		if ms, err := strconv.ParseInt(x, 10, 64); err == nil {
			t = time.UnixMilli(ms)
			break
		}
		p, err := time.Parse(time.RFC3339Nano, x)
		if err != nil {
			return t, false
		}
		t = p
	default:
		return t, false
	}
	if t.Before(minTime) || t.After(maxTime) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// SMS Gateway for Android's webhook events that carry a message.
const (
	gwReceived = "sms:received"
	gwSent     = "sms:sent"
)

// gwOtherEvent reports the other events SMS Gateway sends; they are
// answered 200 and counted, never published. The set bounds the metric
// label.
func gwOtherEvent(ev string) bool {
	switch ev {
	case "sms:delivered", "sms:failed", "system:ping", "sms:data-received", "mms:received", "mms:downloaded":
		return true
	}
	return false
}

type gwEnvelope struct {
	Event   string          `json:"event"`
	Payload json.RawMessage `json:"payload"`
}

type gwPayload struct {
	Message     *string `json:"message"`
	PhoneNumber string  `json:"phoneNumber"`
	Sender      *string `json:"sender"`
	Recipient   *string `json:"recipient"`
	ReceivedAt  *string `json:"receivedAt"`
	SentAt      *string `json:"sentAt"`
}

// parseSMSGateway decodes an SMS Gateway for Android webhook. ignored names
// an event that carries no message to screen. Its messageId is derived
// from the content and not unique, so the id is derived from sender,
// recipient, time and body instead.
func parseSMSGateway(body []byte) (in incoming, ignored string, rj *rejection) {
	in = incoming{raw: body, rawType: typeJSON}
	var env gwEnvelope
	if rj := decodeJSON(body, &env); rj != nil {
		return in, "", rj
	}
	switch {
	case env.Event == gwReceived:
		in.direction = event.DirectionIn
	case env.Event == gwSent:
		in.direction = event.DirectionOut
	case gwOtherEvent(env.Event):
		return in, env.Event, nil
	case env.Event == "":
		return in, "", rejectf(http.StatusBadRequest, reasonMissingField, "missing field: event")
	default:
		return in, "other", nil
	}
	if len(env.Payload) == 0 {
		return in, "", rejectf(http.StatusBadRequest, reasonMissingField, "missing field: payload")
	}
	var p gwPayload
	if rj := decodeJSON(env.Payload, &p); rj != nil {
		return in, "", rj
	}
	if p.Message == nil {
		if in.direction == event.DirectionOut {
			// A delivery report of a message sent through the gateway's API,
			// without its text: nothing to screen.
			return in, gwSent, nil
		}
		return in, "", rejectf(http.StatusBadRequest, reasonMissingField, "missing field: payload.message")
	}
	in.text = *p.Message
	sender, recipient := deref(p.Sender), deref(p.Recipient)
	// Before 2026 only phoneNumber existed: the sender of a received
	// message, the recipient of a sent one.
	if in.direction == event.DirectionIn && sender == "" {
		sender = p.PhoneNumber
	}
	if in.direction == event.DirectionOut && recipient == "" {
		recipient = p.PhoneNumber
	}
	in.from, in.to = sender, recipient
	stamp := p.ReceivedAt
	if in.direction == event.DirectionOut {
		stamp = p.SentAt
	}
	if stamp != nil {
		t, ok := timeValue(*stamp)
		if !ok {
			return in, "", rejectf(http.StatusBadRequest, reasonBadTime, "time must be RFC 3339")
		}
		in.at = t
	}
	return in, "", nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseTemplate decodes the JSON of a template forwarder with the field
// mapping of its source.
func parseTemplate(body []byte, tc TemplateConfig) (incoming, *rejection) {
	in := incoming{direction: event.Direction(tc.Direction), raw: body, rawType: typeJSON}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return in, rejectf(http.StatusBadRequest, reasonMalformed, "malformed JSON: want an object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return in, rejectf(http.StatusBadRequest, reasonMalformed, "data after the JSON value")
	}
	text, ok, rj := templateString(doc, tc.Text, "text")
	if rj != nil {
		return in, rj
	}
	if !ok {
		return in, rejectf(http.StatusBadRequest, reasonMissingField, "missing field: "+tc.Text)
	}
	in.text = text
	if in.from, _, rj = templateString(doc, tc.From, "from"); rj != nil {
		return in, rj
	}
	if in.to, _, rj = templateString(doc, tc.To, "to"); rj != nil {
		return in, rj
	}
	if in.sourceID, _, rj = templateString(doc, tc.ID, "id"); rj != nil {
		return in, rj
	}
	if v, ok := lookupPath(doc, tc.Time); ok && v != nil {
		t, ok := timeValue(v)
		if !ok {
			return in, rejectf(http.StatusBadRequest, reasonBadTime, "time must be RFC 3339 or epoch milliseconds")
		}
		in.at = t
	}
	return in, nil
}

// templateString reads the string or number at path; ok is false when the
// path is empty or absent (or null).
func templateString(doc map[string]any, path, what string) (string, bool, *rejection) {
	v, ok := lookupPath(doc, path)
	if !ok || v == nil {
		return "", false, nil
	}
	switch x := v.(type) {
	case string:
		return x, true, nil
	case json.Number:
		return x.String(), true, nil
	}
	return "", false, rejectf(http.StatusBadRequest, reasonMalformed, "field "+what+" is not a string")
}

// lookupPath follows a dotted path into nested objects.
func lookupPath(doc map[string]any, path string) (any, bool) {
	if path == "" {
		return nil, false
	}
	var cur any = doc
	for part := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}
