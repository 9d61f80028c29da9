package notify

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/internal/errkind"
)

// Reason is the category of a failed send. Values are bounded and safe as
// metric labels.
type Reason string

// Reasons. The first group is permanent, the second temporary.
const (
	ReasonInvalidRecipient Reason = "invalid_recipient" // bad number or address (Twilio 21211, SMTP 550)
	ReasonUnsubscribed     Reason = "unsubscribed"      // the recipient opted out (Twilio 21610)
	ReasonAuth             Reason = "auth"              // credentials refused (401/403, SMTP 535)
	ReasonRejected         Reason = "rejected"          // any other refusal (4xx)
	ReasonConfig           Reason = "config"            // nothing to send to, or a setting is missing

	ReasonRateLimited Reason = "rate_limited" // 429
	ReasonUnavailable Reason = "unavailable"  // 5xx, SMTP 4xx
	ReasonTimeout     Reason = "timeout"
	ReasonNetwork     Reason = "network"

	ReasonCanceled Reason = "canceled" // the caller gave up; says nothing about the provider
)

// Permanent reports whether retrying cannot help after a failure of this
// reason.
func (r Reason) Permanent() bool {
	switch r {
	case ReasonInvalidRecipient, ReasonUnsubscribed, ReasonAuth, ReasonRejected, ReasonConfig:
		return true
	}
	return false
}

// SendError is a classified delivery failure. Its text is built from its
// fields only, so it carries no secret, phone number, address or message
// text: Detail must already be redacted (see [Redact]), and the cause in
// Err is reachable with errors.Is/As but is not part of Error.
type SendError struct {
	// Channel names the integration, such as "twilio sms".
	Channel string
	Reason  Reason
	// Status is the HTTP status or SMTP reply code; 0 when there was none.
	Status int
	// Code is the provider's own error code (Twilio's 21211); 0 when none.
	Code int
	// Detail is the provider's redacted explanation.
	Detail string
	// RetryAfter is the delay the provider asked for; 0 when none.
	RetryAfter time.Duration
	// Unsure reports that the provider may have accepted the message even
	// though the call failed (a timeout after the request was written).
	Unsure bool
	// Err is the cause.
	Err error
}

// Error describes the failure without personal data.
func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString(e.Channel)
	b.WriteString(": ")
	b.WriteString(string(e.Reason))
	if e.Status != 0 || e.Code != 0 {
		b.WriteString(" (")
		if e.Status != 0 {
			b.WriteString("status ")
			b.WriteString(strconv.Itoa(e.Status))
		}
		if e.Code != 0 {
			if e.Status != 0 {
				b.WriteString(", ")
			}
			b.WriteString("code ")
			b.WriteString(strconv.Itoa(e.Code))
		}
		b.WriteString(")")
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Unsure {
		b.WriteString(" [outcome unknown]")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *SendError) Unwrap() error { return e.Err }

// Classified returns e wrapped for internal/errkind: permanent reasons with
// [errkind.Permanent], a cancellation unwrapped (so the bus hands the job
// back at once), everything else with [errkind.Temporary] and RetryAfter.
func (e *SendError) Classified() error {
	switch {
	case e.Reason == ReasonCanceled:
		return e
	case e.Reason.Permanent():
		return errkind.Permanent(e)
	default:
		return errkind.Temporary(e, e.RetryAfter)
	}
}

// AsSendError returns the [SendError] in err's chain, if any.
func AsSendError(err error) (*SendError, bool) {
	var se *SendError
	ok := errors.As(err, &se)
	return se, ok
}

// IsUnsure reports whether err says a provider may have accepted the
// message despite the failure.
func IsUnsure(err error) bool {
	se, ok := AsSendError(err)
	return ok && se.Unsure
}

// ReasonForStatus classifies an HTTP status of a provider's answer:
// 401/403 auth, 408 timeout, 425/429 rate limited, other 4xx rejected,
// 5xx unavailable. Statuses below 400 are not failures and give "".
func ReasonForStatus(status int) Reason {
	switch {
	case status < 400:
		return ""
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ReasonAuth
	case status == http.StatusRequestTimeout:
		return ReasonTimeout
	case status == http.StatusTooManyRequests || status == http.StatusTooEarly:
		return ReasonRateLimited
	case status < 500:
		return ReasonRejected
	default:
		return ReasonUnavailable
	}
}

// MaxRetryAfter caps a delay a provider asks for.
const MaxRetryAfter = time.Hour

// ParseRetryAfter reads an HTTP Retry-After value, in seconds or as an
// HTTP date relative to now, capped at [MaxRetryAfter]. It returns 0 for an
// empty or unreadable value.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	if d < 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}

// ContextReason classifies a context error: a deadline is a timeout, a
// cancellation is [ReasonCanceled]; anything else is "".
func ContextReason(err error) Reason {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	case errors.Is(err, context.Canceled):
		return ReasonCanceled
	}
	return ""
}

var (
	redactURL   = regexp.MustCompile(`(?i)\b(?:https?|ftp)://[^\s"'<>]+`)
	redactEmail = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// Runs of four or more digits, optionally with separators and a
	// leading +, are treated as phone numbers (or codes, or account ids).
	redactDigits = regexp.MustCompile(`\+?\d(?:[\d\-\s().]{2,}\d)`)
	redactSID    = regexp.MustCompile(`\b(?:AC|SM|MM|CA|MG|PN)[0-9a-fA-F]{32}\b`)
)

// maxDetail bounds a redacted provider message.
const maxDetail = 200

// Redact removes what may be personal or secret from a provider's message
// before it goes into an error: URLs, e-mail addresses, Twilio SIDs and
// digit runs of four or more (phone numbers, codes), and bounds its length.
// Control characters become spaces.
func Redact(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	s = redactURL.ReplaceAllString(s, "<url>")
	s = redactEmail.ReplaceAllString(s, "<address>")
	s = redactSID.ReplaceAllString(s, "<sid>")
	s = redactDigits.ReplaceAllStringFunc(s, func(m string) string {
		n := 0
		for _, r := range m {
			if r >= '0' && r <= '9' {
				n++
			}
		}
		if n < 4 {
			return m
		}
		return "<number>"
	})
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxDetail {
		cut := maxDetail
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
