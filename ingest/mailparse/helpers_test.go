package mailparse_test

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

// checkMessage asserts the invariants every Parse result has, whatever the
// input: non-nil, email channel, caller-owned fields empty, Raw describing
// the input, valid UTF-8 in every string, no recovered panic.
func checkMessage(t testing.TB, name string, raw []byte, msg *event.Message) {
	t.Helper()
	if msg == nil {
		t.Fatalf("Parse(%s) = nil message, want non-nil", name)
	}
	if msg.Channel != event.ChannelEmail {
		t.Errorf("Parse(%s).Channel = %q, want email", name, msg.Channel)
	}
	if msg.ID != "" || msg.Direction != "" {
		t.Errorf("Parse(%s) set ID %q / Direction %q, want both left to the caller", name, msg.ID, msg.Direction)
	}
	if msg.Raw == nil {
		t.Fatalf("Parse(%s).Raw = nil, want set", name)
	}
	sum := sha256.Sum256(raw)
	if msg.Raw.Size != int64(len(raw)) || msg.Raw.SHA256 != hex.EncodeToString(sum[:]) || msg.Raw.Type != "message/rfc822" || msg.Raw.Inline != nil {
		t.Errorf("Parse(%s).Raw = {Size %d, SHA256 %s, Type %q, Inline %d bytes}, want {Size %d, SHA256 of input, message/rfc822, no Inline}",
			name, msg.Raw.Size, msg.Raw.SHA256, msg.Raw.Type, len(msg.Raw.Inline), len(raw))
	}
	if strings.Contains(msg.ParseError, mailparse.InternalErrorIssue) {
		t.Errorf("Parse(%s) recovered from a panic: ParseError = %q", name, msg.ParseError)
	}
	if msg.ParseError != "" {
		for _, is := range strings.Split(msg.ParseError, "; ") {
			if !knownIssue(is) {
				t.Errorf("Parse(%s).ParseError has %q, which is not one of the fixed phrases", name, is)
			}
		}
	}
	walkStrings(reflect.ValueOf(msg), "msg", func(path, s string) {
		if !utf8.ValidString(s) {
			t.Errorf("Parse(%s): %s = %q is not valid UTF-8", name, path, s)
		}
	})
}

// walkStrings calls f for every string reachable from v.
func walkStrings(v reflect.Value, path string, f func(path, s string)) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, f)
		}
	case reflect.String:
		f(path, v.String())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, f)
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // []byte (Raw.Inline) is binary by design
		}
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), path+"[]", f)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			walkStrings(it.Key(), path+"{key}", f)
			walkStrings(it.Value(), path+"{"+it.Key().String()+"}", f)
		}
	}
}

// knownIssue reports whether s is a fixed ParseError phrase, optionally
// prefixed with a part number ("part 1.2: "): anything else could be
// message content leaking into logs.
func knownIssue(s string) bool {
	if rest, ok := strings.CutPrefix(s, "part "); ok {
		num, phrase, ok := strings.Cut(rest, ": ")
		if !ok || num == "" || strings.Trim(num, "0123456789.") != "" {
			return false
		}
		s = phrase
	}
	for _, k := range mailparse.AllIssues {
		if s == k {
			return true
		}
	}
	return false
}
