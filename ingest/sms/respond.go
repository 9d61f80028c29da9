package sms

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Rejection reasons: the "error" field of JSON error bodies and the
// "reason" label of the rejected-requests metric. A fixed set.
const (
	reasonMethod       = "method_not_allowed"
	reasonNotFound     = "not_found"
	reasonSource       = "unknown_source"
	reasonRateLimited  = "rate_limited"
	reasonTooLarge     = "too_large"
	reasonBadSignature = "bad_signature"
	reasonStale        = "stale_timestamp"
	reasonBadToken     = "bad_token"
	reasonMalformed    = "malformed"
	reasonMissingField = "missing_field"
	reasonBadTime      = "bad_time"
	reasonBatch        = "bad_batch"
	reasonNoNumber     = "missing_number"
	reasonUnknown      = "unknown_number"
	reasonUnavailable  = "unavailable"
	reasonInternal     = "internal"
)

// retryAfterSeconds is what a 503 asks senders to wait.
const retryAfterSeconds = 5

// rejection is a request the listener refuses: the status, a reason from
// the fixed set above and a short fixed message. Neither ever contains
// request content.
type rejection struct {
	status     int
	reason     string
	msg        string
	index      int    // the batch item at fault, or -1
	phone      string // an unknown number, logged as a keyed hash only
	retryAfter int    // seconds, for 429 and 503; 0 means no header
}

func rejectf(status int, reason, msg string) *rejection {
	r := &rejection{status: status, reason: reason, msg: msg, index: -1}
	switch status {
	case http.StatusServiceUnavailable:
		r.retryAfter = retryAfterSeconds
	case http.StatusTooManyRequests:
		r.retryAfter = 1
	}
	return r
}

func (r *rejection) at(i int) *rejection {
	c := *r
	c.index = i
	return &c
}

// errorBody is the JSON answer of a rejected request on the JSON
// endpoints.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Index   *int   `json:"index,omitempty"`
}

// okBody is the JSON answer of an accepted request.
type okBody struct {
	Status   string      `json:"status"` // "ok" or "ignored"
	Messages []okMessage `json:"messages,omitempty"`
}

type okMessage struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen for the types above
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal","message":"internal error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func writeJSONRejection(w http.ResponseWriter, r *rejection) {
	setRejectionHeaders(w, r)
	body := errorBody{Error: r.reason, Message: r.msg}
	if r.index >= 0 {
		i := r.index
		body.Index = &i
	}
	writeJSON(w, r.status, body)
}

func setRejectionHeaders(w http.ResponseWriter, r *rejection) {
	if r.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(r.retryAfter))
	}
	if r.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
}

// emptyTwiML answers Twilio with "no reply".
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// writeTwiML answers Twilio: the status and an empty TwiML document.
// Twilio logs a missing Content-Type or an empty body as an error.
func writeTwiML(w http.ResponseWriter, status int) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(emptyTwiML)))
	w.WriteHeader(status)
	_, _ = fmt.Fprint(w, emptyTwiML)
}
