package sms

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/obs"
)

// maxSIDLength bounds a Twilio MessageSid ("SM" and 32 hex digits).
const maxSIDLength = 64

// handleTwilio takes one inbound message from Twilio. See the package doc
// for what it answers when.
func (s *Server) handleTwilio(w http.ResponseWriter, r *http.Request) {
	const ep = endpointTwilio
	if s.twilio == nil {
		s.reject(w, ep, "", rejectf(http.StatusNotFound, reasonNotFound, "twilio is not enabled"))
		return
	}
	if r.Method != http.MethodPost {
		s.reject(w, ep, "", rejectf(http.StatusMethodNotAllowed, reasonMethod, "use POST"))
		return
	}
	body, rj := s.readBody(w, r)
	if rj != nil {
		s.reject(w, ep, "", rj)
		return
	}
	params, rj := parseTwilioForm(body)
	if rj != nil {
		s.reject(w, ep, "", rj)
		return
	}
	sig := r.Header.Get(HeaderTwilioSignature)
	// Twilio signs the URL it called: our public base URL plus the path
	// and query this listener received (DEPENDENCIES.md §6).
	if sig == "" || !s.twilio.Validate(s.publicURL+r.URL.RequestURI(), params, sig) {
		s.reject(w, ep, "", rejectf(http.StatusForbidden, reasonBadSignature, "signature does not match"))
		return
	}
	sid := params["MessageSid"]
	if sid == "" {
		sid = params["SmsSid"]
	}
	if sid == "" || len(sid) > maxSIDLength || !printableASCII(sid) {
		s.reject(w, ep, "", rejectf(http.StatusBadRequest, reasonMissingField, "missing or malformed MessageSid"))
		return
	}
	now := s.now()
	in := incoming{
		direction: event.DirectionIn,
		from:      params["From"],
		to:        params["To"],
		text:      params["Body"],
		sourceID:  sid,
		raw:       body,
		rawType:   typeForm,
	}
	msg, rj := s.resolve(in, sourceTwilio, sourceTwilio, "", now)
	if rj != nil && rj.reason == reasonUnknown {
		if s.acknowledge(w, r, sid, params, now) {
			return
		}
	}
	if rj != nil {
		s.reject(w, ep, "", rj, zap.String("sid", sid))
		return
	}
	if _, rj := s.publishAll(r.Context(), ep, []*event.Message{msg}); rj != nil {
		s.reject(w, ep, "", rj, obs.MessageID(msg.ID))
		return
	}
	writeTwiML(w, http.StatusOK)
}

// acknowledge handles a reply of a trusted contact to the Twilio number: it
// publishes an acknowledgement for every person the contact watches over
// and answers Twilio. It returns false, having written nothing, when the
// sender is no trusted contact (or acknowledgements are off).
//
// The semantic, interpreted by notify: any reply from a trusted contact
// acknowledges the person's open urgent alerts. The reply's text is not
// kept.
func (s *Server) acknowledge(w http.ResponseWriter, r *http.Request, sid string, params map[string]string, now time.Time) bool {
	if s.acks == nil {
		return false
	}
	from, ok := Normalize(params["From"])
	if !ok {
		return false
	}
	var owners []Owner
	if l, ok := s.dir.(OwnerLister); ok {
		owners = l.Owners(from)
	} else if o, ok := s.dir.Lookup(from); ok {
		owners = []Owner{o}
	}
	owners = slices.DeleteFunc(owners, func(o Owner) bool { return !o.IsContact() })
	if len(owners) == 0 {
		return false
	}
	// Publish every acknowledgement before answering: a failure of one
	// must not leave the others unsent (each is idempotent by its id, so
	// a retried request repeats them harmlessly).
	failed := false
	for _, o := range owners {
		a := &event.Alert{
			V:             event.Version,
			ID:            event.StableID(event.PrefixAlert, "ack", sourceTwilio, sid, o.Household, o.Person, o.Contact),
			Household:     o.Household,
			Person:        o.Person,
			Recipient:     o.Contact,
			RecipientKind: event.RecipientContact,
			Channel:       string(event.ChannelSMS),
			Status:        event.AlertAcknowledged,
			ProviderID:    sid,
			At:            now.UTC(),
		}
		if err := s.acks.PublishAck(r.Context(), a); err != nil {
			s.log.Warn("acknowledgement publish failed", zap.String("alert_id", a.ID), zap.Error(err))
			failed = true
			continue
		}
		s.m.acks.Inc()
		s.log.Info("trusted contact acknowledged", obs.Household(o.Household), obs.Person(o.Person),
			zap.String("contact", o.Contact), zap.String("alert_id", a.ID))
	}
	if failed {
		s.reject(w, endpointTwilio, "", rejectf(http.StatusServiceUnavailable, reasonUnavailable, "message store unavailable, retry later"))
		return true
	}
	writeTwiML(w, http.StatusOK)
	return true
}

// parseTwilioForm decodes a form body into the first value of each key,
// which is what twilio-go's validator signs over. A key given twice is
// refused: Twilio never repeats one, and the validator would ignore the
// second value.
func parseTwilioForm(body []byte) (map[string]string, *rejection) {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, rejectf(http.StatusBadRequest, reasonMalformed, "malformed form body")
	}
	params := make(map[string]string, len(vals))
	for k, v := range vals {
		if len(v) != 1 {
			return nil, rejectf(http.StatusBadRequest, reasonMalformed, "repeated form parameter")
		}
		params[k] = v[0]
	}
	return params, nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return !strings.ContainsAny(s, `"\<>`)
}
