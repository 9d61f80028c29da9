package obs

import (
	"fmt"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Field keys. Use the helpers below rather than the keys, so that a key is
// spelled one way across every package and every query on the logs works.
const (
	KeyMessageID  = "message_id"
	KeyVerdictID  = "verdict_id"
	KeyHousehold  = "household"
	KeyPerson     = "person"
	KeyStage      = "stage"
	KeyStream     = "stream"
	KeyConsumer   = "consumer"
	KeySeq        = "seq"
	KeyDeliveries = "deliveries"
	KeyChannel    = "channel"
	KeyRules      = "rules"
	KeyVerdict    = "verdict"
	KeyPhone      = "phone"
	KeyAddr       = "addr"
	KeyText       = "text"
)

// MessageID logs a message's stable id (event.Message.ID).
func MessageID(id string) zap.Field { return zap.String(KeyMessageID, id) }

// VerdictID logs a verdict's id.
func VerdictID(id string) zap.Field { return zap.String(KeyVerdictID, id) }

// Household logs a household's opaque id (never a family name).
func Household(id string) zap.Field { return zap.String(KeyHousehold, id) }

// Person logs a protected person's opaque id (never a name).
func Person(id string) zap.Field { return zap.String(KeyPerson, id) }

// Stage logs the pipeline stage: ingest, screen, notify, replay.
func Stage(name string) zap.Field { return zap.String(KeyStage, name) }

// Stream logs a JetStream stream name.
func Stream(name string) zap.Field { return zap.String(KeyStream, name) }

// Consumer logs a JetStream consumer name.
func Consumer(name string) zap.Field { return zap.String(KeyConsumer, name) }

// Seq logs a JetStream stream sequence number.
func Seq(n uint64) zap.Field { return zap.Uint64(KeySeq, n) }

// Deliveries logs how many times JetStream has delivered a message.
func Deliveries(n uint64) zap.Field { return zap.Uint64(KeyDeliveries, n) }

// Channel logs the medium of a message or an alert, such as email or sms.
// It takes any string type, so event.Channel values need no conversion.
func Channel[S ~string](c S) zap.Field { return zap.String(KeyChannel, string(c)) }

// Rules logs the ids of the rules that matched.
func Rules(ids []string) zap.Field { return zap.Strings(KeyRules, ids) }

// Verdict logs a verdict level, such as an event.Level; it is formatted only
// if the entry is written.
func Verdict(v fmt.Stringer) zap.Field { return zap.Stringer(KeyVerdict, v) }

// Phone logs a phone number as a keyed hash and a length, never the number:
//
//	"phone": {"hash": "3fa2c19e", "len": 13}
//
// Pass the canonical (E.164) form so that the same number hashes the same.
// The hash is computed by a logger from [NewLogger] with its
// [LogConfig.HashKey]; other loggers write the length only.
func Phone(number string) zap.Field { return zap.Object(KeyPhone, pii{s: number}) }

// Addr logs an e-mail address as a keyed hash and a length, like [Phone].
// Pass it lower-cased so that the same address hashes the same.
func Addr(addr string) zap.Field { return zap.Object(KeyAddr, pii{s: addr}) }

// Text logs message text (a body, a subject, matched evidence) as a keyed
// hash and a length in characters, like [Phone].
func Text(s string) zap.Field { return zap.Object(KeyText, pii{s: s}) }

// pii is a personal value on its way to a redacting core, which replaces it
// with a hashedPII. Marshalled anywhere else, it writes only its length.
type pii struct{ s string }

// MarshalLogObject writes the length only: without the logger's key there
// is no hash that would be safe to write.
func (v pii) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddInt("len", runeLen(v.s))
	return nil
}

// String keeps fmt from printing the value if a field is ever formatted.
func (v pii) String() string { return fmt.Sprintf("[%d chars]", runeLen(v.s)) }

// GoString is String, for %#v.
func (v pii) GoString() string { return v.String() }

func runeLen(s string) int { return utf8.RuneCountInString(s) }
