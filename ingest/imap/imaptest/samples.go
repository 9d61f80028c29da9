package imaptest

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/scamscreen/scamscreen/event"
)

//go:embed samples/*.eml
var sampleFS embed.FS

// Sample is a bundled mail for tests and the demo. The texts were written
// for scamscreen; addresses use reserved example domains.
type Sample struct {
	// Name is the file name without ".eml".
	Name string
	// Folder is where the mail belongs: "INBOX" or "Sent".
	Folder string
	// Direction follows from the folder.
	Direction event.Direction
	// Want is the verdict the shipped rule packs give it.
	Want event.Level
	// About says what the mail shows.
	About string
	// Raw is the mail, byte for byte (CRLF line ends).
	Raw []byte
}

var sampleInfo = map[string]struct {
	folder string
	want   event.Level
	about  string
}{
	"lure_unpaid_iso2022jp":     {"INBOX", event.LevelScam, "unpaid-bill lure in ISO-2022-JP demanding Amazon gift-card numbers by reply"},
	"lure_account_lock_sjis":    {"INBOX", event.LevelScam, "fake Amazon account-lock lure in Shift_JIS with a look-alike link and a gift-card fee"},
	"ordinary_family_iso2022jp": {"INBOX", event.LevelClean, "an ordinary mail from a daughter in ISO-2022-JP"},
	"newsletter_en":             {"INBOX", event.LevelClean, "an English newsletter, multipart/alternative"},
	"sent_giftcode_iso2022jp":   {"Sent", event.LevelScam, "a reply the protected person sent, carrying two Amazon gift-card codes (code handover)"},
}

// Samples returns the bundled sample mails, sorted by name.
func Samples() []Sample {
	entries, err := sampleFS.ReadDir("samples")
	if err != nil {
		panic(fmt.Sprintf("imaptest: embedded samples: %v", err)) // cannot happen: embedded at build time
	}
	var out []Sample
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".eml")
		raw, err := sampleFS.ReadFile(path.Join("samples", e.Name()))
		if err != nil {
			panic(fmt.Sprintf("imaptest: embedded sample %s: %v", name, err))
		}
		info, ok := sampleInfo[name]
		if !ok {
			panic(fmt.Sprintf("imaptest: sample %s has no description", name))
		}
		dir := event.DirectionIn
		if info.folder == "Sent" {
			dir = event.DirectionOut
		}
		out = append(out, Sample{Name: name, Folder: info.folder, Direction: dir, Want: info.want, About: info.about, Raw: raw})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SampleNamed returns the sample called name.
func SampleNamed(name string) (Sample, bool) {
	for _, s := range Samples() {
		if s.Name == name {
			return s, true
		}
	}
	return Sample{}, false
}

// Seed appends every sample to its folder of the user's mailbox, in name
// order, and returns how many it appended.
func (s *Server) Seed(user string) (int, error) {
	n := 0
	for _, smp := range Samples() {
		if _, err := s.Append(user, smp.Folder, smp.Raw); err != nil {
			return n, fmt.Errorf("imaptest: seed %s: %w", smp.Name, err)
		}
		n++
	}
	return n, nil
}
