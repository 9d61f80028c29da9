package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in   string
		want []segment
	}{
		{"", nil},
		{"a", []segment{{key: "a"}}},
		{"a.b[0][12].c", []segment{{key: "a"}, {key: "b"}, {index: 0, isIndex: true}, {index: 12, isIndex: true}, {key: "c"}}},
		{`groups["tanaka.family"].name`, []segment{{key: "groups"}, {key: "tanaka.family"}, {key: "name"}}},
		{"[3]", []segment{{index: 3, isIndex: true}}},
		{"a[x]", []segment{{key: "a"}, {key: "[x]"}}},
		{`a["unterminated`, []segment{{key: "a"}, {key: `["unterminated`}}},
		{"a[-1]", []segment{{key: "a"}, {key: "[-1]"}}},
	}
	for _, tt := range tests {
		got := parsePath(tt.in)
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(segment{})); diff != "" {
			t.Errorf("parsePath(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

// FuzzPath checks that any key and index written with Path parse back to
// themselves, and that parsePath and comparePaths never panic.
func FuzzPath(f *testing.F) {
	f.Add("households", 3, "tanaka.family")
	f.Add("", 0, `"]`)
	f.Add("a[0]", 12, "ü")
	f.Fuzz(func(t *testing.T, k1 string, i int, k2 string) {
		if i < 0 {
			i = -i
		}
		if i < 0 {
			return
		}
		p := Path(k1, i, k2)
		want := []segment{{key: k1}, {index: i, isIndex: true}, {key: k2}}
		if diff := cmp.Diff(want, parsePath(p), cmp.AllowUnexported(segment{})); diff != "" {
			t.Errorf("parsePath(Path(%q, %d, %q) = %q) mismatch (-want +got):\n%s", k1, i, k2, p, diff)
		}
		if comparePaths(p, p) != 0 {
			t.Errorf("comparePaths(%q, itself) != 0", p)
		}
		_ = parsePath(k1)
		_ = comparePaths(k1, k2)
	})
}
