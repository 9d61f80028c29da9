package mailparse_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

// corpusDir holds the CSDMC2010 training mails (real, mostly English,
// 2,949 ham and 1,378 spam), shared by the whole project.
const corpusDir = "/work/shared/corpora/csdmc2010/TRAINING"

func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.eml"))
	if err != nil || len(files) == 0 {
		tb.Skipf("CSDMC2010 corpus not found under %s (it ships in /work/shared/corpora)", corpusDir)
	}
	sort.Strings(files)
	return files
}

// TestCorpus parses every CSDMC2010 training mail: no panic, valid UTF-8
// everywhere, and at most 2% with a ParseError.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	withErr := 0
	kinds := map[string]int{}
	examples := map[string]string{}
	noText := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := mailparse.Parse(raw)
		if err != nil {
			t.Errorf("Parse(%s) error = %v, want nil for a real mail", filepath.Base(f), err)
			continue
		}
		checkMessage(t, filepath.Base(f), raw, msg)
		if msg.Text == "" && len(msg.Attachments) == 0 {
			noText++
		}
		if msg.ParseError != "" {
			withErr++
			for _, k := range strings.Split(msg.ParseError, "; ") {
				kinds[k]++
				if _, ok := examples[k]; !ok {
					examples[k] = filepath.Base(f)
				}
			}
		}
	}
	rate := float64(withErr) / float64(len(files))
	t.Logf("parsed %d mails: %d (%.2f%%) with ParseError, %d without text or attachments", len(files), withErr, 100*rate, noText)
	for k, n := range kinds {
		t.Logf("  %4d  %s (e.g. %s)", n, k, examples[k])
	}
	if rate > 0.02 {
		t.Errorf("ParseError rate = %.2f%%, want at most 2%%", 100*rate)
	}
}
