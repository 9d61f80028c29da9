package rules_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/screen/rules"
)

const brands = `brands:
  - name: Amazon
    kind: ecommerce
    domains: [amazon.co.jp]
    tokens: [amazon]
    names: [Amazon]
`

const goodRule = `
  - id: t.gift
    category: gift_card_demand
    weight: 5
    explain: {ja: ギフト券を求めています, en: It asks for gift cards}
    any: [ギフト券]
    match: [ギフト券を買って]
`

func load(t *testing.T, files map[string]string) (*rules.Set, error) {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys["rules/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	return rules.LoadFS(fsys, "rules", "rules")
}

// TestLoadErrors has one mistake per case and checks the message names it
// with file and line.
func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		pack string
		want []string
	}{
		{"unknown key", "pack: tp\nversion: \"1\"\nrules:" + goodRule + "    colour: red\n", []string{"t.yaml", "colour"}},
		{"bad category", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "gift_card_demand", "lottery", 1), []string{"t.yaml:4", "t.gift", `category "lottery"`}},
		{"zero weight", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "weight: 5", "weight: 0", 1), []string{"weight 0"}},
		{"no explanation", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "en: It asks for gift cards", "en: \"\"", 1), []string{"explain needs both ja and en"}},
		{"no kind", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "any: [ギフト券]", "", 1), []string{"needs any/all keywords, a regex, or an analyzer"}},
		{"unknown set", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "any: [ギフト券]", "any: $nope", 1), []string{"unknown set $nope"}},
		{"short keyword", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "any: [ギフト券]", "any: [券]", 1), []string{`keyword "券"`, "too short"}},
		{"regex without prefilter", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "any: [ギフト券]", "regex: '\\d+円'", 1), []string{"needs prefilter"}},
		{"bad regex", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "any: [ギフト券]", "regex: '(['\n    prefilter: [円分]", 1), []string{"regex:"}},
		{"no examples", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "    match: [ギフト券を買って]\n", "", 1), []string{"needs at least one match"}},
		{"duplicate id", "pack: tp\nversion: \"1\"\nrules:" + goodRule + goodRule, []string{"rule id t.gift is also used at line 4"}},
		{"no version", "pack: tp\nrules:" + goodRule, []string{"has no version"}},
		{"bad direction", "pack: tp\nversion: \"1\"\nrules:" + goodRule + "    direction: sideways\n", []string{`direction "sideways"`}},
		{"wrong type", "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "weight: 5", "weight: heavy", 1), []string{"line 6", "heavy"}},
		{"empty", "", []string{"empty file"}},
		{"two documents", "pack: tp\nversion: \"1\"\nrules:" + goodRule + "---\npack: u\n", []string{"more than one YAML document"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, map[string]string{"t.yaml": tc.pack, "brands.yaml": brands})
			if err == nil {
				t.Fatal("LoadFS succeeded")
			}
			var le *rules.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("LoadFS error %T is not a *LoadError", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadFS error\n%v\ndoes not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	bad := "pack: tp\nversion: \"1\"\nrules:" + strings.Replace(goodRule, "weight: 5", "weight: 0", 1) +
		strings.Replace(strings.Replace(goodRule, "t.gift", "t.other", 1), "gift_card_demand", "nope", 1)
	_, err := load(t, map[string]string{"t.yaml": bad, "brands.yaml": brands})
	var le *rules.LoadError
	if !errors.As(err, &le) || len(le.Problems) != 2 {
		t.Fatalf("LoadFS = %v, want two problems", err)
	}
}

func TestLoadNeedsBrands(t *testing.T) {
	_, err := load(t, map[string]string{"t.yaml": "pack: tp\nversion: \"1\"\nrules:" + goodRule})
	if err == nil || !strings.Contains(err.Error(), "brands.yaml is missing") {
		t.Fatalf("LoadFS without brands = %v", err)
	}
}

func TestLoadDirAndRefs(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"t.yaml": "pack: tp\nversion: \"1\"\nrules:" + goodRule, "brands.yaml": brands, "README.txt": "ignored"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := rules.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	refs := set.Refs()
	if len(refs) != 1 || !strings.HasPrefix(refs[0], "tp@1+") {
		t.Errorf("Refs() = %v", refs)
	}
	r := set.Rules()[0]
	if r.Line != 4 || r.Pack != "tp" {
		t.Errorf("rule line/pack = %d/%q, want 4/tp", r.Line, r.Pack)
	}
	// An edit without a version bump still changes the reference.
	os.WriteFile(filepath.Join(dir, "t.yaml"), []byte("pack: tp\nversion: \"1\"\nrules:"+strings.Replace(goodRule, "weight: 5", "weight: 4", 1)), 0o644)
	set2, err := rules.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if set2.Refs()[0] == refs[0] {
		t.Error("an edited pack kept its reference")
	}
}

func TestShippedPacksLoad(t *testing.T) {
	set, err := rules.LoadFS(configs.Rules, configs.RulesDir, "configs/rules")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, p := range set.Packs {
		names[p.Name] = true
	}
	for _, want := range []string{"core", "ja", "en"} {
		if !names[want] {
			t.Errorf("shipped packs lack %q", want)
		}
	}
}

func FuzzParsePack(f *testing.F) {
	f.Add([]byte("pack: tp\nversion: \"1\"\nrules:" + goodRule))
	f.Add([]byte("pack: tp\nrules: [{id: x, all: [[a], $b]}]"))
	f.Add([]byte("rules:\n  - match: [{text: 1}]\n"))
	if b, err := configs.Rules.ReadFile("rules/ja.yaml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, problems := rules.ParsePack(data, "fuzz.yaml")
		if p == nil && len(problems) == 0 {
			t.Fatal("no pack and no problem")
		}
	})
}
