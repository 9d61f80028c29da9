// Package configs holds the files scamscreen ships with: the rule packs
// (rules/*.yaml, embedded into the binary so `scamscreen check` works with
// nothing else installed) and the documented example configuration.
//
// Operators who change rules point --rules (or screening.rules in the
// configuration) at a directory of their own; the embedded packs are the
// default.
package configs

import "embed"

// Rules is the directory of shipped rule packs, under "rules".
//
//go:embed rules/*.yaml
var Rules embed.FS

// RulesDir is the directory inside Rules.
const RulesDir = "rules"
