package event

import (
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
)

// Id prefixes say where an id came from, so an operator reading a dead
// letter knows where to look.
const (
	PrefixEmail     = "em"
	PrefixSMS       = "sms"
	PrefixVerdict   = "vd"
	PrefixAlert     = "al"
	idHashChars     = 26 // 130 bits of SHA-256
	idPartSeparator = "\x00"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// StableID derives an id from its parts: prefix, a dash and 26 lower-case
// base32 characters of the SHA-256 of the parts. The same parts always give
// the same id. Ids contain only [a-z0-9-], so they are valid as
// Nats-Msg-Id, KV keys and file names.
func StableID(prefix string, parts ...string) string {
	// Hash without allocating: short inputs (ids, pack names) go through a
	// stack buffer, long ones through the streaming hash.
	var (
		buf [512]byte
		sum [sha256.Size]byte
		n   int
	)
	for i, p := range parts {
		n += len(p)
		if i > 0 {
			n += len(idPartSeparator)
		}
	}
	if n <= len(buf) {
		b := buf[:0]
		for i, p := range parts {
			if i > 0 {
				b = append(b, idPartSeparator...)
			}
			b = append(b, p...)
		}
		sum = sha256.Sum256(b)
	} else {
		h := sha256.New()
		for i, p := range parts {
			if i > 0 {
				h.Write([]byte(idPartSeparator))
			}
			h.Write([]byte(p))
		}
		h.Sum(sum[:0])
	}
	var enc [52]byte // base32 of 32 bytes
	idEncoding.Encode(enc[:], sum[:])
	return prefix + "-" + string(enc[:idHashChars])
}

// EmailID is the stable id of an e-mail: the same raw bytes delivered to the
// same person get the same id however often, and from whichever folder,
// they are ingested.
func EmailID(household, person string, raw []byte) string {
	sum := sha256.Sum256(raw)
	return StableID(PrefixEmail, household, person, string(sum[:]))
}

// SMSID is the stable id of an SMS from a source that gives unique message
// ids (a Twilio MessageSid, an SMSC message id).
func SMSID(source, sourceID string) string {
	return StableID(PrefixSMS, source, sourceID)
}

// VerdictID is the stable id of the verdict on messageID made with the given
// rule packs: the same rules give the same id (a re-screen is a duplicate),
// new rules give a new one.
func VerdictID(messageID string, rulePacks []string) string {
	return StableID(PrefixVerdict, messageID, strings.Join(rulePacks, ","))
}

// AlertID is the stable id of the alert job for one verdict, recipient,
// channel and escalation step.
func AlertID(verdictID, recipient, channel string, step int) string {
	return StableID(PrefixAlert, verdictID, recipient, channel, strconv.Itoa(step))
}
