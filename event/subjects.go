package event

import (
	"fmt"
	"strings"
)

// Stream names.
const (
	StreamInbound    = "INBOUND"
	StreamVerdicts   = "VERDICTS"
	StreamAlerts     = "ALERTS"
	StreamDeadLetter = "DEADLETTER"
)

// Subject roots. Build subjects with the functions below, never by hand.
const (
	subjectRoot    = "scamscreen"
	inboundPrefix  = subjectRoot + ".inbound."
	verdictPrefix  = subjectRoot + ".verdict."
	alertPrefix    = subjectRoot + ".alert."
	deadPrefix     = subjectRoot + ".dead."
	unknownToken   = "_"
	maxTokenLength = 64
)

// Filters that select every subject of one kind.
const (
	InboundFilterAll = inboundPrefix + ">"
	VerdictFilterAll = verdictPrefix + ">"
	AlertFilterAll   = alertPrefix + ">"
	DeadFilterAll    = deadPrefix + ">"
	AlertAuditFilter = alertPrefix + "*.*"       // audit records only
	AlertJobFilter   = alertPrefix + "*.*.job.*" // delivery jobs only
	AlertAckFilter   = alertPrefix + "*.*.ack"   // acknowledgements from trusted contacts
)

// StreamSpec describes one stream: its name and the subjects it captures.
// internal/bus turns specs into JetStream configurations.
type StreamSpec struct {
	Name        string
	Subjects    []string
	Description string
}

// Streams lists every stream scamscreen uses. Each subject built by this
// package is captured by exactly one of them.
var Streams = []StreamSpec{
	{StreamInbound, []string{InboundFilterAll}, "messages received or sent by protected people"},
	{StreamVerdicts, []string{VerdictFilterAll}, "screening verdicts"},
	{StreamAlerts, []string{AlertFilterAll}, "alert jobs and the delivery audit trail"},
	{StreamDeadLetter, []string{DeadFilterAll}, "messages a stage could not process, with the reason"},
}

// ValidToken reports whether s can be used as a subject token: 1 to 64
// characters from [A-Za-z0-9_-]. Household and person ids must be tokens.
func ValidToken(s string) bool {
	if len(s) == 0 || len(s) > maxTokenLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CheckToken returns an error naming what when s is not a valid token.
func CheckToken(what, s string) error {
	if !ValidToken(s) {
		return fmt.Errorf("%s %q is not a valid id: use 1-64 characters from A-Z a-z 0-9 _ -", what, s)
	}
	return nil
}

func token(s string) string {
	if s == "" {
		return unknownToken
	}
	return s
}

func checkTokens(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue // rendered as "_"
		}
		if err := CheckToken(pairs[i], pairs[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// InboundSubject is the subject a message is published on:
// scamscreen.inbound.<channel>.<household>.<person>.
func InboundSubject(ch Channel, household, person string) (string, error) {
	if !ch.Valid() {
		return "", fmt.Errorf("channel %q is not email or sms", ch)
	}
	if err := checkTokens("household", household, "person", person); err != nil {
		return "", err
	}
	return inboundPrefix + string(ch) + "." + token(household) + "." + token(person), nil
}

// VerdictSubject is scamscreen.verdict.<household>.<person>.
func VerdictSubject(household, person string) (string, error) {
	if err := checkTokens("household", household, "person", person); err != nil {
		return "", err
	}
	return verdictPrefix + token(household) + "." + token(person), nil
}

// AlertSubject is the audit subject scamscreen.alert.<household>.<person>.
func AlertSubject(household, person string) (string, error) {
	if err := checkTokens("household", household, "person", person); err != nil {
		return "", err
	}
	return alertPrefix + token(household) + "." + token(person), nil
}

// AlertJobSubject is the subject of a delivery job,
// scamscreen.alert.<household>.<person>.job.<channel>.
func AlertJobSubject(household, person, channel string) (string, error) {
	if err := checkTokens("household", household, "person", person, "channel", channel); err != nil {
		return "", err
	}
	return alertPrefix + token(household) + "." + token(person) + ".job." + token(channel), nil
}

// AlertAckSubject is where a trusted contact's acknowledgement of the
// alerts about a person goes: scamscreen.alert.<household>.<person>.ack.
// SMS ingest publishes a contact's reply there; notify stops escalating.
func AlertAckSubject(household, person string) (string, error) {
	if err := checkTokens("household", household, "person", person); err != nil {
		return "", err
	}
	return alertPrefix + token(household) + "." + token(person) + ".ack", nil
}

// DeadSubject is scamscreen.dead.<stage>.<household>.<person>.
func DeadSubject(stage, household, person string) (string, error) {
	if err := checkTokens("stage", stage, "household", household, "person", person); err != nil {
		return "", err
	}
	return deadPrefix + token(stage) + "." + token(household) + "." + token(person), nil
}

// SubjectTokens splits a subject into household and person for the kinds
// this package builds; ok is false for other subjects.
func SubjectTokens(subject string) (household, person string, ok bool) {
	var rest string
	switch {
	case strings.HasPrefix(subject, inboundPrefix):
		rest = subject[len(inboundPrefix):]
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return "", "", false
		}
		rest = rest[i+1:]
	case strings.HasPrefix(subject, verdictPrefix):
		rest = subject[len(verdictPrefix):]
	case strings.HasPrefix(subject, alertPrefix):
		rest = subject[len(alertPrefix):]
	case strings.HasPrefix(subject, deadPrefix):
		rest = subject[len(deadPrefix):]
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return "", "", false
		}
		rest = rest[i+1:]
	default:
		return "", "", false
	}
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) < 2 {
		return "", "", false
	}
	untok := func(s string) string {
		if s == unknownToken {
			return ""
		}
		return s
	}
	return untok(parts[0]), untok(parts[1]), true
}
