package sms_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/internal/config"
)

// TestExampleConfig keeps the documented example valid.
func TestExampleConfig(t *testing.T) {
	cfg := sms.DefaultConfig()
	if err := config.Load("testdata/sms.example.yaml", &cfg); err != nil {
		t.Fatalf("Load(example) = %v", err)
	}
	if len(cfg.Sources) != 3 || !cfg.Twilio.Enabled() || cfg.Sources[2].Template.Text != "text" {
		t.Errorf("example decoded to %+v", cfg)
	}
}

func TestDefaultConfig(t *testing.T) {
	c := sms.DefaultConfig()
	if c.Listen != "127.0.0.1:8088" || c.MaxBodySize != 64<<10 || c.RequestTimeout.Std().Seconds() != 10 ||
		c.RateLimit != (sms.RateLimit{PerMinute: 60, Burst: 20}) || c.Twilio.Enabled() {
		t.Errorf("DefaultConfig() = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	src := `listen: "localhost"
public_url: "http://sms.example.jp/?x=1"
twilio:
  auth_token: {env: T}
max_body_size: 100
request_timeout: 20s
rate_limit: {per_minute: -1}
sources:
  - name: "a b"
    format: xml
    device_number: Amazon
    auth: {kind: token}
  - name: twilio
    format: template
    auth: {kind: hmac, token: {env: X}, replay_window: 0.5s, signature_header: X-A, timestamp_header: X-A}
    template: {direction: up, text: "a..b"}
  - name: feed
    format: scamscreen
    auth: {kind: bearer, secret: {env: Y}, timestamp_header: X-T}
    template: {text: body}
  - name: feed
    format: smsgateway
    auth: {kind: hmac}
  - format: template
    auth: {kind: bearer, token: {env: Z}}
`
	cfg := sms.DefaultConfig()
	err := config.Decode(strings.NewReader(src), "sms.yaml", &cfg)
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("Decode() = %v, want *config.Error", err)
	}
	var got []string
	for _, p := range ce.Problems {
		got = append(got, p.Path+": "+p.Msg)
	}
	want := []string{
		`listen: want host:port, such as 127.0.0.1:8088`,
		`max_body_size: must be between 1KiB and 512KiB`,
		`public_url: give the base URL only: no query, fragment or user`,
		`rate_limit.per_minute: must be positive`,
		`request_timeout: must leave room in Twilio's 15s limit (at most 10s)`,
		`sources[0].auth.kind: "token" is not hmac or bearer`,
		`sources[0].device_number: not a phone number in E.164 or Japanese national form`,
		`sources[0].format: "xml" is not scamscreen, smsgateway or template`,
		`sources[0].name: use 1-64 characters from A-Z a-z 0-9 _ -`,
		`sources[1].auth.replay_window: must be at least 1s`,
		`sources[1].auth.secret: required for kind hmac`,
		`sources[1].auth.timestamp_header: must differ from signature_header`,
		`sources[1].auth.token: only for kind bearer`,
		`sources[1].name: "twilio" is reserved for the Twilio endpoint`,
		`sources[1].template.direction: "up" is not in or out`,
		`sources[1].template.text: "a..b" is not a field name or dotted path`,
		`sources[2].auth.kind: signature_header, timestamp_header and replay_window are for kind hmac`,
		`sources[2].auth.secret: only for kind hmac`,
		`sources[2].auth.token: required for kind bearer`,
		`sources[2].template: only for format template`,
		`sources[3].auth.secret: required for kind hmac`,
		`sources[3].device_number: required for format smsgateway: the number of the phone it runs on`,
		`sources[3].name: "feed" is also the name of sources[2]`,
		`sources[4].name: required`,
		`sources[4].template.to: set to, or the source's device_number, so incoming messages reach a person`,
	}
	slices.Sort(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	for _, p := range ce.Problems {
		if p.Line == 0 {
			t.Errorf("problem %q has no line", p)
		}
	}
}

func TestConfigTwilioNeedsPublicURL(t *testing.T) {
	c := sms.DefaultConfig()
	c.Twilio.AuthToken = config.SecretFromEnv("T")
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "public_url: required when twilio is enabled") {
		t.Errorf("Validate() = %v, want public_url required", err)
	}
	c.PublicURL = "sms.example.jp"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "public_url: want an absolute") {
		t.Errorf("Validate() = %v, want an absolute URL", err)
	}
}

// TestNewReadsSecrets: New fails on a missing secret, naming where it
// looked and never a value.
func TestNewReadsSecrets(t *testing.T) {
	cfg := testConfig(t)
	cfg.Twilio.AuthToken = config.SecretFromEnv("SCAMSCREEN_TEST_UNSET_TOKEN")
	cfg.Sources[0].Auth.Secret = config.SecretFromFile("/nonexistent/secret")
	_, err := sms.New(cfg, directory(t), &fakePub{}, sms.Options{})
	if err == nil {
		t.Fatal("New() with missing secrets succeeded")
	}
	for _, want := range []string{"twilio.auth_token", "SCAMSCREEN_TEST_UNSET_TOKEN", "sources[0]: auth.secret", "/nonexistent/secret"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("New() = %v, want it to mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), hmacSecret) || strings.Contains(err.Error(), authToken) {
		t.Errorf("New() error %q carries a secret", err)
	}
	spaced := testConfig(t)
	spaced.Twilio.AuthToken = secretFile(t, authToken+" ")
	if _, err := sms.New(spaced, directory(t), &fakePub{}, sms.Options{}); err == nil || !strings.Contains(err.Error(), "letters and digits") || strings.Contains(err.Error(), authToken) {
		t.Errorf("New() with a token with a space = %v, want a letters-and-digits error without the token", err)
	}
	if _, err := sms.New(testConfig(t), nil, &fakePub{}, sms.Options{}); err == nil {
		t.Error("New() without a Directory succeeded")
	}
	bad := testConfig(t)
	bad.TLS = sms.TLSConfig{CertFile: "/nonexistent.pem", KeyFile: "/nonexistent.key"}
	if _, err := sms.New(bad, directory(t), &fakePub{}, sms.Options{}); err == nil || !strings.Contains(err.Error(), "tls") {
		t.Errorf("New() with missing certificate = %v, want a tls error", err)
	}
}

// TestConfigTemplateOutNeedsTo: an outgoing template message names its
// recipient in a field; without one every request would be refused.
func TestConfigTemplateOutNeedsTo(t *testing.T) {
	src := `sources:
  - name: sent
    format: template
    auth: {kind: bearer, token: {env: Z}}
    template: {direction: out}
`
	cfg := sms.DefaultConfig()
	err := config.Decode(strings.NewReader(src), "sms.yaml", &cfg)
	if err == nil || !strings.Contains(err.Error(), "sources[0].template.to: required for direction out") {
		t.Errorf("Decode() = %v, want template.to required", err)
	}
}
