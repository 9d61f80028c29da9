package config_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/internal/config"
)

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"",
		"name: home\nport: 80\ntimeout: 1d12h\nmax_size: 1MiB\ntoken: {env: TOKEN}\n",
		"households:\n  - id: a\n    people:\n      - name: b\n        phones: ['+8190']\n        token: {file: /x}\n",
		"labels: {a: b, c: d}\n",
		"a: &x [*x]\n",
		"base: &b {name: x}\n<<: *b\n",
		"name: a\n---\nname: b\n",
		"port: [1, {2: 3}]\n",
		"token: [[[[[[]]]]]]\n",
		"\t- :\n",
		"timeout: 99999999999999999999w\n",
		"max_size: 1.5.5KiB\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v validated
		err := config.Decode(bytes.NewReader(data), "fuzz.yaml", &v)
		if err == nil {
			return
		}
		var ce *config.Error
		if !errors.As(err, &ce) {
			return // reader and argument errors; none are expected here.
		}
		if len(ce.Problems) == 0 {
			t.Fatalf("Decode() = *Error with no problems")
		}
		lines := bytes.Count(data, []byte("\n")) + 2
		for _, p := range ce.Problems {
			if p.Line < 0 || p.Line > lines {
				t.Errorf("problem %q has line %d, input has %d lines", p, p.Line, lines)
			}
			if p.Msg == "" {
				t.Errorf("problem at %q has no message", p.Path)
			}
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"0", "90d", "2w", "1d12h", "1.5h", "-3m", ".5s", "1µs", "x", "1e9s", "15251w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := config.ParseDuration(s)
		if err != nil {
			if !strings.Contains(err.Error(), "invalid duration") {
				t.Errorf("ParseDuration(%q) error %q does not say invalid duration", s, err)
			}
			return
		}
		back, err := config.ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %d; ParseDuration(String()=%q) = %d, %v", s, int64(d), d.String(), int64(back), err)
		}
	})
}

func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"0", "1048576", "256KiB", "1.5MiB", "2 GB", "1kb", "-1", "1.0001KiB", "8192PiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := config.ParseByteSize(s)
		if err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("ParseByteSize(%q) = %d, want non-negative", s, int64(b))
		}
		back, err := config.ParseByteSize(b.String())
		if err != nil || back != b {
			t.Errorf("ParseByteSize(%q) = %d; ParseByteSize(String()=%q) = %d, %v", s, int64(b), b.String(), int64(back), err)
		}
	})
}
