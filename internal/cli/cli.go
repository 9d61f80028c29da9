package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Env is what a command gets from the process: the standard streams, and
// reload requests (SIGHUP, which only main may catch).
type Env struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// Reload receives a value for each SIGHUP; nil when the process does
	// not forward them (tests).
	Reload <-chan struct{}
}

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed, or some input could not be read
	ExitUsage = 2 // bad flags or arguments
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, io Env) int
}

func commands() []command {
	return []command{
		{"demo", "the whole pipeline on bundled samples, embedded NATS; prints each verdict", runDemo},
		{"run", "run the configured stages (all by default) against NATS JetStream", runRun},
		{"config", "`config check FILE` validates a configuration file", runConfig},
		{"check", "screen .eml files or JSON Lines without NATS and print verdicts", runCheck},
		{"eval", "measure rule packs on a labelled corpus (recall, false positives, per-rule hits)", runEval},
		{"rules", "rule-pack tools: `rules test [DIR]` runs every rule's own examples", runRules},
		{"loadgen", "publish synthetic messages and measure ingest → verdict throughput and latency", runLoadgen},
		{"version", "print the engine version and the rule packs", runVersion},
	}
}

// Main runs the subcommand named by args[0].
func Main(ctx context.Context, args []string, io Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(io.Err)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], io)
		}
	}
	fmt.Fprintf(io.Err, "scamscreen: unknown command %q\n\n", args[0])
	usage(io.Err)
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "scamscreen screens e-mail and SMS for gift-card fraud lures.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: scamscreen <command> [flags] [arguments]")
	fmt.Fprintln(w)
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `scamscreen <command> -h` for a command's flags.")
}

// newFlags returns a flag set that reports errors to io.Err and does not
// exit.
func newFlags(name, synopsis string, io Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Err)
	fs.Usage = func() {
		fmt.Fprintf(io.Err, "Usage: scamscreen %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; it returns an exit code and false when the
// command must stop (help asked, or bad flags).
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK, false
		}
		return ExitUsage, false
	}
	return 0, true
}

func oneOf(v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
}
