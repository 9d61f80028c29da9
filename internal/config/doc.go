// Package config holds the tools every scamscreen configuration is built
// from: strict YAML decoding that reports every problem at once with its line,
// a collector for validation problems keyed by field path, and the value types
// configs share (Secret, Duration, ByteSize).
//
// It exists so that each package can own its Config struct, defaults and
// Validate method (the alertmanager split between config and config/common)
// while decoding, secret handling and error reporting behave the same
// everywhere. internal/cli composes the packages' configs into the top-level
// struct and calls [Load].
//
// Imports: the standard library and go.yaml.in/yaml/v3 only. It is a leaf: it
// never imports a stage or any other scamscreen package, so every package may
// import it.
//
// Invariants:
//   - Decoding is strict: an unknown key, a wrong type, an empty file or a
//     second YAML document is an error, and all decode errors of a file are
//     reported together, each with its line.
//   - A [Secret] holds only where the secret lives (an environment variable or
//     a file), never its value, and prints as "<secret>" in every format. Its
//     value is read by [Secret.Resolve] when needed and is never part of an
//     error.
//   - Paths in problems use YAML key names, not Go field names:
//     households[0].people[1].phones[0].
//
// How a package writes its Config:
//
//	type Config struct {
//		From    string          `yaml:"from"`
//		Token   config.Secret   `yaml:"token"`
//		Timeout config.Duration `yaml:"timeout"`
//	}
//
//	func (c *Config) Validate() error {
//		var p config.Problems
//		if c.From == "" {
//			p.Add("from", "required")
//		}
//		if !c.Token.IsSet() {
//			p.Add("token", "required")
//		}
//		return p.Err()
//	}
//
// Defaults are applied by filling the struct before decoding; keys absent
// from the file keep them. Do not give config structs an UnmarshalYAML method
// that decodes through a yaml.Node: yaml.v3 decodes nodes without the
// known-fields check, so unknown keys below that point would be ignored.
// Scalar types with their own syntax implement UnmarshalYAML and report bad
// values with [NodeError], so their errors carry a line and are collected
// with the rest. A type that only implements encoding.TextUnmarshaler (such
// as event.Level) still works, but yaml.v3 stops at its first bad value and
// reports it without a line.
package config
