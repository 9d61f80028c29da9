// Package match finds every occurrence of many byte patterns in one pass: an
// Aho–Corasick automaton compiled to a dense DFA over byte classes.
//
// The screening engine folds each message (package normalize) and scans it
// once for all keywords of all rule packs, so the cost of a message does not
// grow with the number of rules. Matches overlap ("ギフト" and "ギフト券" both
// report), and scanning appends to a caller-owned slice, so a scan allocates
// nothing once that slice has grown. An Automaton is immutable and safe for
// concurrent use.
//
// Why not a library: the Go ports of Aho–Corasick either report only
// non-overlapping leftmost matches, or return a heap-allocated match per
// hit from their overlapping iterator; on the hot path of every message
// both are wrong for us. This package is small and has its own fuzz test
// against a naive search.
package match
