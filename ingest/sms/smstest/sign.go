package smstest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SignTwilio returns the X-Twilio-Signature Twilio sends with a POST of
// params to rawURL, as Twilio documents it: take the full URL Twilio calls
// (scheme, host, path and query), append each POST parameter's name and
// value, sorted by name, with no separators, compute HMAC-SHA1 of that with
// the account's auth token as key, and encode it in standard base64.
// Several values of one name are appended in the order given.
func SignTwilio(authToken, rawURL string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(rawURL)
	for _, k := range names {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignSMSGateway returns the X-Signature and X-Timestamp headers SMS Gateway
// for Android sends with body at time at: the hex HMAC-SHA256 of the body
// followed by the Unix time in seconds.
func SignSMSGateway(secret string, body []byte, at time.Time) (signature, timestamp string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	m.Write([]byte(timestamp))
	return hex.EncodeToString(m.Sum(nil)), timestamp
}

// SignScamscreen returns the X-Scamscreen-Signature and
// X-Scamscreen-Timestamp headers of scamscreen's own scheme: the hex
// HMAC-SHA256 of the Unix time in seconds, a dot, and the body.
func SignScamscreen(secret string, body []byte, at time.Time) (signature, timestamp string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil)), timestamp
}

// SignBody returns the hex HMAC-SHA256 of body alone, the X-Signature of
// template forwarders such as "Incoming SMS to URL forwarder".
func SignBody(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
