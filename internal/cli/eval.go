package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen"
)

// corpusCategory maps category names used by corpora to the product's.
func corpusCategory(c string) event.Category {
	if c == "phishing" {
		return event.CategoryPhishingLink
	}
	return event.Category(c)
}

type evalReport struct {
	RulePacks  []string       `json:"rule_packs"`
	FlagAt     string         `json:"flag_at"`
	Overall    evalCounts     `json:"overall"`
	Categories []evalCategory `json:"categories"`
	Rules      []evalRule     `json:"rules"`
	Misses     []string       `json:"misses"`          // scam lines not flagged
	FalsePos   []string       `json:"false_positives"` // ham lines flagged
	WrongCat   []string       `json:"wrong_category"`  // flagged scam lines without their labelled category
	Errors     int            `json:"input_errors"`
}

type evalCounts struct {
	Scam            int     `json:"scam"`
	Ham             int     `json:"ham"`
	ScamFlagged     int     `json:"scam_flagged"`
	HamFlagged      int     `json:"ham_flagged"`
	Recall          float64 `json:"recall"`
	FalsePosRate    float64 `json:"false_positive_rate"`
	Precision       float64 `json:"precision"`
	CategoryCarried int     `json:"category_carried,omitempty"`
}

type evalCategory struct {
	Category     event.Category `json:"category"`
	Scam         int            `json:"scam"`          // scam lines labelled with it
	Flagged      int            `json:"flagged"`       // ... flagged
	Carried      int            `json:"carried"`       // ... flagged and naming it
	Named        int            `json:"named"`         // flagged lines naming it
	NamedCorrect int            `json:"named_correct"` // ... labelled with it
	NamedHam     int            `json:"named_ham"`     // ham lines flagged naming it
	Recall       float64        `json:"recall"`
	Precision    float64        `json:"precision"`
}

type evalRule struct {
	Rule     string         `json:"rule"`
	Category event.Category `json:"category"`
	Weight   float64        `json:"weight"`
	Scam     int            `json:"scam_hits"`
	Ham      int            `json:"ham_hits"`
	SO       float64        `json:"s_o"` // scam hits / all hits (SpamAssassin's S/O)
}

func runEval(ctx context.Context, args []string, io Env) int {
	fs := newFlags("eval", "[flags] FILE...", io)
	var (
		ef     engineFlags
		format = fs.String("format", "text", "output: text or json")
		input  = fs.String("input", formatAuto, "input format: auto, jsonl or tsv (label<TAB>text)")
		flagAt = fs.String("flag-at", "suspicious", "lowest verdict that counts as flagged: suspicious or scam")
		list   = fs.Int("list", 50, "list at most this many ids per kind of mistake (text output)")
	)
	ef.register(fs)
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	for _, err := range []error{oneOf(*format, "text", "json"), oneOf(*input, formatAuto, formatJSONL, formatTSV), oneOf(*flagAt, "suspicious", "scam")} {
		if err != nil {
			fmt.Fprintf(io.Err, "scamscreen eval: %v\n", err)
			return ExitUsage
		}
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return ExitUsage
	}
	eng, err := ef.engine(screen.Options{})
	if err != nil {
		fmt.Fprintf(io.Err, "scamscreen eval: %v\n", err)
		return ExitError
	}
	threshold := event.LevelSuspicious
	if *flagAt == "scam" {
		threshold = event.LevelScam
	}
	rep := evalReport{RulePacks: eng.RulePacks(), FlagAt: *flagAt}
	cats := map[event.Category]*evalCategory{}
	cat := func(c event.Category) *evalCategory {
		if cats[c] == nil {
			cats[c] = &evalCategory{Category: c}
		}
		return cats[c]
	}
	ruleHits := map[string]*evalRule{}
	for _, r := range eng.Rules() {
		ruleHits[r.ID] = &evalRule{Rule: r.ID, Category: r.Category, Weight: r.Weight}
	}
	r := &reader{format: *input, direction: event.DirectionIn, stdin: io.In}
	r.read(fs.Args(), func(it item) {
		if ctx.Err() != nil {
			return
		}
		if it.err != nil {
			rep.Errors++
			fmt.Fprintf(io.Err, "scamscreen eval: %s: %v\n", it.where, it.err)
			return
		}
		if it.label != "scam" && it.label != "ham" {
			rep.Errors++
			fmt.Fprintf(io.Err, "scamscreen eval: %s: label %q: want scam or ham\n", it.where, it.label)
			return
		}
		v := eng.Screen(it.msg)
		flagged := v.Level >= threshold
		scam := it.label == "scam"
		for _, rs := range v.Reasons {
			if h := ruleHits[rs.Rule]; h != nil {
				if scam {
					h.Scam++
				} else {
					h.Ham++
				}
			}
		}
		if flagged {
			for _, c := range v.Categories {
				e := cat(c)
				e.Named++
				if !scam {
					e.NamedHam++
				}
			}
		}
		if !scam {
			rep.Overall.Ham++
			if flagged {
				rep.Overall.HamFlagged++
				rep.FalsePos = append(rep.FalsePos, it.msg.ID)
			}
			return
		}
		rep.Overall.Scam++
		if flagged {
			rep.Overall.ScamFlagged++
		} else {
			rep.Misses = append(rep.Misses, it.msg.ID)
		}
		carriedAll := true
		for _, name := range it.cats {
			c := corpusCategory(name)
			e := cat(c)
			e.Scam++
			if flagged {
				e.Flagged++
				if v.Has(c) {
					e.Carried++
				} else {
					carriedAll = false
				}
			}
		}
		for _, c := range v.Categories {
			for _, name := range it.cats {
				if corpusCategory(name) == c && flagged {
					cat(c).NamedCorrect++
				}
			}
		}
		if flagged && carriedAll {
			rep.Overall.CategoryCarried++
		}
		if flagged && !carriedAll {
			rep.WrongCat = append(rep.WrongCat, it.msg.ID)
		}
	})
	o := &rep.Overall
	o.Recall = ratio(o.ScamFlagged, o.Scam)
	o.FalsePosRate = ratio(o.HamFlagged, o.Ham)
	o.Precision = ratio(o.ScamFlagged, o.ScamFlagged+o.HamFlagged)
	for _, c := range event.Categories {
		if e := cats[c]; e != nil {
			e.Recall = ratio(e.Flagged, e.Scam)
			e.Precision = ratio(e.NamedCorrect, e.Named)
			rep.Categories = append(rep.Categories, *e)
		}
	}
	for _, h := range ruleHits {
		if h.Scam+h.Ham > 0 {
			h.SO = ratio(h.Scam, h.Scam+h.Ham)
			rep.Rules = append(rep.Rules, *h)
		}
	}
	sort.Slice(rep.Rules, func(i, j int) bool {
		a, b := rep.Rules[i], rep.Rules[j]
		if a.Scam+a.Ham != b.Scam+b.Ham {
			return a.Scam+a.Ham > b.Scam+b.Ham
		}
		return a.Rule < b.Rule
	})
	if *format == "json" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Fprintln(io.Out, string(b))
	} else {
		printEval(io, &rep, *list)
	}
	if rep.Errors > 0 || ctx.Err() != nil {
		return ExitError
	}
	return ExitOK
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(int(float64(a)/float64(b)*10000+0.5)) / 10000
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

