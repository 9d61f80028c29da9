package normalize

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"spaced katakana", "ア マ ゾ ン", "アマゾソ"},
		{"half-width with voiced mark", "ｱﾏｿﾞﾝ", "アマゾソ"},
		{"hiragana folds to katakana", "あまぞん", "アマゾソ"},
		{"katakana look-alike ソ/ン", "アマゾソ", "アマゾソ"},
		{"katakana look-alike シ/ツ", "ギフトツール", "ギフトシル"},
		{"small kana", "ゲット", "ゲシト"},
		{"long-vowel mark dropped", "カード", "カド"},
		{"kanji one as long vowel", "カ一ド", "カド"},
		{"dash as long vowel", "カ－ド", "カド"},
		{"kanji one kept elsewhere", "一括払い", "一括払イ"},
		{"kanji one after katakana before kanji", "ソフトバンク一括", "ソフトバソク一括"},
		{"separators between Japanese", "ギフト・カード", "ギフトカド"},
		{"line break in a phrase", "お支払い\nください", "オ支払イクダサイ"},
		{"space between Latin and Japanese", "Amazon ギフト券", "amazonギフト券"},
		{"combining voiced mark", "か\u3099いと\u3099", "ガイド"},
		{"spacing voiced mark", "カ゛ード", "ガド"},
		{"full-width Latin", "ＡＭＡＺＯＮ", "amazon"},
		{"ideographic space", "Ｈｅｌｌｏ\u3000Ｗｏｒｌｄ", "hello world"},
		{"math bold", "𝐀𝐦𝐚𝐳𝐨𝐧", "amazon"},
		{"small capitals", "ᴀᴍᴀᴢᴏɴ", "amazon"},
		{"small caps verify", "ᴠᴇʀɪғʏ", "verify"},
		{"Cyrillic a", "Аmazon", "amazon"},
		{"Greek omicron", "Micrοsoft", "microsoft"},
		{"Cyrillic upper H", "НЕLLО", "hello"},
		{"diacritics", "Àmàzön", "amazon"},
		{"combining acute", "e\u0301te\u0301", "ete"},
		{"zero-width inside word", "Ama\u200bzon", "amazon"},
		{"zero-width inside Japanese", "ギフ\u200dト", "ギフト"},
		{"bidi control", "pay\u202epal", "paypal"},
		{"soft hyphen", "ama\u00adzon", "amazon"},
		{"variation selector", "ア\ufe0fマ", "アマ"},
		{"spelled out with dots", "A.m.a.z.o.n", "amazon"},
		{"spelled out with spaces", "a m a z o n now", "amazon now"},
		{"spelled out with dashes", "G-o-o-g-l-e", "google"},
		{"two letters stay apart", "a.m. today", "a.m today"},
		{"domain kept", "amazon.co.jp", "amazon.co.jp"},
		{"phone kept", "050-1234-5678", "050-1234-5678"},
		{"full-width phone", "０５０－１２３４－５６７８", "050-1234-5678"},
		{"white space runs", "call   me\n\tnow", "call me now"},
		{"leading and trailing space", "  hi  ", "hi"},
		{"circled digit", "①②", "12"},
		{"parenthesised kabushiki", "㈱アマゾン", "(株)アマゾソ"},
		{"square unit", "㍿", "株式会社"},
		{"NUL and controls dropped", "a\x00b\x07c", "abc"},
		{"invalid UTF-8 dropped", "a\xffb", "ab"},
		{"emoji kept", "今すぐ🙏", "今スグ🙏"},
		{"digits keep meaning", "Amaz0n", "amaz0n"},
		{"empty", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestSpanQuotesOriginal checks that a folded match maps back to the words
// the sender wrote.
func TestSpanQuotesOriginal(t *testing.T) {
	for _, tc := range []struct{ in, find, want string }{
		{"今すぐア マ ゾ ンのギフト券を買って", "アマゾソ", "ア マ ゾ ン"},
		{"ｱﾏｿﾞﾝｷﾞﾌﾄ券", "アマゾソギフト券", "ｱﾏｿﾞﾝｷﾞﾌﾄ券"},
		{"Please buy A.m.a.z.o.n cards", "amazon", "A.m.a.z.o.n"},
		{"お客様の𝐀𝐦𝐚𝐳𝐨𝐧アカウント", "amazonアカウソト", "𝐀𝐦𝐚𝐳𝐨𝐧アカウント"},
		{"コードを\n送ってください", "コドヲ送シテ", "コードを\n送って"},
		{"ギフトカ゛ード", "ギフトガド", "ギフトカ゛ード"},
	} {
		var tx Text
		tx.Append(tc.in, 0)
		i := strings.Index(string(tx.Out), tc.find)
		if i < 0 {
			t.Errorf("fold of %q = %q, has no %q", tc.in, tx.Out, tc.find)
			continue
		}
		s, e := tx.Span(i, i+len(tc.find))
		if got := tc.in[s:e]; got != tc.want {
			t.Errorf("Span of %q in %q quotes %q, want %q", tc.find, tc.in, got, tc.want)
		}
	}
}

func TestAppendFields(t *testing.T) {
	var tx Text
	tx.Append("Subject ア", 100)
	tx.AppendBoundary()
	tx.Append("マ", 0)
	if got := string(tx.Out); got != "subjectア\x00マ" {
		t.Fatalf("fields = %q", got)
	}
	if tx.Start[0] != 100 || tx.Start[len(tx.Start)-1] != 0 {
		t.Errorf("offsets not based per field: %v", tx.Start)
	}
	tx.Reset()
	if tx.Len() != 0 {
		t.Error("Reset kept bytes")
	}
}

func TestSkeleton(t *testing.T) {
	for in, want := range map[string]string{
		"amaz0n": "amazon", "arnazon": "amazon", "app1e": "apple", "paypa1": "paypal",
		"rakuten": "rakuten", "vvallet": "wallet", "g00gle": "google", "$oftbank": "softbank",
	} {
		if got := Skeleton(in); got != want {
			t.Errorf("Skeleton(%q) = %q, want %q", in, got, want)
		}
	}
}

func checkInvariants(t *testing.T, in string) {
	t.Helper()
	var tx Text
	tx.Append(in, 0)
	out := string(tx.Out)
	if !utf8.ValidString(out) {
		t.Fatalf("fold of %q is not valid UTF-8: %q", in, out)
	}
	if len(tx.Start) != len(tx.Out) || len(tx.End) != len(tx.Out) {
		t.Fatalf("offset arrays %d/%d for %d bytes", len(tx.Start), len(tx.End), len(tx.Out))
	}
	for i := range tx.Out {
		s, e := tx.Start[i], tx.End[i]
		if s < 0 || e > int32(len(in)) || s >= e {
			t.Fatalf("fold of %q: byte %d maps to [%d,%d)", in, i, s, e)
		}
		if i > 0 && s < tx.Start[i-1] {
			t.Fatalf("fold of %q: offsets go backwards at %d", in, i)
		}
	}
	if again := String(out); again != out {
		t.Fatalf("fold is not idempotent: %q -> %q -> %q", in, out, again)
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{
		"ア マ ゾ ン", "ｱﾏｿﾞﾝ", "A.m.a.z.o.n", "𝐀𝐦𝐚𝐳𝐨𝐧", "カ一ド", "か\u3099", "ﾞｶ", "ー一ー",
		"a b c d", "a .b. c", "㈱", "Ama\u200bzon", "x\u0301", "ゝゞ", "ヴ", "ウ゛", "\xff\xfe",
		"ソフトバンク一括", "1 2 3 4 5", "ギフト券を購入し、番号を送って", "A\u3000m a", "a-b-c.d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkInvariants(t, s)
	})
}

// TestCorpusInvariants folds every line of the development corpora.
func TestCorpusInvariants(t *testing.T) {
	for _, line := range corpusLines(t) {
		checkInvariants(t, line)
	}
}

func corpusLines(tb testing.TB) []string {
	tb.Helper()
	var lines []string
	if f, err := os.Open("../../../shared/corpora/ja-dev.jsonl"); err == nil {
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var rec struct{ Body, Subject string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				lines = append(lines, rec.Body, rec.Subject)
			}
		}
		f.Close()
	}
	if f, err := os.Open("../../../shared/corpora/uci-sms-spam/SMSSpamCollection"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if _, text, ok := strings.Cut(sc.Text(), "\t"); ok {
				lines = append(lines, text)
			}
		}
		f.Close()
	}
	if len(lines) == 0 {
		tb.Skip("corpora not found at ../../../shared/corpora")
	}
	return lines
}

