package bus

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/scamscreen/scamscreen/internal/config"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if c.Streams.MaxAge != config.Duration(90*24*time.Hour) || c.Streams.Replicas != 1 || c.Streams.Duplicates != config.Duration(20*time.Minute) ||
		c.RawInlineLimit != 256<<10 || c.Name != "scamscreen" || c.Embedded.ServerName != "scamscreen" {
		t.Errorf("DefaultConfig() = %+v, want the documented defaults", c)
	}
	if !c.IsEmbedded() {
		t.Errorf("DefaultConfig().IsEmbedded() = false, want true")
	}
	err := c.Validate()
	if got := fieldPaths(err); !slices.Equal(got, []string{"nats.embedded.store_dir"}) {
		t.Errorf("DefaultConfig().Validate() paths = %v, want [nats.embedded.store_dir]", got)
	}
}

func fieldPaths(err error) []string {
	var paths []string
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		var fe *FieldError
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		if errors.As(err, &fe) {
			paths = append(paths, fe.Path)
		}
	}
	walk(err)
	slices.Sort(paths)
	return paths
}

func TestValidate(t *testing.T) {
	embedded := func(mod func(*Config)) Config {
		c := Config{Embedded: EmbeddedConfig{StoreDir: "/var/lib/scamscreen"}}
		mod(&c)
		return c
	}
	external := func(mod func(*Config)) Config {
		c := Config{URL: URLList{"nats://n1:4222", "nats://n2:4222"}}
		mod(&c)
		return c
	}
	tests := []struct {
		name  string
		cfg   Config
		paths []string
	}{
		{"embedded ok", embedded(func(*Config) {}), nil},
		{"external ok", external(func(*Config) {}), nil},
		{"external with creds", external(func(c *Config) { c.CredsFile = "/etc/nats/app.creds"; c.TLS.CAFile = "/etc/ca.pem" }), nil},
		{"embedded listen loopback without auth", embedded(func(c *Config) { c.Embedded.Listen = "127.0.0.1:0" }), nil},
		{"embedded listen public needs auth", embedded(func(c *Config) { c.Embedded.Listen = "0.0.0.0:4222" }), []string{"nats.embedded.listen"}},
		{"embedded listen public with token", embedded(func(c *Config) {
			c.Embedded.Listen = "0.0.0.0:4222"
			c.Token = config.SecretFromFile("/run/secrets/tok")
		}), nil},
		{"embedded listen garbage", embedded(func(c *Config) { c.Embedded.Listen = "4222" }), []string{"nats.embedded.listen"}},
		{"embedded without store dir", Config{}, []string{"nats.embedded.store_dir"}},
		{"embedded replicas", embedded(func(c *Config) { c.Streams.Replicas = 3 }), []string{"nats.streams.replicas"}},
		{"embedded nkey", embedded(func(c *Config) { c.NKeySeedFile = "/x" }), []string{"nats.nkey_seed_file"}},
		{"embedded tls", embedded(func(c *Config) { c.TLS.CAFile = "/x" }), []string{"nats.tls"}},
		{"credentials in url", external(func(c *Config) { c.URL = URLList{"nats://bob:secret@n1:4222"} }), []string{"nats.url[0]"}},
		{"token in url", external(func(c *Config) { c.URL = URLList{"nats://n1:4222", "nats://s3cr3t@n2:4222"} }), []string{"nats.url[1]"}},
		{"bad scheme", external(func(c *Config) { c.URL = URLList{"http://n1:4222"} }), []string{"nats.url[0]"}},
		{"not a url", external(func(c *Config) { c.URL = URLList{"n1"} }), []string{"nats.url[0]"}},
		{"user without password", external(func(c *Config) { c.User = "app" }), []string{"nats.user"}},
		{"password without user", external(func(c *Config) { c.Password = config.SecretFromFile("/x") }), []string{"nats.user"}},
		{"two auth methods", external(func(c *Config) { c.Token = config.SecretFromEnv("T"); c.CredsFile = "/x" }), []string{"nats.user"}},
		{"cert without key", external(func(c *Config) { c.TLS.CertFile = "/c" }), []string{"nats.tls.cert_file"}},
		{"insecure remote", external(func(c *Config) { c.TLS.InsecureSkipVerify = true }), []string{"nats.tls.insecure_skip_verify"}},
		{"insecure loopback", external(func(c *Config) {
			c.URL = URLList{"tls://127.0.0.1:4222", "nats://localhost:4223"}
			c.TLS.InsecureSkipVerify = true
		}), nil},
		{"duplicates not shorter than max age", embedded(func(c *Config) {
			c.Streams.MaxAge = config.Duration(time.Minute)
			c.Streams.Duplicates = config.Duration(time.Minute)
		}),
			[]string{"nats.streams.duplicates", "nats.streams.duplicates", "nats.streams.duplicates", "nats.streams.duplicates"}},
		{"override duplicates", embedded(func(c *Config) {
			c.Streams.Overrides = map[string]StreamLimits{"ALERTS": {MaxAge: config.Duration(time.Minute)}}
		}), []string{"nats.streams.overrides.ALERTS.duplicates"}},
		{"unknown override", embedded(func(c *Config) {
			c.Streams.Overrides = map[string]StreamLimits{"NOPE": {MaxAge: config.Duration(time.Hour)}}
		}), []string{"nats.streams.overrides.NOPE"}},
		{"negative limits", external(func(c *Config) {
			c.Streams = StreamsConfig{MaxAge: -1, MaxBytes: -2, Replicas: 7, Duplicates: -1}
		}), []string{"nats.streams.duplicates", "nats.streams.max_age", "nats.streams.max_bytes", "nats.streams.replicas"}},
		{"raw inline limit too large", embedded(func(c *Config) { c.RawInlineLimit = 1 << 20 }), []string{"nats.raw_inline_limit"}},
		{"bad server name", embedded(func(c *Config) { c.Embedded.ServerName = "a b" }), []string{"nats.embedded.server_name"}},
		{"negative timeouts", embedded(func(c *Config) {
			c.RequestTimeout, c.ConnectTimeout, c.DrainTimeout, c.RequestAttempts = -1, -1, -1, -1
		}), []string{"nats.connect_timeout", "nats.drain_timeout", "nats.request_attempts", "nats.request_timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			got := fieldPaths(err)
			want := slices.Clone(tt.paths)
			slices.Sort(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Validate() paths (-want +got):\n%s\nerror: %v", diff, err)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := Config{User: "u", TLS: TLSConfig{CertFile: "/c"}, RawInlineLimit: -1}
	err := c.Validate()
	if n := len(fieldPaths(err)); n < 4 {
		t.Errorf("Validate() reported %d problems, want at least 4: %v", n, err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "nats.") {
			t.Errorf("Validate() line %q does not start with its path", line)
		}
	}
}

func TestLimits(t *testing.T) {
	s := StreamsConfig{MaxAge: config.Duration(48 * time.Hour), MaxBytes: 1 << 30, Overrides: map[string]StreamLimits{
		"DEADLETTER": {MaxAge: config.Duration(365 * 24 * time.Hour)},
		"INBOUND":    {MaxBytes: 10 << 30, Replicas: 3},
	}}
	tests := []struct {
		stream string
		want   StreamLimits
	}{
		{"VERDICTS", StreamLimits{MaxAge: config.Duration(48 * time.Hour), MaxBytes: 1 << 30, Replicas: 1, Duplicates: config.Duration(20 * time.Minute)}},
		{"DEADLETTER", StreamLimits{MaxAge: config.Duration(365 * 24 * time.Hour), MaxBytes: 1 << 30, Replicas: 1, Duplicates: config.Duration(20 * time.Minute)}},
		{"INBOUND", StreamLimits{MaxAge: config.Duration(48 * time.Hour), MaxBytes: 10 << 30, Replicas: 3, Duplicates: config.Duration(20 * time.Minute)}},
	}
	for _, tt := range tests {
		if got := s.Limits(tt.stream); got != tt.want {
			t.Errorf("Limits(%q) = %+v, want %+v", tt.stream, got, tt.want)
		}
	}
	if got := (StreamsConfig{}).Limits("ALERTS"); got.MaxBytes != -1 || time.Duration(got.MaxAge) != DefaultMaxAge {
		t.Errorf("zero StreamsConfig.Limits(ALERTS) = %+v, want unlimited bytes and the default age", got)
	}
}

func TestConfigYAML(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{"comma string", "url: nats://a:4222, nats://b:4222\n", []string{"nats://a:4222", "nats://b:4222"}},
		{"list", "url:\n  - nats://a:4222\n  - nats://b:4222\n", []string{"nats://a:4222", "nats://b:4222"}},
		{"single", "url: nats://a:4222\n", []string{"nats://a:4222"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Config
			dec := yaml.NewDecoder(strings.NewReader(tt.doc))
			dec.KnownFields(true)
			if err := dec.Decode(&c); err != nil {
				t.Fatalf("yaml Decode(%q) = %v", tt.doc, err)
			}
			c.defaults()
			if diff := cmp.Diff(tt.want, []string(c.URL)); diff != "" {
				t.Errorf("decoded url (-want +got):\n%s", diff)
			}
		})
	}

	full := `
url: nats://n1:4222
user: scamscreen
password: {file: /run/secrets/nats}
tls: {ca_file: /etc/ca.pem, server_name: nats.example}
embedded: {store_dir: /data, listen: "127.0.0.1:4222", sync_always: true}
streams:
  max_age: 720h
  replicas: 3
  overrides:
    DEADLETTER: {max_age: 8760h}
raw_inline_limit: 131072
`
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(full))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("yaml Decode(full) = %v", err)
	}
	if c.Streams.MaxAge != config.Duration(720*time.Hour) || c.Streams.Overrides["DEADLETTER"].MaxAge != config.Duration(8760*time.Hour) || c.Password.Source() != "file /run/secrets/nats" || !c.Embedded.SyncAlways {
		t.Errorf("yaml Decode(full) = %+v, want the document's values", c)
	}
	// An inline password has no field: strict decoding rejects it.
	dec = yaml.NewDecoder(strings.NewReader("password: hunter2\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&Config{}); err == nil {
		t.Errorf("yaml Decode(password: ...) = nil, want an unknown-field error")
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/tok"
	writeFile(t, file, " s3cret\n")
	empty := dir + "/empty"
	writeFile(t, empty, "\n")
	t.Setenv("SCAMSCREEN_TEST_TOKEN", "envtok")
	t.Setenv("SCAMSCREEN_TEST_EMPTY", "")
	tests := []struct {
		name, env, path, want string
		wantErr               bool
	}{
		{name: "file", path: file, want: "s3cret"},
		{name: "env", env: "SCAMSCREEN_TEST_TOKEN", want: "envtok"},
		{name: "unset env", env: "SCAMSCREEN_TEST_UNSET_XYZ", wantErr: true},
		{name: "empty env", env: "SCAMSCREEN_TEST_EMPTY", wantErr: true},
		{name: "missing file", path: dir + "/nope", wantErr: true},
		{name: "empty file", path: empty, wantErr: true},
		{name: "none", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s config.Secret
			switch {
			case tt.env != "":
				s = config.SecretFromEnv(tt.env)
			case tt.path != "":
				s = config.SecretFromFile(tt.path)
			}
			got, err := readSecret("token", s)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("readSecret(%q, %q) = %q, %v, want %q, error %v", tt.env, tt.path, got, err, tt.want, tt.wantErr)
			}
			if err != nil && (strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "envtok")) {
				t.Errorf("readSecret error %q contains the secret", err)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nats://bob:secret@n1:4222", "nats://n1:4222"},
		{"nats://tok3n@n1:4222", "nats://n1:4222"},
		{"tls://n1:4222", "tls://n1:4222"},
		{"%%", "<unparsable url>"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The example configuration documents the duplicate window an operator
// copies; it must not be shorter than the default, which covers the SMS
// replay windows, IMAP reconnect backoff and restarts.
func TestExampleConfigDuplicatesWindow(t *testing.T) {
	if DefaultDuplicates < 20*time.Minute {
		t.Errorf("DefaultDuplicates = %s, want at least 20m: exactly-once holds only inside the window", DefaultDuplicates)
	}
	raw, err := os.ReadFile("../../configs/scamscreen.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		NATS struct {
			Streams struct {
				Duplicates config.Duration `yaml:"duplicates"`
			} `yaml:"streams"`
		} `yaml:"nats"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("yaml.Unmarshal(example) = %v", err)
	}
	if got := time.Duration(doc.NATS.Streams.Duplicates); got < DefaultDuplicates {
		t.Errorf("example nats.streams.duplicates = %s, want at least the default %s", got, DefaultDuplicates)
	}
}
