package phone

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/screen/normalize"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Number
	}{
		{"本日中に050-1234-5678までご連絡下さい", []Number{{E164: "+815012345678", Kind: IPPhone}}},
		{"０３－１２３４－５６７８へ", []Number{{E164: "+81312345678", Kind: Landline}}},
		{"お問い合わせ 0120-123-456", []Number{{E164: "+81120123456", Kind: TollFree}}},
		{"call 09012345678 now", []Number{{E164: "+819012345678", Kind: Mobile}}},
		{"+63 912 345 6789", []Number{{E164: "+639123456789", Kind: International}}},
		{"+81-90-1234-5678", []Number{{E164: "+819012345678", Kind: Mobile}}},
		{"010-1-202-555-0100", []Number{{E164: "+12025550100", Kind: International}}},
		{"(03) 1234-5678", []Number{{E164: "+81312345678", Kind: Landline}}},
		{"0570-000-123", []Number{{E164: "+81570000123", Kind: Navi}}},
		{"0 5 0 1 2 3 4 5 6 7 8", []Number{{E164: "+815012345678", Kind: IPPhone}}},
		// Not numbers.
		{"2026-11-29 10:30", nil},
		{"注文番号 250-1234567-1234567", nil},
		{"1,000,000円", nil},
		{"order A0312345678", nil},
		{"06-6XXX-XXXX", nil},
		{"tracking 1234-5678-9012", nil},
		{"v1.2.3", nil},
	} {
		var tx normalize.Text
		tx.Append(tc.in, 0)
		got := Find(tx.Out, nil)
		for i := range got {
			got[i].Start, got[i].End = 0, 0
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("Find(%q) (-want +got):\n%s", tc.in, d)
		}
	}
}

func TestFindOffsets(t *testing.T) {
	in := "電話：０５０－１２３４－５６７８（担当）"
	var tx normalize.Text
	tx.Append(in, 0)
	n := Find(tx.Out, nil)
	if len(n) != 1 {
		t.Fatalf("Find(%q) = %v", in, n)
	}
	s, e := tx.Span(n[0].Start, n[0].End)
	if got := in[s:e]; got != "０５０－１２３４－５６７８" {
		t.Errorf("number quotes %q", got)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"050-1234-5678": "+815012345678", "+1 (202) 555-0100": "+12025550100", "03 1234 5678": "+81312345678"} {
		if got, ok := Normalize(in); !ok || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"abc", "12", "050-1234-5678 x"} {
		if got, ok := Normalize(in); ok {
			t.Errorf("Normalize(%q) = %q, want failure", in, got)
		}
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"050-1234-5678", "+63 912 345 6789", "(((0", "+-+", "0120-00-0000-", "010-1-2"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		prev := -1
		for _, n := range Find(b, nil) {
			if n.Start < 0 || n.End > len(b) || n.Start >= n.End || n.Start < prev {
				t.Fatalf("bad span %d..%d in %d bytes", n.Start, n.End, len(b))
			}
			if n.E164 == "" || n.E164[0] != '+' || n.Kind == 0 {
				t.Fatalf("bad number %+v", n)
			}
			prev = n.End
		}
	})
}