func BenchmarkFold(b *testing.B) {
	lines := corpusLines(b)
	var ja, en []string
	for _, l := range lines {
		if l == "" {
			continue
		}
		if utf8.RuneCountInString(l) == len(l) {
			en = append(en, l)
		} else {
			ja = append(ja, l)
		}
	}
	for _, c := range []struct {
		name  string
		lines []string
	}{{"ascii", en}, {"japanese", ja}} {
		b.Run(c.name, func(b *testing.B) {
			var tx Text
			total := 0
			for _, l := range c.lines {
				total += len(l)
			}
			b.SetBytes(int64(total / len(c.lines)))
			b.ReportAllocs()
			tables()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tx.Reset()
				tx.Append(c.lines[i%len(c.lines)], 0)
			}
		})
	}
}

func TestReplace(t *testing.T) {
	in := "buy Arnazon cards"
	var tx Text
	tx.Append(in, 0)
	i := strings.Index(string(tx.Out), "arnazon")
	tx.Replace(i, i+len("arnazon"), "amazon")
	if got := string(tx.Out); got != "buy amazon cards" {
		t.Fatalf("Replace gave %q", got)
	}
	s, e := tx.Span(i, i+len("amazon"))
	if in[s:e] != "Arnazon" {
		t.Errorf("replaced span quotes %q", in[s:e])
	}
	if s, e := tx.Span(len(tx.Out)-5, len(tx.Out)); in[s:e] != "cards" {
		t.Errorf("bytes after the replacement quote %q", in[s:e])
	}
	tx.Replace(i, i+len("amazon"), "amazonxyz")
	if got := string(tx.Out); got != "buy amazonxyz cards" || len(tx.Start) != len(tx.Out) {
		t.Fatalf("growing Replace gave %q", got)
	}
}

func TestASCIIChars(t *testing.T) {
	if len(asciiChars) != 128 {
		t.Fatalf("asciiChars has %d bytes", len(asciiChars))
	}
	for i := 0; i < 128; i++ {
		if asciiChars[i] != byte(i) {
			t.Fatalf("asciiChars[%d] = %d", i, asciiChars[i])
		}
	}
}

// TestDecodeRune compares the inline three-byte decoder with the standard
// one on every lead byte from E0 to EF followed by every pair of bytes,
// valid or not, and at every truncation.
func TestDecodeRune(t *testing.T) {
	for c := 0xE0; c <= 0xEF; c++ {
		for c1 := 0; c1 < 256; c1++ {
			for c2 := 0; c2 < 256; c2++ {
				s := string([]byte{byte(c), byte(c1), byte(c2)})
				for _, in := range []string{s, "x" + s, s[:2]} {
					i := len(in) - len(s)
					if i < 0 {
						i = 0
					}
					r, w := decodeRune(in, i)
					wr, ww := utf8.DecodeRuneInString(in[i:])
					if r != wr || w != ww {
						t.Fatalf("decodeRune(% x, %d) = %U, %d, want %U, %d", in, i, r, w, wr, ww)
					}
				}
			}
		}
	}
}
