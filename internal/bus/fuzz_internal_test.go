package bus

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCleanReason: whatever an error says, the dead-letter header made of
// it is one line of valid UTF-8 within MaxReasonLen bytes.
func FuzzCleanReason(f *testing.F) {
	for _, s := range []string{"", "decode em-1: bad json", "a\r\nb", "\xff\xfe", strings.Repeat("ギフト券", 200), "tab\there\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := cleanReason(s)
		if got == "" || len(got) > MaxReasonLen || !utf8.ValidString(got) || strings.ContainsAny(got, "\r\n\x00") {
			t.Errorf("cleanReason(%q) = %q: want 1-%d bytes of valid UTF-8 on one line", s, got, MaxReasonLen)
		}
	})
}

// FuzzURLList: a comma-separated url value never yields empty or padded
// entries.
func FuzzURLList(f *testing.F) {
	for _, s := range []string{"", "nats://a:4222", " nats://a:4222 , nats://b:4222,", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var u URLList
		if err := u.UnmarshalText([]byte(s)); err != nil {
			t.Fatalf("UnmarshalText(%q) = %v", s, err)
		}
		for _, e := range u {
			if e == "" || e != strings.TrimSpace(e) || strings.Contains(e, ",") {
				t.Errorf("UnmarshalText(%q) gave entry %q", s, e)
			}
		}
	})
}
