package urls

import (
	"strings"
	"testing"
)

func TestTriggerTable(t *testing.T) {
	want := map[byte]bool{'.': true, ':': true, '(': true, '[': true, '{': true, 'd': true, 'D': true, 0xE3: true, 0xEF: true}
	if len(triggerTable) != 256 {
		t.Fatalf("len(triggerTable) = %d, want 256", len(triggerTable))
	}
	for c := 0; c < 256; c++ {
		if got := isTrigger(byte(c)); got != want[byte(c)] {
			t.Errorf("isTrigger(%#x) = %v, want %v", c, got, want[byte(c)])
		}
	}
}

func TestWithin1(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"amazon", "amazon", true},
		{"amazom", "amazon", true},  // substitution
		{"amazn", "amazon", true},   // deletion
		{"amazoon", "amazon", true}, // insertion
		{"amaozn", "amazon", true},  // transposition
		{"amazonx", "amazon", true}, // insertion at the end
		{"xamazon", "amazon", true}, // insertion at the start
		{"amzaon", "amazon", true},
		{"amozan", "amazon", false},
		{"azamon", "amazon", false},
		{"amaz", "amazon", false},
		{"", "a", true},
		{"ab", "ba", true},
		{"abc", "cba", false},
	}
	for _, tt := range tests {
		if got := within1([]byte(tt.a), tt.b); got != tt.want {
			t.Errorf("within1(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := within1([]byte(tt.b), tt.a); got != tt.want {
			t.Errorf("within1(%q, %q) = %v, want %v", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	tests := []struct{ in, lite, skel string }{
		{"Amazon", "amazon", "amazon"},
		{"arnazon", "arnazon", "amazon"},
		{"amaz0n", "amaz0n", "amazon"},
		{"аmаzоn", "amazon", "amazon"}, // Cyrillic а and о
		{"ρaypal", "paypal", "paypal"}, // Greek rho
		{"ᴀᴍᴀᴢᴏɴ", "amazon", "amazon"}, // small capitals
		{"amazón", "amazon", "amazon"},
		{"m1zuho", "m1zuho", "mlzuho"},
		{"mizuho", "mizuho", "mlzuho"},
		{"icloud", "icloud", "ldoud"},
		{"vvww", "vvww", "www"},
		{"a_b-c", "a-b-c", "a-b-c"},
		{"例え", "??", "??"},
	}
	for _, tt := range tests {
		var s skeleton
		s.build(tt.in)
		if string(s.liteBytes()) != tt.lite || string(s.skel()) != tt.skel {
			t.Errorf("skeleton(%q) = %q, %q, want %q, %q", tt.in, s.liteBytes(), s.skel(), tt.lite, tt.skel)
		}
		if int(s.off[s.ns]) != s.nl {
			t.Errorf("skeleton(%q).off[ns] = %d, want %d", tt.in, s.off[s.ns], s.nl)
		}
	}
	var s skeleton
	s.build(strings.Repeat("a", 100))
	if s.runes != 100 || s.nl != maxLabel {
		t.Errorf("skeleton(100 letters): runes %d, lite %d; want 100, %d", s.runes, s.nl, maxLabel)
	}
}

func TestMixedScript(t *testing.T) {
	tests := []struct {
		label string
		want  bool
	}{
		{"amazon", false},
		{"аmazon", true},  // Cyrillic + Latin
		{"раураӏ", false}, // all Cyrillic: a whole-script confusable, caught by the skeleton instead
		{"例え", false},
		{"アマゾンjp", false}, // Katakana + Latin is normal Japanese
		{"日本語ドメイン", false},
		{"한국abc", false},
		{"αmazon", true},
		{"ամazon", true},
		{"123-abc", false},
		{"مرحباabc", true},
	}
	for _, tt := range tests {
		if got := mixedScript(tt.label); got != tt.want {
			t.Errorf("mixedScript(%q) = %v, want %v", tt.label, got, tt.want)
		}
	}
}

func TestSegmentable(t *testing.T) {
	for w, want := range map[string]bool{
		"":            true,
		"secure":      true,
		"securelogin": true,
		"cojp":        true,
		"jp123":       true,
		"pie":         false,
		"recipes":     false,
		"loginx":      false,
		"adsystem":    false,
	} {
		if got := segmentable([]byte(w)); got != want {
			t.Errorf("segmentable(%q) = %v, want %v", w, got, want)
		}
	}
}

func TestParseIPv4(t *testing.T) {
	tests := []struct {
		in, want string
		nonStd   bool
	}{
		{"192.168.1.1", "192.168.1.1", false},
		{"3232235777", "192.168.1.1", true},
		{"0xC0A80101", "192.168.1.1", true},
		{"0300.0250.1.1", "192.168.1.1", true},
		{"192.168.257", "192.168.1.1", true},
		{"192.11010305", "192.168.1.1", true},
		{"256.1.1.1", "", false},
		{"1.2.3.4.5", "", false},
		{"08.1.1.1", "", false},
		{"4294967296", "", false},
		{"1..2", "", false},
	}
	for _, tt := range tests {
		addr, nonStd, ok := parseIPv4(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("parseIPv4(%q) = %v, want failure", tt.in, addr)
			}
			continue
		}
		if !ok || addr.String() != tt.want || nonStd != tt.nonStd {
			t.Errorf("parseIPv4(%q) = %v, %v, %v, want %s, %v", tt.in, addr, nonStd, ok, tt.want, tt.nonStd)
		}
	}
}

func TestRegistrable(t *testing.T) {
	tests := []struct{ host, domain, suffix string }{
		{"www.amazon.co.jp", "amazon.co.jp", "co.jp"},
		{"user.github.io", "user.github.io", "github.io"},
		{"s3.amazonaws.com", "amazonaws.com", "com"},
		{"co.jp", "", ""},
		{"foo.unknowntld", "", ""},
		{"localhost", "", ""},
		{"1.2.3.4", "", ""},
	}
	for _, tt := range tests {
		d, s, _ := registrable(tt.host)
		if d != tt.domain || s != tt.suffix {
			t.Errorf("registrable(%q) = %q, %q, want %q, %q", tt.host, d, s, tt.domain, tt.suffix)
		}
	}
}
