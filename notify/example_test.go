package notify_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/notify"
)

// TestExampleConfig decodes the documented example (testdata/example.yaml)
// strictly and validates it, so the example cannot drift from the types.
func TestExampleConfig(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var doc struct {
		Notify notify.Config       `yaml:"notify"`
		Person notify.PersonConfig `yaml:"person"`
	}
	doc.Notify = notify.DefaultConfig()
	if err := config.Decode(f, "example.yaml", &doc); err != nil {
		t.Fatalf("Decode(example.yaml) = %v", err)
	}
	if err := doc.Notify.Validate(); err != nil {
		t.Errorf("example notify section: %v", err)
	}
	person := notify.Person{Household: "tanaka", ID: "hanako", Name: "田中花子", Phones: []string{"090-1234-5678"}, Notify: doc.Person}
	if err := person.Validate(doc.Notify); err != nil {
		t.Errorf("example person: %v", err)
	}
	d, err := notify.NewDirectory(doc.Notify, []notify.Person{person})
	if err != nil {
		t.Fatalf("NewDirectory(example) = %v", err)
	}
	p, _ := d.Lookup("tanaka", "hanako")
	if p.AckTimeout.String() != "5m0s" || p.Contacts[1].Location.String() != "Europe/London" || !p.Contacts[0].Voice || p.Helpdesk == nil {
		t.Errorf("example profile = timeout %s, yumi zone %s, kenji voice %v, helpdesk %v", p.AckTimeout, p.Contacts[1].Location, p.Contacts[0].Voice, p.Helpdesk != nil)
	}
	if got := p.Self.Quiet.String(); got != "21:00-07:00" {
		t.Errorf("self quiet hours = %q", got)
	}
}
