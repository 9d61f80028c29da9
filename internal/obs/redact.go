package obs

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Redacted replaces the value of a field that names personal data.
const Redacted = "[REDACTED]"

// piiKeys are the field keys whose values are personal data. Matching
// ignores case. Log ids under other keys (message_id, person, household).
var piiKeys = []string{
	"body", "text", "html", "raw", "subject",
	"from", "to", "cc", "bcc", "reply_to", "reply-to", "sender", "recipient",
	"phone", "number", "email", "address", "addr", "name", "display_name",
}

// IsPersonalKey reports whether a field with this key is redacted by a
// [NewRedactingCore].
func IsPersonalKey(key string) bool {
	for _, k := range piiKeys {
		if len(k) == len(key) && strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// NewRedactingCore wraps inner so that values of fields with personal keys
// ([IsPersonalKey]) are written as [Redacted], at the top level, inside
// objects and arrays, and in fields added with With. Values from [Phone],
// [Addr] and [Text] are written as a hash keyed with key and a length.
//
// Check asks inner, so a sampler or level below this core still decides. In
// [NewLogger] it sits under the sampler, directly over the encoding core.
func NewRedactingCore(inner zapcore.Core, key []byte) zapcore.Core {
	return newRedactCore(inner, key, false)
}

// newRedactCore is NewRedactingCore; levelOnly says that inner decides by
// level alone (a core from zapcore.NewCore), so Check can ask Enabled
// instead of running inner's Check, which allocates a CheckedEntry that is
// then thrown away.
func newRedactCore(inner zapcore.Core, key []byte, levelOnly bool) *redactCore {
	key = bytes.Clone(key)
	return &redactCore{Core: inner, levelOnly: levelOnly, macs: &sync.Pool{
		New: func() any { return hmac.New(sha256.New, key) },
	}}
}

type redactCore struct {
	zapcore.Core
	levelOnly bool
	macs      *sync.Pool // of HMAC-SHA-256 hashes under the core's key
}

// Check lets the inner core decide whether the entry is logged (level,
// sampling) and, when it is, routes the write through this core so the
// fields are redacted first. Adding this core on the strength of its own
// level alone would bypass a sampler below it (DEPENDENCIES.md §7).
func (c *redactCore) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.levelOnly {
		if !c.Core.Enabled(ent.Level) {
			return ce
		}
	} else if c.Core.Check(ent, nil) == nil {
		return ce
	}
	return ce.AddCore(ent, c)
}

func (c *redactCore) With(fields []zapcore.Field) zapcore.Core {
	return &redactCore{Core: c.Core.With(c.redact(fields)), levelOnly: c.levelOnly, macs: c.macs}
}

func (c *redactCore) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	return c.Core.Write(ent, c.redact(fields))
}

// redact returns fields with personal values replaced. It copies the slice
// only when something changes.
func (c *redactCore) redact(fields []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fields {
		g, changed := c.field(f)
		if !changed {
			if out != nil {
				out[i] = f
			}
			continue
		}
		if out == nil {
			out = make([]zapcore.Field, len(fields))
			copy(out, fields[:i])
		}
		out[i] = g
	}
	if out == nil {
		return fields
	}
	return out
}

func (c *redactCore) field(f zapcore.Field) (zapcore.Field, bool) {
	switch f.Type {
	case zapcore.ObjectMarshalerType, zapcore.InlineMarshalerType:
		if v, ok := f.Interface.(pii); ok {
			return zap.Object(f.Key, c.hashed(v)), true
		}
		if f.Type == zapcore.ObjectMarshalerType && IsPersonalKey(f.Key) {
			return zap.String(f.Key, Redacted), true
		}
		m, ok := f.Interface.(zapcore.ObjectMarshaler)
		if !ok {
			return f, false
		}
		f.Interface = redactObject{m: m, c: c}
		return f, true
	case zapcore.ArrayMarshalerType:
		if IsPersonalKey(f.Key) {
			return zap.String(f.Key, Redacted), true
		}
		a, ok := f.Interface.(zapcore.ArrayMarshaler)
		if !ok {
			return f, false
		}
		f.Interface = redactArray{a: a, c: c}
		return f, true
	case zapcore.NamespaceType, zapcore.SkipType, zapcore.ErrorType:
		// A namespace's key holds no value; error text is not inspected (see
		// the package doc).
		return f, false
	}
	if IsPersonalKey(f.Key) {
		return zap.String(f.Key, Redacted), true
	}
	return f, false
}

// hashed turns a personal value into what is logged for it.
func (c *redactCore) hashed(v pii) hashedPII {
	m := c.macs.Get().(hash.Hash)
	m.Reset()
	_, _ = io.WriteString(m, v.s)
	var sum [sha256.Size]byte
	h := hashedPII{n: runeLen(v.s)}
	hex.Encode(h.hash[:], m.Sum(sum[:0])[:len(h.hash)/2])
	c.macs.Put(m)
	return h
}

