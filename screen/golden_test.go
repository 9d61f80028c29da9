package screen_test

import (
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

type goldenCase struct {
	ID         string             `yaml:"id"`
	Channel    event.Channel      `yaml:"channel"`
	Direction  event.Direction    `yaml:"direction"`
	From       string             `yaml:"from"`
	Subject    string             `yaml:"subject"`
	Text       string             `yaml:"text"`
	Auth       *rules.ExampleAuth `yaml:"auth"`
	Want       string             `yaml:"want"`
	Categories []event.Category   `yaml:"categories"`
}

// TestGoldenCases screens the hand-written cases: every lure flagged at its
// level with its categories, every genuine message clean.
func TestGoldenCases(t *testing.T) {
	e := engine(t)
	data, err := os.ReadFile("testdata/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Lures   []goldenCase `yaml:"lures"`
		Genuine []goldenCase `yaml:"genuine"`
	}
	dec := yaml.NewDecoder(bytesReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatal(err)
	}
	screenCase := func(c goldenCase) event.Verdict {
		ex := rules.Example{Text: c.Text, Subject: c.Subject, From: c.From, Channel: c.Channel, Direction: c.Direction, Auth: c.Auth}
		return e.Screen(screen.ExampleMessage(c.ID, ex))
	}
	for _, c := range file.Lures {
		t.Run("lure/"+c.ID, func(t *testing.T) {
			v := screenCase(c)
			want := event.LevelSuspicious
			if c.Want == "scam" {
				want = event.LevelScam
			}
			if v.Level < want {
				t.Errorf("verdict %v (score %v), want %s; reasons: %s", v.Level, v.Score, c.Want, ruleList(v))
			}
			for _, cat := range c.Categories {
				if !slices.Contains(v.Categories, cat) {
					t.Errorf("categories %v lack %s; reasons: %s", v.Categories, cat, ruleList(v))
				}
			}
		})
	}
	for _, c := range file.Genuine {
		t.Run("genuine/"+c.ID, func(t *testing.T) {
			if v := screenCase(c); v.Level != event.LevelClean {
				t.Errorf("verdict %v (score %v), want clean; reasons: %s", v.Level, v.Score, ruleList(v))
			}
		})
	}
}

func ruleList(v event.Verdict) string {
	s := ""
	for _, r := range v.Reasons {
		s += r.Rule + "(" + fmtWeight(r.Weight) + ") "
	}
	return s
}
