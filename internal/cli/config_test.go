package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigMistakes loads one invalid file per kind of mistake and checks
// the message names the problem (and its line or path).
func TestConfigMistakes(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"unknown-key.yaml", []string{"line 5", "nmae"}},
		{"wrong-type.yaml", []string{"line 2", "concurrency", "many"}},
		{"bad-household-id.yaml", []string{"households[0].id", "not a valid id"}},
		{"duplicate-person.yaml", []string{"households[0].people[1].id", "appears twice"}},
		{"bad-language.yaml", []string{"households[0].people[0].language", `"fr"`}},
		{"bad-time-zone.yaml", []string{"time_zone", "Mars/Olympus"}},
		{"bad-phone.yaml", []string{"households[0].people[0].phones[0]", "not a phone number"}},
		{"shared-phone.yaml", []string{"people[1].phones[0]", "also tanaka/hanako's"}},
		{"inline-secret.yaml", []string{"password", "env"}},
		{"duplicate-mailbox.yaml", []string{"households[0].people[1].mailboxes[0].id", `"m1"`}},
		{"plaintext-imap.yaml", []string{"mailboxes[0]", "loopback"}},
		{"nats-credentials-in-url.yaml", []string{"nats.url[0]", "credentials in the URL"}},
		{"duplicates-window.yaml", []string{"nats.streams", "shorter than max_age"}},
		{"thresholds.yaml", []string{"screening.thresholds", "suspicious"}},
		{"twilio-without-url.yaml", []string{"ingest.sms", "public_url"}},
		{"admin-listen.yaml", []string{"admin.listen", "everywhere"}},
		{"two-problems.yaml", []string{"language", "time_zone"}},
		{"sms-without-twilio.yaml", []string{"notify.twilio", "by sms"}},
		{"replay-window.yaml", []string{"ingest.sms.sources[0].auth.replay_window", "longer than the INBOUND duplicate window (2m0s)"}},
		{"contact-without-name.yaml", []string{"line 13: households[0].people[0].notify.contacts[0].name: required", `line 15: households[0].people[0].notify.contacts[0].time_zone: "Europe/Atlantis"`}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := LoadConfig(filepath.Join("testdata", "config", tc.file))
			if err == nil {
				t.Fatal("LoadConfig succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadConfig error\n%v\ndoes not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error reveals a secret: %v", err)
			}
		})
	}
}

func TestExampleConfig(t *testing.T) {
	cfg, err := LoadConfig("../../configs/scamscreen.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts()) != 1 || len(cfg.PhoneEntries()) != 1 || cfg.Households[0].People[0].TimeZone != "Asia/Tokyo" {
		t.Errorf("example config: %+v", cfg.Households)
	}
	code, out, errs := run(t, "", "config", "check", "../../configs/scamscreen.example.yaml")
	if code != ExitOK || !strings.Contains(out, "ok") {
		t.Errorf("config check = %d %s %s", code, out, errs)
	}
	os.Unsetenv("HANAKO_IMAP_PASSWORD")
	code, _, errs = run(t, "", "config", "check", "--secrets", "../../configs/scamscreen.example.yaml")
	if code != ExitError || !strings.Contains(errs, "HANAKO_IMAP_PASSWORD") {
		t.Errorf("config check --secrets without the variable = %d %s", code, errs)
	}
}
