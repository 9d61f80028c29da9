package giftcode

import (
	"testing"

	"github.com/scamscreen/scamscreen/screen/normalize"
)

func TestFind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Kind
	}{
		{"コードです AQ4T-7VNT3K-M8PRW", []Kind{Amazon}},
		{"Ａｍａｚｏｎ ＡＱ４Ｔ－７ＶＮＴ３Ｋ－Ｍ８ＰＲ", []Kind{Amazon}},
		{"X4GH7J2K9LMN3PQR", []Kind{Apple}},
		{"1A2B-3C4D-5E6F-7G8H please", []Kind{GooglePlay}},
		{"ギフト券の番号は k3j4h5g6f7d8s9a2 です", []Kind{Generic}},
		{"two codes: AQ4T-7VNT3K-M8PRW and BR5U-8WOU4L-N9QSX", []Kind{Amazon, Amazon}},
		// Not codes.
		{"k3j4h5g6f7d8s9a2", nil}, // no gift-card words nearby
		{"https://example.com/track?id=AQ4T7VNT3KM8PRW9", nil},
		{"注文番号 250-1234567-1234567", nil},
		{"password1234567890", nil},
		{"電話 050-1234-5678", nil},
		{"see you at 10:30, love", nil},
	} {
		var tx normalize.Text
		tx.Append(tc.in, 0)
		got := Find(tx.Out, nil)
		if len(got) != len(tc.want) {
			t.Errorf("Find(%q) = %v, want kinds %v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i].Kind != tc.want[i] {
				t.Errorf("Find(%q)[%d] = %v, want %v", tc.in, i, got[i].Kind, tc.want[i])
			}
			s, e := tx.Span(got[i].Start, got[i].End)
			if s >= e || e > len(tc.in) {
				t.Errorf("Find(%q)[%d] maps to %d..%d", tc.in, i, s, e)
			}
		}
	}
}

func TestFindBitCash(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"ビットキャッシュのIDは あいうえおかきくけこさしすせそた です", 1},
		{"あいうえおかきくけこさしすせそた", 0},             // no gift-card words
		{"ビットキャッシュ あいうえおかきくけこさしすせそたち", 0},   // 17 kana
		{"ビットキャッシュ あいうえお かきくけこ さしすせそ た", 0}, // not one run
	} {
		var tx normalize.Text
		tx.Append(tc.in, 0)
		got := FindBitCash(tc.in, tx.Out, nil)
		if len(got) != tc.want {
			t.Errorf("FindBitCash(%q) = %v, want %d codes", tc.in, got, tc.want)
		}
		for _, c := range got {
			if c.Kind != BitCash || tc.in[c.Start:c.End] != "あいうえおかきくけこさしすせそた" {
				t.Errorf("FindBitCash(%q) = %+v", tc.in, c)
			}
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"AQ4T-7VNT3K-M8PRW": "AQ**-******-***RW",
		"X4GH7J2K9LMN3PQR":  "X4************QR",
		"ＡＱ４Ｔ":              "ＡＱ４Ｔ",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFind(f *testing.F) {
	for _, s := range []string{"aq4t-7vnt3k-m8prw", "x4gh7j2k9lmn3pqr", "1a2b-3c4d-5e6f-7g8h-9i0j", "ギフト k3j4h5g6f7d8s9a2", "a-", "-a1-"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		prev := 0
		for _, c := range Find(b, nil) {
			if c.Start < prev || c.End > len(b) || c.Start >= c.End || c.Kind == 0 {
				t.Fatalf("bad code %+v in %d bytes", c, len(b))
			}
			prev = c.End
		}
		_ = Mask(string(b))
	})
}
