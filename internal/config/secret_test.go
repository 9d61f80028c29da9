package config_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/scamscreen/scamscreen/internal/config"
)

const secretValue = "tw-auth-9f8e7d6c5b4a"

func TestSecretResolve(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("SCAMSCREEN_TEST_SECRET", secretValue)
	t.Setenv("SCAMSCREEN_TEST_EMPTY", "")

	tests := []struct {
		name    string
		s       config.Secret
		want    string
		wantErr string // substring; "" means success
	}{
		{"env", config.SecretFromEnv("SCAMSCREEN_TEST_SECRET"), secretValue, ""},
		{"env not set", config.SecretFromEnv("SCAMSCREEN_TEST_MISSING"), "", "environment variable SCAMSCREEN_TEST_MISSING is not set"},
		{"env empty", config.SecretFromEnv("SCAMSCREEN_TEST_EMPTY"), "", "environment variable SCAMSCREEN_TEST_EMPTY is empty"},
		{"file with newline", config.SecretFromFile(write("nl", secretValue+"\n")), secretValue, ""},
		{"file with CRLF", config.SecretFromFile(write("crlf", secretValue+"\r\n")), secretValue, ""},
		{"file without newline", config.SecretFromFile(write("plain", secretValue)), secretValue, ""},
		{"file keeps inner and second newline", config.SecretFromFile(write("two", "a\nb\n\n")), "a\nb\n", ""},
		{"file keeps spaces", config.SecretFromFile(write("sp", " x \n")), " x ", ""},
		{"file missing", config.SecretFromFile(filepath.Join(dir, "nope")), "", filepath.Join(dir, "nope")},
		{"file empty", config.SecretFromFile(write("empty", "\n")), "", "is empty"},
		{"file too large", config.SecretFromFile(write("big", strings.Repeat("x", 65<<10))), "", "larger than 64KiB"},
		{"unset", config.Secret{}, "", "secret: not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.s.Resolve()
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Resolve() = %q, %v, want %q, nil", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Resolve() = %q, %v, want error containing %q", got, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("Resolve() returned %q with an error, want empty", got)
			}
		})
	}
}

func TestSecretFileErrorNeverHoldsValue(t *testing.T) {
	// A file that exists but is a directory: the error names it, and no
	// secret value is anywhere near.
	dir := t.TempDir()
	_, err := config.SecretFromFile(dir).Resolve()
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Resolve(dir) = %v, want an error naming %s", err, dir)
	}
}

func TestSecretIsSetAndSource(t *testing.T) {
	tests := []struct {
		s      config.Secret
		set    bool
		source string
	}{
		{config.Secret{}, false, ""},
		{config.SecretFromEnv("A"), true, "env A"},
		{config.SecretFromFile("/run/x"), true, "file /run/x"},
	}
	for _, tt := range tests {
		if got := tt.s.IsSet(); got != tt.set {
			t.Errorf("%s.IsSet() = %v, want %v", tt.source, got, tt.set)
		}
		if got := tt.s.Source(); got != tt.source {
			t.Errorf("Source() = %q, want %q", got, tt.source)
		}
	}
}

// TestSecretNeverPrinted dumps a whole decoded config every way a program
// might print it and checks that neither the secret's value nor the name of
// its source appears.
func TestSecretNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte(secretValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SCAMSCREEN_TEST_SECRET", secretValue)
	src := fmt.Sprintf(`name: home
token: {env: SCAMSCREEN_TEST_SECRET}
households:
  - id: tanaka
    people:
      - name: hanako
        token: {file: %s}
`, path)
	var c example
	if err := decode(t, src, &c); err != nil {
		t.Fatalf("Decode() = %v", err)
	}
	// The secrets resolve, so the test would see them if they leaked.
	for _, s := range []config.Secret{c.Token, c.Households[0].People[0].Token} {
		if v, err := s.Resolve(); v != secretValue || err != nil {
			t.Fatalf("Resolve() = %q, %v, want the secret", v, err)
		}
	}

	dumps := map[string]string{
		"%v":  fmt.Sprintf("%v", c),
		"%+v": fmt.Sprintf("%+v", c),
		"%#v": fmt.Sprintf("%#v", c),
		"%s":  fmt.Sprintf("%s", c.Token),
		"%x":  fmt.Sprintf("%x", c.Token),
		"%q":  fmt.Sprintf("%q", c.Token),
		"ptr": fmt.Sprintf("%+v", &c),
	}
	var j strings.Builder
	enc := json.NewEncoder(&j)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		t.Fatalf("json.Encode() = %v", err)
	}
	dumps["json"] = j.String()
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatalf("yaml.Marshal() = %v", err)
	}
	dumps["yaml"] = string(y)

	for how, out := range dumps {
		for _, leak := range []string{secretValue, "SCAMSCREEN_TEST_SECRET", path} {
			if strings.Contains(out, leak) {
				t.Errorf("dump with %s contains %q:\n%s", how, leak, out)
			}
		}
		if !strings.Contains(out, "<secret>") {
			t.Errorf("dump with %s does not say <secret>:\n%s", how, out)
		}
	}
	if !strings.Contains(dumps["yaml"], "token: <secret>") {
		t.Errorf("yaml dump = %s, want token: <secret>", dumps["yaml"])
	}
}

func TestSecretUnsetPrints(t *testing.T) {
	var s config.Secret
	if got := fmt.Sprint(s); got != "<unset>" {
		t.Errorf("fmt.Sprint(Secret{}) = %q, want <unset>", got)
	}
	j, _ := json.Marshal(struct{ S config.Secret }{})
	if string(j) != `{"S":null}` {
		t.Errorf("json.Marshal(unset) = %s, want null", j)
	}
	y, _ := yaml.Marshal(struct{ S config.Secret }{})
	if string(y) != "s: null\n" {
		t.Errorf("yaml.Marshal(unset) = %q, want null", y)
	}
}

func TestSecretNullStaysUnset(t *testing.T) {
	var c example
	if err := decode(t, "name: a\ntoken: ~\n", &c); err != nil {
		t.Fatalf("Decode() = %v", err)
	}
	if c.Token.IsSet() {
		t.Errorf("token: ~ gave a set secret %s", c.Token.Source())
	}
}

func TestSecretFromAnchor(t *testing.T) {
	var c example
	src := "name: a\ntoken: &tok {env: SHARED}\nhouseholds:\n  - people:\n      - token: *tok\n"
	if err := decode(t, src, &c); err != nil {
		t.Fatalf("Decode() = %v", err)
	}
	if got := c.Households[0].People[0].Token.Source(); got != "env SHARED" {
		t.Errorf("aliased secret Source() = %q, want env SHARED", got)
	}
}
