// Package rules defines scamscreen's rule packs, the YAML files under
// configs/rules that say what a lure looks like, and loads and checks them.
//
// A pack is versioned data: rules with an id, a category, a weight, a
// plain-language explanation in Japanese and English, and their own examples
// that must match and must not. Rule kinds:
//
//   - keyword rules: `any:` (one set of alternatives) or `all:` (an AND of
//     such sets), optionally within a proximity window of `within`
//     characters, and `unless:` keywords that veto the rule's keywords
//     within 30 characters of them (a warning quoted elsewhere in a lure
//     does not silence the rule);
//   - regular-expression rules: `regex:` with the literal `prefilter:`
//     keywords that must occur before the expression is tried, optionally
//     with `any:`/`all:` keywords that must occur as well. Every match
//     should contain a prefilter keyword: an expression whose matches are
//     bounded in length (no `*`, `+` or open `{n,}`) is tried only near the
//     prefilter's hits, which keeps long mails cheap;
//   - analyser rules: `analyzer:` gives a weight, category and explanation to
//     a signal of a built-in analyser (look-alike domains, sender mismatch,
//     call-back numbers, gift-card codes).
//
// Named keyword sets (`sets:`) are shared by the rules of a pack and
// referenced as `$name`. Keywords are written as people write them; the
// engine folds them (package normalize) exactly as it folds messages.
//
// This package only parses and validates; package screen compiles a [Set]
// into an engine. A Set is immutable once loaded: a new rule pack means a
// new Set and a new engine, which is how rules reload without a restart.
package rules
