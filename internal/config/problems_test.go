package config_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/internal/config"
)

func TestPath(t *testing.T) {
	tests := []struct {
		elems []any
		want  string
	}{
		{nil, ""},
		{[]any{"households", 0, "people", 1, "phones", 0}, "households[0].people[1].phones[0]"},
		{[]any{0, "id"}, "[0].id"},
		{[]any{"households", "tanaka.family", "name"}, `households["tanaka.family"].name`},
		{[]any{"labels", ""}, `labels[""]`},
		{[]any{"a-b_c9"}, "a-b_c9"},
		{[]any{"x", int64(3), uint(4)}, "x[3][4]"},
		{[]any{"x", true}, "x.true"},
	}
	for _, tt := range tests {
		if got := config.Path(tt.elems...); got != tt.want {
			t.Errorf("Path(%v) = %q, want %q", tt.elems, got, tt.want)
		}
	}
}

func TestJoinPath(t *testing.T) {
	tests := []struct{ base, rel, want string }{
		{"", "", ""},
		{"a", "", "a"},
		{"", "b", "b"},
		{"a", "b", "a.b"},
		{"a", "[0]", "a[0]"},
		{"a", `["x.y"]`, `a["x.y"]`},
	}
	for _, tt := range tests {
		if got := config.JoinPath(tt.base, tt.rel); got != tt.want {
			t.Errorf("JoinPath(%q, %q) = %q, want %q", tt.base, tt.rel, got, tt.want)
		}
	}
}

func TestProblemsEmpty(t *testing.T) {
	var p config.Problems
	if err := p.Err(); err != nil {
		t.Errorf("Problems{}.Err() = %v, want nil", err)
	}
	p.At("a", 1).At("b")
	p.Merge("x", nil)
	if err := p.Err(); err != nil || p.Len() != 0 {
		t.Errorf("Err() after At and Merge(nil) = %v (len %d), want nil", err, p.Len())
	}
}

func TestProblemsSortedByPath(t *testing.T) {
	var p config.Problems
	hs := p.At("households", 10)
	hs.Add("id", "required")
	p.At("households", 2).At("people", 0).Add(config.Path("phones", 1), "%q is not a phone number", "+8190")
	p.At("households", 2).Add("", "duplicate household")
	p.Add("nats.url", "bad scheme %q", "ftp")
	p.At("households", 2, "people", 0).Add("phones[0]", "bad")

	err := p.Err()
	want := `households[2]: duplicate household
households[2].people[0].phones[0]: bad
households[2].people[0].phones[1]: "+8190" is not a phone number
households[10].id: required
nats.url: bad scheme "ftp"`
	if err == nil || err.Error() != want {
		t.Errorf("Err() =\n%v\nwant\n%s", err, want)
	}
	if p.Len() != 5 {
		t.Errorf("Len() = %d, want 5", p.Len())
	}
}

// twilioConfig stands for a nested package's Config.
type twilioConfig struct{ From string }

func (c twilioConfig) Validate() error {
	var p config.Problems
	if c.From == "" {
		p.Add("from", "required")
	}
	p.Add("numbers[3]", "bad")
	return p.Err()
}

func TestProblemsMerge(t *testing.T) {
	var p config.Problems
	p.At("notify").Merge("twilio", twilioConfig{}.Validate())
	p.Merge("smtp", errors.New("no relay configured"))
	p.Merge("", fmt.Errorf("wrapped: %w", twilioConfig{From: "x"}.Validate()))

	var ce *config.Error
	if !errors.As(p.Err(), &ce) {
		t.Fatalf("Err() = %v, want *config.Error", p.Err())
	}
	want := []config.Problem{
		{Path: "notify.twilio.from", Msg: "required"},
		{Path: "notify.twilio.numbers[3]", Msg: "bad"},
		{Path: "numbers[3]", Msg: "bad"},
		{Path: "smtp", Msg: "no relay configured"},
	}
	if diff := cmp.Diff(want, ce.Problems); diff != "" {
		t.Errorf("Err() problems mismatch (-want +got):\n%s", diff)
	}
}

func TestProblemsErrIsASnapshot(t *testing.T) {
	var p config.Problems
	p.Add("a", "one")
	err := p.Err()
	p.Add("b", "two")
	if got := err.Error(); got != "a: one" {
		t.Errorf("Err() after a later Add = %q, want %q", got, "a: one")
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    config.Problem
		want string
	}{
		{config.Problem{Msg: "file is empty"}, "file is empty"},
		{config.Problem{Line: 3, Msg: "x"}, "line 3: x"},
		{config.Problem{Path: "a.b", Msg: "x"}, "a.b: x"},
		{config.Problem{Line: 3, Path: "a.b", Msg: "x"}, "line 3: a.b: x"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestDecodeLinesForQuotedAndMergedKeys(t *testing.T) {
	// Validation problems on a quoted key find their line.
	v := &groupsValidated{}
	err := decode(t, "groups:\n  tanaka.family:\n    name: \"\"\n  b:\n    <<: {name: x}\n", v)
	want := "test.yaml: line 3: groups[\"tanaka.family\"].name: required\ntest.yaml: line 5: groups.b.name: too short"
	if err == nil || err.Error() != want {
		t.Errorf("Decode() =\n%v\nwant\n%s", err, want)
	}
}

type groupsValidated struct {
	Groups map[string]struct {
		Name string `yaml:"name"`
	} `yaml:"groups"`
}

func (g *groupsValidated) Validate() error {
	var p config.Problems
	for k, v := range g.Groups {
		switch {
		case v.Name == "":
			p.At("groups", k).Add("name", "required")
		case len(v.Name) < 2:
			p.At("groups", k).Add("name", "too short")
		}
	}
	return p.Err()
}
