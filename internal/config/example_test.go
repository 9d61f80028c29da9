package config_test

import (
	"fmt"
	"strings"

	"github.com/scamscreen/scamscreen/internal/config"
)

// TwilioConfig is how a package writes its Config: YAML keys, shared value
// types, defaults applied before decoding, and a Validate that reports every
// problem at once.
type TwilioConfig struct {
	From      string          `yaml:"from"`
	AuthToken config.Secret   `yaml:"auth_token"`
	Timeout   config.Duration `yaml:"timeout"`
	Numbers   []string        `yaml:"numbers"`
}

func (c *TwilioConfig) Validate() error {
	var p config.Problems
	if c.From == "" {
		p.Add("from", "required")
	}
	if !c.AuthToken.IsSet() {
		p.Add("auth_token", "required")
	}
	for i, n := range c.Numbers {
		if !strings.HasPrefix(n, "+") {
			p.At("numbers", i).Add("", "%q is not in E.164 form", n)
		}
	}
	return p.Err()
}

func ExampleDecode() {
	src := `from: "+815012345678"
auth_token: {env: TWILIO_AUTH_TOKEN}
timeout: 10s
numbers:
  - "+819012345678"
  - "09012345678"
`
	cfg := TwilioConfig{Timeout: config.Duration(30e9)} // defaults first
	err := config.Decode(strings.NewReader(src), "scamscreen.yaml", &cfg)
	fmt.Println(err)
	fmt.Println(cfg.Timeout, cfg.AuthToken)
	// Output:
	// scamscreen.yaml: line 6: numbers[1]: "09012345678" is not in E.164 form
	// 10s <secret>
}

func ExampleDecode_unknownKeys() {
	src := `form: "+815012345678"
auth_token: hunter2
timeout: 10 seconds
`
	err := config.Decode(strings.NewReader(src), "scamscreen.yaml", &TwilioConfig{})
	fmt.Println(err)
	// Output:
	// scamscreen.yaml: line 1: form: unknown key "form"
	// scamscreen.yaml: line 2: auth_token: a secret is never written in the config: write {env: NAME} or {file: /path}, and put the value in that variable or file
	// scamscreen.yaml: line 3: timeout: invalid duration "10 seconds": unknown unit " seconds" (ns, us, ms, s, m, h, d or w)
}
