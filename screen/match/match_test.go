package match

import (
	"bytes"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func naive(patterns []string, text []byte) []Hit {
	var hits []Hit
	for i, p := range patterns {
		for j := 0; j+len(p) <= len(text); j++ {
			if bytes.Equal(text[j:j+len(p)], []byte(p)) {
				hits = append(hits, Hit{Pattern: int32(i), Start: int32(j), End: int32(j + len(p))})
			}
		}
	}
	sortHits(hits)
	return hits
}

func sortHits(h []Hit) {
	sort.Slice(h, func(a, b int) bool {
		if h[a].End != h[b].End {
			return h[a].End < h[b].End
		}
		return h[a].Pattern < h[b].Pattern
	})
}

func TestScan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		patterns []string
		text     string
	}{
		{"overlapping", []string{"ギフト", "ギフト券", "フト"}, "アマゾソギフト券ヲ"},
		{"suffix chains", []string{"he", "she", "his", "hers"}, "ushers"},
		{"repeats", []string{"aa", "a"}, "aaaa"},
		{"duplicates", []string{"x", "x"}, "x"},
		{"no match", []string{"amazon"}, "amazing"},
		{"fields", []string{"ab"}, "a\x00b ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Build(tc.patterns)
			if err != nil {
				t.Fatal(err)
			}
			got := a.Scan([]byte(tc.text), nil)
			sortHits(got)
			if d := cmp.Diff(naive(tc.patterns, []byte(tc.text)), got); d != "" {
				t.Errorf("Scan(%q) differs from naive search (-want +got):\n%s", tc.text, d)
			}
		})
	}
	if _, err := Build([]string{"a", ""}); err == nil {
		t.Error("Build accepted an empty pattern")
	}
}

func TestScanAllocs(t *testing.T) {
	a, _ := Build([]string{"ギフト", "コード", "amazon"})
	dst := make([]Hit, 0, 16)
	text := []byte("amazonギフトコードamazon")
	if n := testing.AllocsPerRun(100, func() { dst = a.Scan(text, dst[:0]) }); n != 0 {
		t.Errorf("Scan allocated %v times per run", n)
	}
}

func FuzzScan(f *testing.F) {
	f.Add("ab", "b", "abab", "xababbab")
	f.Add("ギフト", "フ", "ト券", "ギフト券ギフ")
	f.Fuzz(func(t *testing.T, p1, p2, p3, text string) {
		var pats []string
		for _, p := range []string{p1, p2, p3} {
			if p != "" {
				pats = append(pats, p)
			}
		}
		if len(pats) == 0 {
			return
		}
		a, err := Build(pats)
		if err != nil {
			t.Fatal(err)
		}
		got := a.Scan([]byte(text), nil)
		sortHits(got)
		want := naive(pats, []byte(text))
		if len(want) == 0 && len(got) == 0 {
			return
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("Scan differs from naive search (-want +got):\n%s", d)
		}
	})
}

func TestEveryByte(t *testing.T) {
	var all []byte
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
	}
	pats := []string{string(all[:128]), string(all[128:]), "\x00\xff"}
	a, err := Build(pats)
	if err != nil {
		t.Fatal(err)
	}
	text := append(append([]byte{}, all...), 0, 0xff)
	got := a.Scan(text, nil)
	sortHits(got)
	if d := cmp.Diff(naive(pats, text), got); d != "" {
		t.Errorf("Scan with all 256 bytes in patterns (-want +got):\n%s", d)
	}
}
