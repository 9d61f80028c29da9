package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/internal/config"
)

// example is a config shaped like the real ones: nested lists, a map, and
// every value type of the package.
type example struct {
	Name       string            `yaml:"name" json:"name"`
	Port       int               `yaml:"port" json:"port"`
	Timeout    config.Duration   `yaml:"timeout" json:"timeout"`
	MaxSize    config.ByteSize   `yaml:"max_size" json:"max_size"`
	Token      config.Secret     `yaml:"token" json:"token"`
	Households []household       `yaml:"households" json:"households"`
	Labels     map[string]string `yaml:"labels" json:"labels"`
}

type household struct {
	ID     string   `yaml:"id" json:"id"`
	People []person `yaml:"people" json:"people"`
}

type person struct {
	Name   string        `yaml:"name" json:"name"`
	Phones []string      `yaml:"phones" json:"phones"`
	Token  config.Secret `yaml:"token" json:"token"`
}

// validated is example with a Validate method, as packages write them.
type validated struct {
	example `yaml:",inline"`
}

func (c *validated) Validate() error {
	var p config.Problems
	if c.Name == "" {
		p.Add("name", "required")
	}
	if c.Port <= 0 || c.Port > 65535 {
		p.Add("port", "%d is not a port number", c.Port)
	}
	for i, h := range c.Households {
		hp := p.At("households", i)
		if h.ID == "" {
			hp.Add("id", "required")
		}
		for j, per := range h.People {
			pp := hp.At("people", j)
			for k, ph := range per.Phones {
				if !strings.HasPrefix(ph, "+") || len(ph) < 8 {
					pp.Add(config.Path("phones", k), "%q is not a phone number", ph)
				}
			}
		}
	}
	return p.Err()
}

func decode(t *testing.T, src string, into any) error {
	t.Helper()
	return config.Decode(strings.NewReader(src), "test.yaml", into)
}

