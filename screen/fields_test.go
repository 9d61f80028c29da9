package screen_test

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

// TestRuleFieldsBoundEvidence: a keyword shared by two rules is recorded
// once; a rule limited to the text must not quote the hit of that keyword
// in the subject, which only the other rule reads.
func TestRuleFieldsBoundEvidence(t *testing.T) {
	e := engineWithPack(t, `pack: tt
version: "1"
language: en
description: field-bound rules
rules:
  - id: tt.anywhere
    category: unpaid_bill
    weight: 1
    explain: {ja: テスト, en: test}
    all: [[zorblax]]
    match: [a zorblax]
  - id: tt.text_only
    category: unpaid_bill
    weight: 1
    fields: [text]
    explain: {ja: テスト, en: test}
    all: [[zorblax], [quintor]]
    match: [a zorblax and a quintor]
`)
	v := e.Screen(&event.Message{ID: "f", Channel: event.ChannelEmail, Direction: event.DirectionIn,
		Subject: "zorblax", Text: "a zorblax and a quintor"})
	var found bool
	for _, r := range v.Reasons {
		if r.Rule != "tt.text_only" {
			continue
		}
		found = true
		if r.Field != "text" {
			t.Errorf("tt.text_only quotes %q from the %s; it reads only the text", r.Evidence, r.Field)
		}
	}
	if !found {
		t.Fatalf("tt.text_only did not fire: %+v", v.Reasons)
	}
}

// engineWithPack returns an engine of the shipped brands and core packs
// and the pack given as YAML.
func engineWithPack(t testing.TB, pack string) *screen.Engine {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"brands.yaml", "core.yaml"} {
		data, err := fs.ReadFile(configs.Rules, "rules/"+name)
		if err != nil {
			t.Fatal(err)
		}
		fsys["rules/"+name] = &fstest.MapFile{Data: data}
	}
	fsys["rules/tt.yaml"] = &fstest.MapFile{Data: []byte(pack)}
	set, err := rules.LoadFS(fsys, "rules", "rules")
	if err != nil {
		t.Fatal(err)
	}
	e, err := screen.New(set, screen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}