func printEval(io Env, rep *evalReport, list int) {
	o := rep.Overall
	fmt.Fprintf(io.Out, "rule packs: %s\nflagged at: %s or worse\n\n", strings.Join(rep.RulePacks, ", "), rep.FlagAt)
	fmt.Fprintf(io.Out, "scam  %5d lines, %5d flagged: recall %s", o.Scam, o.ScamFlagged, pct(o.Recall))
	if o.Scam > 0 {
		fmt.Fprintf(io.Out, "; labelled categories carried by %d of %d flagged", o.CategoryCarried, o.ScamFlagged)
	}
	fmt.Fprintf(io.Out, "\nham   %5d lines, %5d flagged: false-positive rate %s\nprecision %s\n\n", o.Ham, o.HamFlagged, pct(o.FalsePosRate), pct(o.Precision))
	if len(rep.Categories) > 0 {
		tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "category\tscam\tflagged\trecall\tcarried\tnamed\tcorrect\ton ham\tprecision\t")
		for _, c := range rep.Categories {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t\n", c.Category, c.Scam, c.Flagged, pct(c.Recall), c.Carried, c.Named, c.NamedCorrect, c.NamedHam, pct(c.Precision))
		}
		tw.Flush()
		fmt.Fprintln(io.Out)
	}
	tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rule\tcategory\tweight\tscam hits\tham hits\tS/O")
	for _, r := range rep.Rules {
		fmt.Fprintf(tw, "%s\t%s\t%+.1f\t%d\t%d\t%.2f\n", r.Rule, r.Category, r.Weight, r.Scam, r.Ham, r.SO)
	}
	tw.Flush()
	for _, l := range []struct {
		name string
		ids  []string
	}{{"missed scam", rep.Misses}, {"false positives", rep.FalsePos}, {"flagged without the labelled category", rep.WrongCat}} {
		if len(l.ids) == 0 {
			continue
		}
		ids := l.ids
		more := ""
		if len(ids) > list {
			more = fmt.Sprintf(" … and %d more (use -format json for all)", len(ids)-list)
			ids = ids[:list]
		}
		fmt.Fprintf(io.Out, "\n%s (%d): %s%s\n", l.name, len(l.ids), strings.Join(ids, " "), more)
	}
}
