package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxSecretFile bounds how much of a secret file is read.
const maxSecretFile = 64 << 10

// redacted is what a set Secret prints as.
const redacted = "<secret>"

// Secret is a credential that comes from an environment variable or a file,
// never from the configuration itself. In YAML it is written as
//
//	token: {env: TWILIO_AUTH_TOKEN}
//	token: {file: /run/secrets/twilio_auth_token}
//
// A Secret holds only where the value lives; [Secret.Resolve] reads the value
// each time it is called, so a rotated file is picked up. Because the value
// is never stored, no way of printing a config (fmt verbs, JSON, YAML,
// reflection) can reveal it, and every printing method says "<secret>"
// anyway. The zero Secret is unset.
type Secret struct {
	env  string
	file string
}

// SecretFromEnv returns a Secret read from the environment variable name.
func SecretFromEnv(name string) Secret { return Secret{env: name} }

// SecretFromFile returns a Secret read from the file at path.
func SecretFromFile(path string) Secret { return Secret{file: path} }

// IsSet reports whether s names a source. It does not check that the source
// exists; [Secret.Resolve] does.
func (s Secret) IsSet() bool { return s.env != "" || s.file != "" }

// Source describes where s comes from ("env NAME" or "file PATH"), or ""
// when s is unset. It never contains the value, so it is safe to log.
func (s Secret) Source() string {
	switch {
	case s.env != "":
		return "env " + s.env
	case s.file != "":
		return "file " + s.file
	}
	return ""
}

// Resolve reads the secret's value: the environment variable, or the file's
// contents with one trailing newline removed. It fails when s is unset, the
// variable is not set, the file cannot be read, or the value is empty. Errors
// name the variable or file, never the value.
func (s Secret) Resolve() (string, error) {
	switch {
	case s.env != "":
		v, ok := os.LookupEnv(s.env)
		if !ok {
			return "", fmt.Errorf("secret: environment variable %s is not set", s.env)
		}
		if v == "" {
			return "", fmt.Errorf("secret: environment variable %s is empty", s.env)
		}
		return v, nil
	case s.file != "":
		v, err := readSecretFile(s.file)
		if err != nil {
			return "", fmt.Errorf("secret: %w", err)
		}
		return v, nil
	}
	return "", errors.New("secret: not set")
}

func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("file %s is larger than %s", path, ByteSize(maxSecretFile))
	}
	v := string(b)
	if strings.HasSuffix(v, "\r\n") {
		v = v[:len(v)-2]
	} else {
		v = strings.TrimSuffix(v, "\n")
	}
	if v == "" {
		return "", fmt.Errorf("file %s is empty", path)
	}
	return v, nil
}

// String returns "<secret>", or "<unset>" for an unset Secret.
func (s Secret) String() string {
	if !s.IsSet() {
		return "<unset>"
	}
	return redacted
}

// GoString returns the same as String, so %#v does not show the source.
func (s Secret) GoString() string { return s.String() }

// Format makes every fmt verb print the same as String.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// MarshalJSON encodes s as "<secret>", or null when unset.
func (s Secret) MarshalJSON() ([]byte, error) {
	if !s.IsSet() {
		return []byte("null"), nil
	}
	return []byte(`"` + redacted + `"`), nil
}

// MarshalText returns "<secret>", or nothing when unset.
func (s Secret) MarshalText() ([]byte, error) {
	if !s.IsSet() {
		return nil, nil
	}
	return []byte(redacted), nil
}

// MarshalYAML encodes s as "<secret>", or null when unset. A dumped config
// therefore does not load again until its secrets are written back.
func (s Secret) MarshalYAML() (any, error) {
	if !s.IsSet() {
		return nil, nil
	}
	return redacted, nil
}

const secretForms = "write {env: NAME} or {file: /path}"

// UnmarshalYAML reads {env: NAME} or {file: /path}. Anything else is
// rejected without echoing it, since it may be the secret itself.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return NodeError(n, "a secret is never written in the config: %s, and put the value in that variable or file", secretForms)
	}
	var env, file *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var dst **yaml.Node
		switch k.Value {
		case "env":
			dst = &env
		case "file":
			dst = &file
		default:
			if !bareKey(k.Value) {
				return NodeError(n, "unknown key in secret; %s", secretForms)
			}
			return NodeError(n, "unknown key %q in secret; %s", k.Value, secretForms)
		}
		if *dst != nil {
			return NodeError(n, "key %q appears more than once in secret", k.Value)
		}
		if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" || v.Value == "" {
			return NodeError(n, "secret %s: want a non-empty name", k.Value)
		}
		*dst = v
	}
	switch {
	case env != nil && file != nil:
		return NodeError(n, "secret has both env and file; %s", secretForms)
	case env != nil:
		if !validEnvName(env.Value) {
			return NodeError(n, "secret env: not a valid environment variable name (letters, digits and _, not starting with a digit)")
		}
		*s = Secret{env: env.Value}
	case file != nil:
		*s = Secret{file: file.Value}
	default:
		return NodeError(n, "secret names no source; %s", secretForms)
	}
	return nil
}

func validEnvName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return name != ""
}
