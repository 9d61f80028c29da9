package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen"
)

func runCheck(ctx context.Context, args []string, io Env) int {
	fs := newFlags("check", "[flags] [FILE|DIR|-]...", io)
	var (
		ef        engineFlags
		format    = fs.String("format", "text", "output: text (for people) or json (one object per message)")
		input     = fs.String("input", formatAuto, "input format: auto, eml, jsonl or tsv")
		direction = fs.String("direction", "in", "direction of .eml input and of JSON lines without one: in or out")
		lang      = fs.String("lang", defaultLang(), "language of explanations: ja or en")
	)
	ef.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	for _, err := range []error{oneOf(*format, "text", "json"), oneOf(*input, formatAuto, formatEML, formatJSONL, formatTSV), oneOf(*direction, "in", "out"), checkLang(*lang)} {
		if err != nil {
			fmt.Fprintf(io.Err, "scamscreen check: %v\n", err)
			return ExitUsage
		}
	}
	eng, err := ef.engine(screen.Options{})
	if err != nil {
		fmt.Fprintf(io.Err, "scamscreen check: %v\n", err)
		return ExitError
	}
	out := bufio.NewWriter(io.Out)
	defer out.Flush()
	r := &reader{format: *input, direction: event.Direction(*direction), stdin: io.In}
	failed := 0
	r.read(fs.Args(), func(it item) {
		if ctx.Err() != nil {
			return
		}
		if it.err != nil {
			failed++
			out.Flush()
			fmt.Fprintf(io.Err, "scamscreen check: %s: %v\n", it.where, it.err)
			return
		}
		if it.warn != "" {
			out.Flush()
			fmt.Fprintf(io.Err, "scamscreen check: %s: %s\n", it.where, it.warn)
		}
		v := eng.Screen(it.msg)
		if *format == "json" {
			writeJSONVerdict(out, &v)
		} else {
			writeTextVerdict(out, &v, *lang)
		}
	})
	if ctx.Err() != nil {
		fmt.Fprintln(io.Err, "scamscreen check: interrupted")
		return ExitError
	}
	if failed > 0 {
		out.Flush()
		fmt.Fprintf(io.Err, "scamscreen check: %d input(s) could not be read\n", failed)
		return ExitError
	}
	return ExitOK
}

// jsonVerdict is the output contract of `check --format json` (DESIGN.md):
// id, verdict, score, categories, reasons with rule, category, weight and
// evidence; the other fields are additions.
type jsonVerdict struct {
	ID         string           `json:"id"`
	Verdict    event.Level      `json:"verdict"`
	Score      float64          `json:"score"`
	Categories []event.Category `json:"categories"`
	Reasons    []jsonReason     `json:"reasons"`
	Flags      []event.Flag     `json:"flags,omitempty"`
	Guidance   []string         `json:"guidance,omitempty"`
	RulePacks  []string         `json:"rule_packs"`
}

type jsonReason struct {
	Rule     string          `json:"rule"`
	Category event.Category  `json:"category"`
	Weight   float64         `json:"weight"`
	Evidence string          `json:"evidence"`
	Field    string          `json:"field,omitempty"`
	Start    int             `json:"start"`
	End      int             `json:"end"`
	Explain  event.Explained `json:"explain"`
}

func writeJSONVerdict(w io.Writer, v *event.Verdict) {
	out := jsonVerdict{ID: v.MessageID, Verdict: v.Level, Score: v.Score, Categories: v.Categories,
		Reasons: make([]jsonReason, 0, len(v.Reasons)), Flags: v.Flags, Guidance: v.Guidance, RulePacks: v.RulePacks}
	for _, r := range v.Reasons {
		out.Reasons = append(out.Reasons, jsonReason{Rule: r.Rule, Category: r.Category, Weight: r.Weight,
			Evidence: r.Evidence, Field: r.Field, Start: r.Start, End: r.End, Explain: r.Explain})
	}
	b, _ := json.Marshal(out)
	w.Write(append(b, '\n'))
}

func writeTextVerdict(w io.Writer, v *event.Verdict, lang string) {
	mark := map[event.Level]string{event.LevelClean: "clean", event.LevelSuspicious: "SUSPICIOUS", event.LevelScam: "SCAM"}[v.Level]
	fmt.Fprintf(w, "%s: %s (score %.1f)", v.MessageID, mark, v.Score)
	if len(v.Categories) > 0 {
		cats := make([]string, len(v.Categories))
		for i, c := range v.Categories {
			cats[i] = string(c)
		}
		fmt.Fprintf(w, " [%s]", strings.Join(cats, ", "))
	}
	fmt.Fprintln(w)
	for _, r := range v.Reasons {
		fmt.Fprintf(w, "  %+.1f %-32s %s\n", r.Weight, r.Rule, r.Explain.In(lang))
		if r.Evidence != "" {
			fmt.Fprintf(w, "       %s: 「%s」\n", r.Field, oneLine(r.Evidence, 100))
		}
	}
}

// oneLine shows s on one line, cut at n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
