package sms

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// authenticator checks that a request comes from its source.
type authenticator interface {
	// check returns nil or the rejection to answer with.
	check(r *http.Request, body []byte, now time.Time) *rejection
}

// hmacAuth checks a hex HMAC-SHA256 of the signed message of a format:
//
//	scamscreen:         timestamp + "." + body
//	smsgateway:         body + timestamp
//	template:           body (+ timestamp when a timestamp header is set)
type hmacAuth struct {
	key             []byte
	sigHeader       string
	tsHeader        string // "" when the format signs the body alone
	window          time.Duration
	timestampFirst  bool
	timestampDotted bool
}

func newHMACAuth(format string, key string, a AuthConfig) *hmacAuth {
	return &hmacAuth{
		key:             []byte(key),
		sigHeader:       a.SignatureHeader,
		tsHeader:        a.TimestampHeader,
		window:          a.ReplayWindow.Std(),
		timestampFirst:  format == FormatScamscreen,
		timestampDotted: format == FormatScamscreen,
	}
}

func (h *hmacAuth) check(r *http.Request, body []byte, now time.Time) *rejection {
	sig := strings.TrimSpace(r.Header.Get(h.sigHeader))
	sig = strings.TrimPrefix(sig, "sha256=")
	if sig == "" {
		return rejectf(http.StatusForbidden, reasonBadSignature, "missing signature")
	}
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return rejectf(http.StatusForbidden, reasonBadSignature, "signature is not hex HMAC-SHA256")
	}
	var ts string
	if h.tsHeader != "" {
		ts = strings.TrimSpace(r.Header.Get(h.tsHeader))
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return rejectf(http.StatusForbidden, reasonBadSignature, "missing or malformed timestamp")
		}
		// Compare in seconds, with bounds around now, so that no timestamp
		// overflows.
		w := int64(h.window / time.Second)
		if n := now.Unix(); sec < n-w || sec > n+w {
			return rejectf(http.StatusForbidden, reasonStale, "timestamp outside the replay window")
		}
	}
	m := hmac.New(sha256.New, h.key)
	if h.timestampFirst {
		m.Write([]byte(ts))
		if h.timestampDotted {
			m.Write([]byte{'.'})
		}
		m.Write(body)
	} else {
		m.Write(body)
		m.Write([]byte(ts))
	}
	if !hmac.Equal(m.Sum(nil), got) {
		return rejectf(http.StatusForbidden, reasonBadSignature, "signature does not match")
	}
	return nil
}

// bearerAuth checks "Authorization: Bearer <token>".
type bearerAuth struct {
	token []byte
}

func (b *bearerAuth) check(r *http.Request, _ []byte, _ time.Time) *rejection {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return rejectf(http.StatusForbidden, reasonBadToken, "missing bearer token")
	}
	// Compare digests, so that the time taken says nothing about the
	// token's length either.
	got, want := sha256.Sum256([]byte(strings.TrimSpace(tok))), sha256.Sum256(b.token)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return rejectf(http.StatusForbidden, reasonBadToken, "bearer token does not match")
	}
	return nil
}