// hashedPII is the logged form of a personal value: a short keyed hash that
// correlates lines about the same value, and its length in characters.
type hashedPII struct {
	hash [8]byte // hex of the first 4 bytes of HMAC-SHA-256
	n    int
}

func (h hashedPII) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddByteString("hash", h.hash[:])
	enc.AddInt("len", h.n)
	return nil
}

// redactObject marshals m through an encoder that redacts personal keys.
type redactObject struct {
	m zapcore.ObjectMarshaler
	c *redactCore
}

func (r redactObject) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	return r.m.MarshalLogObject(&objectEncoder{ObjectEncoder: enc, c: r.c})
}

// redactArray marshals a through an encoder that redacts the objects in it.
type redactArray struct {
	a zapcore.ArrayMarshaler
	c *redactCore
}

func (r redactArray) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	return r.a.MarshalLogArray(&arrayEncoder{ArrayEncoder: enc, c: r.c})
}

// objectEncoder redacts values whose key is personal and recurses into
// nested objects and arrays. Every method that takes a key is overridden.
type objectEncoder struct {
	zapcore.ObjectEncoder
	c *redactCore
}

func (e *objectEncoder) redacted(key string) bool {
	if IsPersonalKey(key) {
		e.ObjectEncoder.AddString(key, Redacted)
		return true
	}
	return false
}

func (e *objectEncoder) AddArray(key string, a zapcore.ArrayMarshaler) error {
	if e.redacted(key) {
		return nil
	}
	return e.ObjectEncoder.AddArray(key, redactArray{a: a, c: e.c})
}

func (e *objectEncoder) AddObject(key string, m zapcore.ObjectMarshaler) error {
	if v, ok := m.(pii); ok {
		return e.ObjectEncoder.AddObject(key, e.c.hashed(v))
	}
	if e.redacted(key) {
		return nil
	}
	return e.ObjectEncoder.AddObject(key, redactObject{m: m, c: e.c})
}

func (e *objectEncoder) AddBinary(key string, v []byte) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddBinary(key, v)
	}
}

func (e *objectEncoder) AddByteString(key string, v []byte) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddByteString(key, v)
	}
}

func (e *objectEncoder) AddBool(key string, v bool) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddBool(key, v)
	}
}

func (e *objectEncoder) AddComplex128(key string, v complex128) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddComplex128(key, v)
	}
}

func (e *objectEncoder) AddComplex64(key string, v complex64) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddComplex64(key, v)
	}
}

func (e *objectEncoder) AddDuration(key string, v time.Duration) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddDuration(key, v)
	}
}

func (e *objectEncoder) AddFloat64(key string, v float64) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddFloat64(key, v)
	}
}

func (e *objectEncoder) AddFloat32(key string, v float32) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddFloat32(key, v)
	}
}

func (e *objectEncoder) AddInt(key string, v int) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddInt(key, v)
	}
}

func (e *objectEncoder) AddInt64(key string, v int64) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddInt64(key, v)
	}
}

func (e *objectEncoder) AddInt32(key string, v int32) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddInt32(key, v)
	}
}

func (e *objectEncoder) AddInt16(key string, v int16) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddInt16(key, v)
	}
}

func (e *objectEncoder) AddInt8(key string, v int8) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddInt8(key, v)
	}
}

func (e *objectEncoder) AddString(key, v string) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddString(key, v)
	}
}

func (e *objectEncoder) AddTime(key string, v time.Time) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddTime(key, v)
	}
}

func (e *objectEncoder) AddUint(key string, v uint) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddUint(key, v)
	}
}

func (e *objectEncoder) AddUint64(key string, v uint64) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddUint64(key, v)
	}
}

func (e *objectEncoder) AddUint32(key string, v uint32) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddUint32(key, v)
	}
}

func (e *objectEncoder) AddUint16(key string, v uint16) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddUint16(key, v)
	}
}

func (e *objectEncoder) AddUint8(key string, v uint8) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddUint8(key, v)
	}
}

func (e *objectEncoder) AddUintptr(key string, v uintptr) {
	if !e.redacted(key) {
		e.ObjectEncoder.AddUintptr(key, v)
	}
}

func (e *objectEncoder) AddReflected(key string, v any) error {
	if e.redacted(key) {
		return nil
	}
	return e.ObjectEncoder.AddReflected(key, v)
}

// arrayEncoder recurses into the objects and arrays of an array; its
// elements have no keys of their own.
type arrayEncoder struct {
	zapcore.ArrayEncoder
	c *redactCore
}

func (e *arrayEncoder) AppendObject(m zapcore.ObjectMarshaler) error {
	if v, ok := m.(pii); ok {
		return e.ArrayEncoder.AppendObject(e.c.hashed(v))
	}
	return e.ArrayEncoder.AppendObject(redactObject{m: m, c: e.c})
}

func (e *arrayEncoder) AppendArray(a zapcore.ArrayMarshaler) error {
	return e.ArrayEncoder.AppendArray(redactArray{a: a, c: e.c})
}
