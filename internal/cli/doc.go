// Package cli implements scamscreen's subcommands. Each takes its arguments
// and standard streams and returns an exit code, so tests run them
// in-process exactly as a user would.
//
// It is the top of the import graph: it wires the stage libraries, the
// workers and the plumbing together, owns the top-level configuration, and
// is (with cmd/scamscreen) the only code that prints for people.
package cli
