package event

import (
	"time"
)

// Version is the schema version written in the "v" field of every payload.
const Version = 1

// Address is a sender or recipient: an e-mail address with its display name,
// or for SMS a phone number (E.164 where known) or an alphanumeric sender id.
type Address struct {
	Name string `json:"name,omitempty"`
	Addr string `json:"addr,omitempty"`
}

// Link is an anchor of an HTML body: where it points and the words shown.
// A link whose text names another domain than its href is a phishing sign.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Auth holds the sender-authentication results that the receiving server
// recorded in Authentication-Results. Results are lower-case RFC 8601 words
// ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror");
// empty means not reported.
type Auth struct {
	SPF       string `json:"spf,omitempty"`
	SPFDomain string `json:"spf_domain,omitempty"` // smtp.mailfrom domain
	// DKIM has one entry per signature the server checked.
	DKIM        []DKIMResult `json:"dkim,omitempty"`
	DMARC       string       `json:"dmarc,omitempty"`
	DMARCDomain string       `json:"dmarc_domain,omitempty"` // header.from domain
	// AuthServ is the authserv-id of the header the results came from.
	AuthServ string `json:"authserv,omitempty"`
}

// DKIMResult is one checked DKIM signature.
type DKIMResult struct {
	Result string `json:"result"`
	Domain string `json:"domain,omitempty"` // header.d
}

// DKIMPass reports whether a signature for domain (or a subdomain of it)
// verified.
func (a *Auth) DKIMPass(domain string) bool {
	if a == nil {
		return false
	}
	for _, d := range a.DKIM {
		if d.Result == "pass" && (d.Domain == domain || hasDotSuffix(d.Domain, domain)) {
			return true
		}
	}
	return false
}

func hasDotSuffix(s, suffix string) bool {
	return len(s) > len(suffix) && s[len(s)-len(suffix)-1] == '.' && s[len(s)-len(suffix):] == suffix
}

// Attachment records an attachment without its content, which stays in the
// raw original.
type Attachment struct {
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"`
	Size int64  `json:"size"`
}

// Raw is the original as received, byte for byte: inline when small, or a
// reference to an object in the JetStream object store when large. Evidence
// depends on it; nothing of the original is thrown away.
type Raw struct {
	// Inline holds the bytes (base64 in JSON). Empty when Object is set.
	Inline []byte `json:"inline,omitempty"`
	// Object names the object in the raw-message object store.
	Object string `json:"object,omitempty"`
	// Size and SHA256 describe the original either way.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	// Type is the media type of the original: "message/rfc822" for e-mail,
	// "application/x-www-form-urlencoded" or "application/json" for webhooks.
	Type string `json:"type,omitempty"`
}

// Message is one e-mail or SMS that a protected person received or sent, as
// ingest publishes it to the INBOUND stream.
//
// Who sets what: ingest sets every field; screening and later stages only
// read it. Text is the decoded body (HTML reduced to text), Links the anchors
// of an HTML body, URLs any URL ingest already found (the engine also
// extracts its own from Text).
type Message struct {
	V          int       `json:"v"`
	ID         string    `json:"id"`
	Channel    Channel   `json:"channel"`
	Direction  Direction `json:"direction"`
	Household  string    `json:"household,omitempty"`
	Person     string    `json:"person,omitempty"`
	Source     string    `json:"source,omitempty"` // e.g. "imap:<account>/<folder>", "twilio", "forwarder:<name>"
	ReceivedAt time.Time `json:"received_at"`
	// IngestedAt is when ingest published the message; the ingest→verdict
	// latency is measured from it.
	IngestedAt time.Time `json:"ingested_at,omitempty"`

	From    Address   `json:"from"`
	To      []Address `json:"to,omitempty"`
	ReplyTo []Address `json:"reply_to,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Text    string    `json:"text,omitempty"`
	Links   []Link    `json:"links,omitempty"`
	URLs    []string  `json:"urls,omitempty"`
	Auth    *Auth     `json:"auth,omitempty"`
	// Headers keeps the few headers screening and evidence need
	// (Message-ID, Date, Return-Path, Received count, X-Mailer, ...),
	// keyed by canonical header name.
	Headers     map[string][]string `json:"headers,omitempty"`
	Attachments []Attachment        `json:"attachments,omitempty"`
	// ParseError is set when the original could only be partly decoded; the
	// message is still screened on what could be read.
	ParseError string `json:"parse_error,omitempty"`
	Raw        *Raw   `json:"raw,omitempty"`
}