func TestDecodeValid(t *testing.T) {
	src := `
name: home
port: 8080
timeout: 1d12h
max_size: 256KiB
token: {env: EXAMPLE_TOKEN}
households:
  - id: tanaka
    people:
      - name: hanako
        phones: ["+819012345678"]
        token:
          file: /run/secrets/hanako
labels:
  tier: family
`
	got := example{Port: 1, Name: "default"}
	if err := decode(t, src, &got); err != nil {
		t.Fatalf("Decode() = %v, want nil", err)
	}
	want := example{
		Name:    "home",
		Port:    8080,
		Timeout: config.Duration(36 * time.Hour),
		MaxSize: 256 << 10,
		Token:   config.SecretFromEnv("EXAMPLE_TOKEN"),
		Households: []household{{ID: "tanaka", People: []person{{
			Name: "hanako", Phones: []string{"+819012345678"}, Token: config.SecretFromFile("/run/secrets/hanako"),
		}}}},
		Labels: map[string]string{"tier": "family"},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b config.Secret) bool { return a.Source() == b.Source() })); diff != "" {
		t.Errorf("Decode() mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeKeepsDefaults(t *testing.T) {
	got := example{Port: 9090, Timeout: config.Duration(time.Minute)}
	if err := decode(t, "name: x\n", &got); err != nil {
		t.Fatalf("Decode() = %v, want nil", err)
	}
	if got.Port != 9090 || got.Timeout.Std() != time.Minute || got.Name != "x" {
		t.Errorf("Decode() = %+v, want defaults kept and name x", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{
			name: "empty file",
			src:  "",
			want: "test.yaml: file is empty",
		},
		{
			name: "only comments",
			src:  "# nothing here\n",
			want: "test.yaml: file is empty",
		},
		{
			name: "null document",
			src:  "---\n",
			want: "test.yaml: line 1: file is empty",
		},
		{
			name: "two documents",
			src:  "name: a\n---\nname: b\n",
			want: "test.yaml: line 3: a second YAML document; a config file holds exactly one",
		},
		{
			name: "syntax error",
			src:  "name: a\n  port: 1\n",
			want: "test.yaml: line 2: mapping values are not allowed in this context",
		},
		{
			name: "unknown key with line",
			src:  "name: a\nprot: 80\n",
			want: `test.yaml: line 2: prot: unknown key "prot"`,
		},
		{
			name: "unknown nested key",
			src:  "households:\n  - id: a\n    people:\n      - nmae: x\n",
			want: `test.yaml: line 4: households[0].people[0].nmae: unknown key "nmae"`,
		},
		{
			name: "duplicate key",
			src:  "name: a\nname: b\n",
			want: `test.yaml: line 2: name: key "name" appears more than once (first on line 1)`,
		},
		{
			name: "wrong type with line",
			src:  "name: a\nport: eighty\n",
			want: `test.yaml: line 2: port: got string "eighty", want int`,
		},
		{
			name: "wrong type, long value is cut",
			src:  "port: this-is-not-a-port\n",
			want: `test.yaml: line 1: port: got string "this-is...", want int`,
		},
		{
			name: "list where mapping wanted",
			src:  "labels: [a, b]\n",
			want: "test.yaml: line 1: labels: got list, want map[string]string",
		},
		{
			name: "wrong type in flow list",
			src:  "households:\n  - people: [{phones: {a: b}}]\n",
			want: "test.yaml: line 2: households[0].people[0].phones: got mapping, want []string",
		},
		{
			name: "all errors reported",
			src:  "prot: 1\nport: x\ntimeout: soon\nmax_size: lots\ntoken: hunter2\n",
			want: strings.Join([]string{
				`test.yaml: line 1: prot: unknown key "prot"`,
				`test.yaml: line 2: port: got string "x", want int`,
				`test.yaml: line 3: timeout: invalid duration "soon": want a number and a unit, such as 30s, 5m, 2h, 90d or 2w`,
				`test.yaml: line 4: max_size: invalid size "lots": want a number of bytes or a number and a unit, such as 256KiB, 1MiB or 2GB`,
				`test.yaml: line 5: token: a secret is never written in the config: write {env: NAME} or {file: /path}, and put the value in that variable or file`,
			}, "\n"),
		},
		{
			name: "duration garbage",
			src:  "timeout: 5 minutes\n",
			want: `test.yaml: line 1: timeout: invalid duration "5 minutes": unknown unit " minutes" (ns, us, ms, s, m, h, d or w)`,
		},
		{
			name: "duration missing unit",
			src:  "timeout: 30\n",
			want: `test.yaml: line 1: timeout: invalid duration "30": missing unit after 30 (ns, us, ms, s, m, h, d or w)`,
		},
		{
			name: "duration as mapping",
			src:  "timeout: {s: 1}\n",
			want: `test.yaml: line 1: timeout: want a duration such as 30s, 5m, 2h, 90d or 2w`,
		},
		{
			name: "size garbage",
			src:  "max_size: 1.5.0MB\n",
			want: `test.yaml: line 1: max_size: invalid size "1.5.0MB": want a number of bytes or a number and a unit, such as 256KiB, 1MiB or 2GB`,
		},
		{
			name: "size unknown unit",
			src:  "max_size: 3 furlongs\n",
			want: `test.yaml: line 1: max_size: invalid size "3 furlongs": unknown unit "furlongs" (B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB)`,
		},
		{
			name: "secret inline",
			src:  "token: s3cr3t-value\n",
			want: "test.yaml: line 1: token: a secret is never written in the config: write {env: NAME} or {file: /path}, and put the value in that variable or file",
		},
		{
			name: "secret inline as list",
			src:  "token: [s3cr3t-value]\n",
			want: "test.yaml: line 1: token: a secret is never written in the config: write {env: NAME} or {file: /path}, and put the value in that variable or file",
		},
		{
			name: "secret with both sources",
			src:  "token: {env: A, file: /b}\n",
			want: "test.yaml: line 1: token: secret has both env and file; write {env: NAME} or {file: /path}",
		},
		{
			name: "secret with no source",
			src:  "token: {}\n",
			want: "test.yaml: line 1: token: secret names no source; write {env: NAME} or {file: /path}",
		},
		{
			name: "secret with unknown key",
			src:  "token:\n  value: s3cr3t-value\n",
			want: `test.yaml: line 2: token: unknown key "value" in secret; write {env: NAME} or {file: /path}`,
		},
		{
			name: "secret with value as key",
			src:  "token:\n  s3cr3t.value: x\n",
			want: `test.yaml: line 2: token: unknown key in secret; write {env: NAME} or {file: /path}`,
		},
		{
			name: "secret env that is not a name",
			src:  "token: {env: 's3cr3t value!'}\n",
			want: "test.yaml: line 1: token: secret env: not a valid environment variable name (letters, digits and _, not starting with a digit)",
		},
		{
			name: "secret env empty",
			src:  "token: {env: ''}\n",
			want: "test.yaml: line 1: token: secret env: want a non-empty name",
		},
		{
			name: "secret deep in a list",
			src:  "households:\n  - people:\n      - token: s3cr3t-value\n",
			want: "test.yaml: line 3: households[0].people[0].token: a secret is never written in the config: write {env: NAME} or {file: /path}, and put the value in that variable or file",
		},
		{
			name: "root is a list",
			src:  "- a\n- b\n",
			want: "test.yaml: line 1: got list, want config_test.example",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got example
			err := decode(t, tt.src, &got)
			if err == nil {
				t.Fatalf("Decode(%q) = nil, want %q", tt.src, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Decode(%q) =\n%s\nwant\n%s", tt.src, err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("Decode(%q) = %q, which echoes the inline secret", tt.src, err)
			}
			var ce *config.Error
			if !errors.As(err, &ce) || ce.File != "test.yaml" {
				t.Errorf("Decode(%q) error %T does not unwrap to *config.Error for test.yaml", tt.src, err)
			}
		})
	}
}

func TestDecodeValidate(t *testing.T) {
	src := `name: ""
port: 80
households:
  - id: tanaka
    people:
      - name: a
        phones: ["+819012345678", "+8190"]
      - name: b
        phones: ["0312345678"]
  - people: []
`
	err := decode(t, src, &validated{})
	want := []config.Problem{
		{Line: 1, Path: "name", Msg: "required"},
		{Line: 7, Path: "households[0].people[0].phones[1]", Msg: `"+8190" is not a phone number`},
		{Line: 9, Path: "households[0].people[1].phones[0]", Msg: `"0312345678" is not a phone number`},
		{Line: 10, Path: "households[1].id", Msg: "required"},
	}
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("Decode() = %v, want *config.Error", err)
	}
	if diff := cmp.Diff(want, ce.Problems); diff != "" {
		t.Errorf("Decode() problems mismatch (-want +got):\n%s", diff)
	}
	wantText := `test.yaml: line 1: name: required
test.yaml: line 7: households[0].people[0].phones[1]: "+8190" is not a phone number
test.yaml: line 9: households[0].people[1].phones[0]: "0312345678" is not a phone number
test.yaml: line 10: households[1].id: required`
	if err.Error() != wantText {
		t.Errorf("Decode() =\n%s\nwant\n%s", err, wantText)
	}
}

func TestDecodeValidateDefaultNotInFile(t *testing.T) {
	// port keeps its (invalid) default: the problem has a path but no line.
	err := decode(t, "name: a\n", &validated{})
	want := "test.yaml: port: 0 is not a port number"
	if err == nil || err.Error() != want {
		t.Errorf("Decode() = %v, want %q", err, want)
	}
}

func TestDecodeNotPointer(t *testing.T) {
	if err := decode(t, "name: a\n", example{}); err == nil {
		t.Errorf("Decode(non-pointer) = nil, want error")
	}
	var p *example
	if err := decode(t, "name: a\n", p); err == nil {
		t.Errorf("Decode(nil pointer) = nil, want error")
	}
}

func TestDecodeTooLarge(t *testing.T) {
	src := "name: " + strings.Repeat("a", config.MaxFileSize) + "\n"
	err := decode(t, src, &example{})
	want := "test.yaml: file is larger than 4MiB"
	if err == nil || err.Error() != want {
		t.Errorf("Decode(huge) = %v, want %q", err, want)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "scamscreen.yaml")
	if err := os.WriteFile(path, []byte("name: a\nport: 1\nbogus: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := config.Load(path, &example{})
	want := path + `: line 3: bogus: unknown key "bogus"`
	if err == nil || err.Error() != want {
		t.Errorf("Load(%s) = %v, want %q", path, err, want)
	}

	missing := filepath.Join(dir, "missing.yaml")
	err = config.Load(missing, &example{})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(%s) = %v, want a not-exist error naming the file", missing, err)
	}
}

// panicky panics while decoding, like a buggy UnmarshalYAML would.
type panicky struct{}

func (*panicky) UnmarshalYAML(func(any) error) error { panic("boom") }

func TestDecodeRecoversPanic(t *testing.T) {
	var v struct {
		P panicky `yaml:"p"`
	}
	err := decode(t, "p: 1\n", &v)
	if err == nil || !strings.Contains(err.Error(), "panic: boom") {
		t.Errorf("Decode() = %v, want an error reporting the panic", err)
	}
}
