// Package archtest holds tests that enforce scamscreen's architecture:
// package docs, and who may import whom. It has no code of its own.
package archtest

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/scamscreen/scamscreen"

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Deps       []string
	Imports    []string
}

func list(t *testing.T, patterns ...string) []pkg {
	t.Helper()
	args := append([]string{"list", "-json", "-deps=false"}, patterns...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestPackageDocs requires every package to say why it exists, in exactly
// one file.
func TestPackageDocs(t *testing.T) {
	for _, p := range list(t, module+"/...") {
		if len(p.GoFiles) == 0 {
			continue
		}
		docs := 0
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(token.NewFileSet(), filepath.Join(p.Dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil && strings.TrimSpace(af.Doc.Text()) != "" {
				docs++
			}
		}
		if docs != 1 {
			t.Errorf("package %s has %d package doc comments, want 1", p.ImportPath, docs)
		}
	}
}

// TestEngineLinksNoNATS proves the screening engine is a pure library: it,
// and every package it pulls in, links neither nats.go nor nats-server.
func TestEngineLinksNoNATS(t *testing.T) {
	engine := []string{module + "/screen", module + "/screen/normalize", module + "/screen/match", module + "/screen/rules",
		module + "/screen/urls", module + "/screen/sender", module + "/screen/phone", module + "/screen/giftcode", module + "/ingest/mailparse", module + "/event"}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, engine...)...).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		// net/http comes in through x/net/publicsuffix (for cookiejar's interface
		// type); it opens no connection. NATS, Twilio and logging must not.
		for _, banned := range []string{"github.com/nats-io/", "go.uber.org/zap", "github.com/twilio/"} {
			if strings.HasPrefix(dep, banned) {
				t.Errorf("the engine links %s: it must stay a pure library", dep)
			}
		}
	}
}

// TestStagesDoNotImportEachOther keeps ingest, screen and notify apart:
// they share only event and the bus.
func TestStagesDoNotImportEachOther(t *testing.T) {
	stages := []string{"ingest", "screen", "notify"}
	stageOf := func(path string) string {
		rest, ok := strings.CutPrefix(path, module+"/")
		if !ok {
			return ""
		}
		first, _, _ := strings.Cut(rest, "/")
		for _, s := range stages {
			if first == s {
				return s
			}
		}
		return ""
	}
	for _, p := range list(t, module+"/...") {
		from := stageOf(p.ImportPath)
		if from == "" {
			continue
		}
		for _, imp := range p.Imports {
			if to := stageOf(imp); to != "" && to != from {
				t.Errorf("%s imports %s: stages share only event and the bus", p.ImportPath, imp)
			}
		}
	}
}

// TestEventImportsOnlyStd keeps the wire contract free of dependencies.
func TestEventImportsOnlyStd(t *testing.T) {
	for _, p := range list(t, module+"/event") {
		for _, imp := range p.Imports {
			if strings.Contains(strings.Split(imp, "/")[0], ".") {
				t.Errorf("event imports %s; it may import only the standard library", imp)
			}
		}
	}
}
