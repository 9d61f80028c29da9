package cli

import (
	"context"
	"fmt"

	"github.com/scamscreen/scamscreen/screen"
)

func runRules(ctx context.Context, args []string, io Env) int {
	if len(args) == 0 || args[0] != "test" {
		fmt.Fprintln(io.Err, "Usage: scamscreen rules test [DIR]\n\nRuns every rule's match: and no_match: examples (DIR defaults to the built-in packs).")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return ExitOK
		}
		return ExitUsage
	}
	fs := newFlags("rules test", "[DIR]", io)
	if code, ok := parseFlags(fs, args[1:]); !ok {
		return code
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return ExitUsage
	}
	dir := fs.Arg(0)
	set, err := loadRules(dir)
	if err != nil {
		fmt.Fprintf(io.Err, "scamscreen rules test: %v\n", err)
		return ExitError
	}
	eng, err := screen.New(set, screen.Options{})
	if err != nil {
		fmt.Fprintf(io.Err, "scamscreen rules test: %v\n", err)
		return ExitError
	}
	failures, n := eng.CheckExamples()
	for _, f := range failures {
		fmt.Fprintln(io.Out, "FAIL", f)
	}
	st := eng.Stats()
	fmt.Fprintf(io.Out, "%d rules in %d packs (%s), %d keywords: %d examples, %d failed\n",
		st.Rules, len(set.Packs), joinRefs(set.Refs()), st.Patterns, n, len(failures))
	if len(failures) > 0 {
		return ExitError
	}
	return ExitOK
}

func joinRefs(refs []string) string {
	s := ""
	for i, r := range refs {
		if i > 0 {
			s += ", "
		}
		s += r
	}
	return s
}

func runVersion(ctx context.Context, args []string, io Env) int {
	set, err := loadRules("")
	if err != nil {
		fmt.Fprintf(io.Err, "scamscreen version: %v\n", err)
		return ExitError
	}
	fmt.Fprintf(io.Out, "scamscreen engine %s\nrule packs: %s\n", screen.Version, joinRefs(set.Refs()))
	return ExitOK
}
