package screen

import (
	"testing"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/screen/rules"
)

func TestDevoice(t *testing.T) {
	for in, want := range map[string]string{"アマゾソ": "アマソソ", "グーグル": "クークル", "パピプペポ": "ハヒフヘホ", "バビブベボ": "ハヒフヘホ", "ガギグゲゴザジズゼゾダヂデド": "カキクケコサシスセソタチテト", "ドコモ": "トコモ", "ヴ": "ウ"} {
		if got := devoice(in); got != want {
			t.Errorf("devoice(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPostingsInRuleOrder: roles stops at the first posting of a later
// rule, which is right only while every pattern lists its rule postings
// in rule order (brand postings, which name a brand, come after them).
func TestPostingsInRuleOrder(t *testing.T) {
	set, err := rules.LoadFS(configs.Rules, configs.RulesDir, "configs/rules")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range e.patterns {
		last, brands := int32(-1), false
		for _, ps := range p.postings {
			if ps.term == termBrand || ps.term == termBrandDisguise {
				brands = true
				continue
			}
			if brands || ps.rule < last {
				t.Fatalf("pattern %q: postings %+v are not rule postings in rule order, then brands", p.text, p.postings)
			}
			last = ps.rule
		}
	}
}

func TestFoldLiteral(t *testing.T) {
	for in, want := range map[string]string{"zorblax ": "zorblax ", " For ": " for ", "Ａ Ｂ": "a b", "  ": " ", "": "", "円分": "円分", "\tx": " x"} {
		if got := foldLiteral(in); got != want {
			t.Errorf("foldLiteral(%q) = %q, want %q", in, got, want)
		}
	}
}
