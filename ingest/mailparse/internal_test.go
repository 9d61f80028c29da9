package mailparse

import (
	"encoding/base64"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/scamscreen/scamscreen/event"
)

func enc(e encoding.Encoding, s string) string {
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func jisT(s string) string   { return enc(japanese.ISO2022JP, s) }
func sjisT(s string) string  { return enc(japanese.ShiftJIS, s) }
func eucjpT(s string) string { return enc(japanese.EUCJP, s) }

const (
	esc      = "\x1b"
	toASCII  = esc + "(B"
	toJIS    = esc + "$B"
	toKana   = esc + "(I"
	shiftOut = "\x0e"
	shiftIn  = "\x0f"
)

func TestDecodeText(t *testing.T) {
	const ja = "【重要】アカウントを確認してください。ギフト券を購入し番号を送信"
	tests := []struct {
		name  string
		label string
		in    string
		want  string
	}{
		// Labels go-message lacks, and the aliases.
		{"cp932", "cp932", sjisT("①㈱テスト"), "①㈱テスト"},
		{"MS932", "MS932", sjisT(ja), ja},
		{"windows-31j", "Windows-31J", sjisT(ja), ja},
		{"x-sjis", "x-sjis", sjisT(ja), ja},
		{"shift-jis", "shift-jis", sjisT(ja), ja},
		{"quoted label", `"Shift_JIS"`, sjisT(ja), ja},
		{"iso-2022-jp-ms", "iso-2022-jp-ms", jisT(ja), ja},
		{"cp50220", "CP50220", jisT(ja), ja},
		{"cp50221", "cp50221", jisT(ja), ja},
		{"iso-2022-jp-2", "ISO-2022-JP-2", jisT(ja), ja},
		{"csISO2022JP", "csISO2022JP", jisT(ja), ja},
		{"euc-jp-ms", "eucJP-ms", eucjpT(ja), ja},
		{"x-euc-jp", "x-euc-jp", eucjpT(ja), ja},
		{"ujis", "ujis", eucjpT(ja), ja},
		{"rfc2231 language suffix", "utf-8*ja", ja, ja},
		// Mislabelled and missing.
		{"iso-2022-jp declared, shift_jis sent", "iso-2022-jp", sjisT(ja), ja},
		{"iso-2022-jp declared, euc-jp sent", "iso-2022-jp", eucjpT(ja), ja},
		{"utf-8 declared, shift_jis sent", "utf-8", sjisT(ja), ja},
		{"us-ascii declared, euc-jp sent", "us-ascii", eucjpT(ja), ja},
		{"shift_jis declared, euc-jp sent", "shift_jis", eucjpT(ja), ja},
		{"euc-jp declared, shift_jis sent", "euc-jp", sjisT(ja), ja},
		{"shift_jis declared, iso-2022-jp sent", "shift_jis", jisT(ja), ja},
		{"iso-8859-1 declared, shift_jis sent", "iso-8859-1", sjisT(ja), ja},
		{"windows-1252 declared, utf-8 sent", "windows-1252", "café crème", "café crème"},
		{"no label, utf-8", "", ja, ja},
		{"no label, iso-2022-jp", "", jisT(ja), ja},
		{"no label, shift_jis", "", sjisT(ja), ja},
		{"no label, euc-jp", "", eucjpT(ja), ja},
		{"unknown label, shift_jis", "x-made-up", sjisT(ja), ja},
		{"unknown label, ascii", "x-made-up", "plain ascii", "plain ascii"},
		{"no label, latin-1", "", "caf\xe9 cr\xe8me", "café crème"},
		{"utf-8 with one stray byte stays utf-8", "utf-8", ja + "\xff" + ja, ja + "\uFFFD" + ja},
		// Short texts, where scoring has least to go on.
		{"short shift_jis", "", sjisT("ギフト券"), "ギフト券"},
		{"short euc-jp", "", eucjpT("ギフト券"), "ギフト券"},
		{"kanji-only euc-jp", "", eucjpT("請求書送付"), "請求書送付"},
		// Western labels keep their meaning.
		{"latin-1", "iso-8859-1", "Le caf\xe9 co\xfbte 3 \x80", "Le café coûte 3 €"},
		{"gb2312", "gb2312", enc(simplifiedchinese.GBK, "黄山旅游天天发"), "黄山旅游天天发"},
		// ISO-2022-JP corner cases.
		{"jis x 0201 katakana", "iso-2022-jp", toKana + "123" + toASCII, "ｱｲｳ"},
		{"shift out katakana (cp50221)", "iso-2022-jp", "a" + shiftOut + "123" + shiftIn + "b", "aｱｲｳb"},
		{"jis mode left open at line end", "iso-2022-jp", toJIS + "$\"$$" + "\r\nabc", "あい\r\nabc"},
		{"8-bit half-width katakana inside jis", "iso-2022-jp", jisT("お客様") + "\xb1\xb2\xb3", "お客様ｱｲｳ"},
		{"shift_jis run inside jis", "iso-2022-jp", jisT("お客様") + " " + sjisT("ギフト券") + " ok", "お客様 ギフト券 ok"},
		{"unknown escape", "iso-2022-jp", "a" + esc + "$(Zb" + jisT("あ"), "a\uFFFDbあ"},
		{"truncated pair", "iso-2022-jp", toJIS + "$", "\uFFFD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := decodeText([]byte(tc.in), tc.label, csNone)
			if got != tc.want {
				t.Errorf("decodeText(%q, %q) = %q, want %q", tc.in, tc.label, got, tc.want)
			}
		})
	}
}

func TestDecodeWords(t *testing.T) {
	b := func(cs, s string) string { return bwordT(cs, s) }
	tests := []struct {
		in, want string
	}{
		{"plain subject", "plain subject"},
		{"Re: =?utf-8?q?caf=C3=A9?= ok", "Re: café ok"},
		{"=?utf-8?q?a_b?=", "a b"},
		{"=?UTF-8?B?44GC?=text", "あtext"},
		{"=?utf-8*ja?B?44GC?=", "あ"},
		{b("ISO-2022-JP", jisT("ギフト")) + " " + b("ISO-2022-JP", jisT("券")), "ギフト券"},
		{b("ISO-2022-JP", jisT("ギフト")) + "  x  " + b("ISO-2022-JP", jisT("券")), "ギフト  x  券"},
		{b("utf-8", "あ") + " " + b("iso-2022-jp", jisT("い")), "あい"},
		{b("iso-2022-jp", sjisT("ギフト券")), "ギフト券"}, // mislabelled word
		{b("x-unknown", sjisT("ギフト券")), "ギフト券"},
		{"a =?bogus", "a =?bogus"},
		{"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
		{"=?utf-8?b?!!!?=", ""},
	}
	for _, tc := range tests {
		if got := decodeWords(tc.in, charsetHint{}); got != tc.want {
			t.Errorf("decodeWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func bwordT(cs, s string) string {
	return "=?" + cs + "?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
}

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		in     string
		want   []event.Address
		wantOK bool
	}{
		{"a@x.jp", []event.Address{{Addr: "a@x.jp"}}, true},
		{"<a@x.jp>", []event.Address{{Addr: "a@x.jp"}}, true},
		{`"Yamada, Taro" <t@x.jp>`, []event.Address{{Name: "Yamada, Taro", Addr: "t@x.jp"}}, true},
		{`Yamada, Taro <t@x.jp>`, []event.Address{{Name: "Yamada, Taro", Addr: "t@x.jp"}}, true},
		{"a@x.jp, b@y.jp", []event.Address{{Addr: "a@x.jp"}, {Addr: "b@y.jp"}}, true},
		{"undisclosed-recipients:;", nil, false},
		{"Friends: a@x.jp, b@y.jp;", []event.Address{{Addr: "a@x.jp"}, {Addr: "b@y.jp"}}, true},
		{"a@x.jp (Taro Yamada)", []event.Address{{Name: "Taro Yamada", Addr: "a@x.jp"}}, true},
		{`"` + bwordT("ISO-2022-JP", jisT("アマゾン")) + `" <a@x.jp>`, []event.Address{{Name: "アマゾン", Addr: "a@x.jp"}}, true},
		{bwordT("ISO-2022-JP", jisT("アマゾン")) + " " + bwordT("ISO-2022-JP", jisT("ジャパン")) + " <a@x.jp>", []event.Address{{Name: "アマゾンジャパン", Addr: "a@x.jp"}}, true},
		{"<@relay.example:user@x.jp>", []event.Address{{Addr: "user@x.jp"}}, true},
		{"Amazon.co.jp: Support <a@x.jp>", []event.Address{{Name: "Amazon.co.jp: Support", Addr: "a@x.jp"}}, true},
		// 表 and ソ end in 0x5C (a backslash) in Shift_JIS.
		{`"` + sjisT("表示ソフト") + `" <a@x.jp>`, []event.Address{{Name: "表示ソフト", Addr: "a@x.jp"}}, true},
		{sjisT("アマゾン") + " <a@x.jp>", []event.Address{{Name: "アマゾン", Addr: "a@x.jp"}}, true},
		{`"info@amazon.co.jp" <evil@x.top>`, []event.Address{{Name: "info@amazon.co.jp", Addr: "evil@x.top"}}, true},
		{"mailto:a@x.jp", []event.Address{{Addr: "a@x.jp"}}, true},
		{`"Taro \"T\" Yamada" <t@x.jp>`, []event.Address{{Name: `Taro "T" Yamada`, Addr: "t@x.jp"}}, true},
		{"Amazon Support", []event.Address{{Name: "Amazon Support"}}, false},
		{"Taro <t@x.jp", []event.Address{{Name: "Taro", Addr: "t@x.jp"}}, true},
		{"", nil, false},
	}
	for _, tc := range tests {
		got, ok := parseAddressList(tc.in, charsetHint{})
		if d := cmp.Diff(tc.want, got); d != "" || ok != tc.wantOK {
			t.Errorf("parseAddressList(%q) = %+v, %v, want %+v, %v (-want +got):\n%s", tc.in, got, ok, tc.want, tc.wantOK, d)
		}
	}
}

func TestParseMediaValue(t *testing.T) {
	jisName := jisT("請求書") + ".pdf"
	tests := []struct {
		in         string
		wantType   string
		wantParams map[string]string
	}{
		{`text/plain; charset="ISO-2022-JP"`, "text/plain", map[string]string{"charset": "ISO-2022-JP"}},
		{`TEXT/HTML;CHARSET=Shift_JIS;`, "text/html", map[string]string{"charset": "Shift_JIS"}},
		{`text/plain charset=utf-8`, "text/plain", map[string]string{"charset": "utf-8"}},
		{"attachment; filename*=ISO-2022-JP''" + url.PathEscape(jisName), "attachment", map[string]string{"filename": "請求書.pdf"}},
		{"attachment; filename*0*=UTF-8''%E8%AB%8B; filename*1*=%E6%B1%82; filename*2=.pdf", "attachment", map[string]string{"filename": "請求.pdf"}},
		{"attachment; filename*1=b.pdf; filename*0=a", "attachment", map[string]string{"filename": "ab.pdf"}},
		{`attachment; filename=my file.pdf; size=3`, "attachment", map[string]string{"filename": "my file.pdf", "size": "3"}},
		{`multipart/mixed; boundary="a b"; boundary=dup`, "multipart/mixed", map[string]string{"boundary": "a b"}},
		{`multipart/mixed; boundary="unterminated`, "multipart/mixed", map[string]string{"boundary": "unterminated"}},
		{`text/plain; name="` + sjisT("表示") + `.txt"`, "text/plain", map[string]string{"name": "表示.txt"}},
		{`text/plain; junk; charset=utf-8`, "text/plain", map[string]string{"charset": "utf-8"}},
		{``, "", map[string]string{}},
	}
	for _, tc := range tests {
		typ, params := parseMediaValue(tc.in, charsetHint{})
		if typ != tc.wantType || !cmp.Equal(params, tc.wantParams) {
			t.Errorf("parseMediaValue(%q) = %q, %v, want %q, %v", tc.in, typ, params, tc.wantType, tc.wantParams)
		}
	}
}

func TestTransferDecoders(t *testing.T) {
	b64 := []struct {
		in      string
		want    string
		wantBad int
	}{
		{"QUJD", "ABC", 0},
		{"QUJD\r\nREVG", "ABCDEF", 0},
		{"QQ==QkM=", "ABC", 0},  // padding mid-stream: concatenated encodings
		{"QUJDREU", "ABCDE", 0}, // no padding
		{"QU!JD", "ABC", 1},
		{"Q", "", 1},
		{" \tQ U J D ", "ABC", 0},
	}
	for _, tc := range b64 {
		got, bad, trunc := appendBase64(nil, []byte(tc.in), math.MaxInt)
		if string(got) != tc.want || bad != tc.wantBad || trunc {
			t.Errorf("appendBase64(%q) = %q, bad %d, truncated %v, want %q, bad %d", tc.in, got, bad, trunc, tc.want, tc.wantBad)
		}
		if n := base64Size([]byte(tc.in)); n != int64(len(tc.want)) {
			t.Errorf("base64Size(%q) = %d, want %d", tc.in, n, len(tc.want))
		}
		for limit := 0; limit < len(tc.want); limit++ {
			got, _, trunc := appendBase64(nil, []byte(tc.in), limit)
			if string(got) != tc.want[:limit] || !trunc {
				t.Errorf("appendBase64(%q, limit %d) = %q, truncated %v, want %q, true", tc.in, limit, got, trunc, tc.want[:limit])
			}
		}
	}
	qpTests := []struct{ in, want string }{
		{"a=3Db", "a=b"},
		{"soft=\r\nbreak", "softbreak"},
		{"soft=\nbreak", "softbreak"},
		{"blank after = \t\r\nbreak", "blank after break"},
		{"bad =ZZ escape", "bad =ZZ escape"},
		{"lower =e3=81=82", "lower あ"},
		{"trailing =", "trailing "},
		{"trailing = \t", "trailing "},
	}
	for _, tc := range qpTests {
		got, trunc := appendQP(nil, []byte(tc.in), math.MaxInt)
		if string(got) != tc.want || trunc {
			t.Errorf("appendQP(%q) = %q, truncated %v, want %q", tc.in, got, trunc, tc.want)
		}
		if n := qpSize([]byte(tc.in)); n != int64(len(tc.want)) {
			t.Errorf("qpSize(%q) = %d, want %d", tc.in, n, len(tc.want))
		}
		if len(tc.want) > 0 {
			if got, trunc := appendQP(nil, []byte(tc.in), len(tc.want)-1); string(got) != tc.want[:len(tc.want)-1] || !trunc {
				t.Errorf("appendQP(%q, limit %d) = %q, %v, want %q, true", tc.in, len(tc.want)-1, got, trunc, tc.want[:len(tc.want)-1])
			}
		}
	}
	ends := []struct {
		in   string
		want int // length of the base64 data
	}{
		{"QUJD\nREVG\n", 10},
		{"QUJD\nRA==\n--\nList footer\n", 10},
		{"QUJD\n\nList footer, see http://x\n", 6},
		{"QUJD\nnot base64 here\nREVG\n", 26}, // corruption inside the data
		{"QUJD\nList: footer\n", 5},
		{"QQ==\n\nQkM=\n", 11}, // blank line between encodings
	}
	for _, tc := range ends {
		if got := base64End([]byte(tc.in)); got != tc.want {
			t.Errorf("base64End(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s int) time.Time {
		return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Fri, 29 Nov 2026 09:30:00 +0900", utc(2026, 11, 29, 0, 30, 0)},
		{"29 Nov 2026 09:30:00 +0900", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri, 29 Nov 2026 09:30 +0900", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri, 29 Nov 26 09:30:00 +0900", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri, 29 Nov 2026 09:30:00 JST", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri, 29 Nov 2026 09:30:00 +0900 (JST)", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri, 29 Nov 2026 09:30:00 GMT+0900", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri, 29 Nov 2026 09:30:00 +09:00", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri, 29 Nov 2026 09:30:00 +900", utc(2026, 11, 29, 0, 30, 0)},
		{"Friday, 29 November 2026 09:30:00 +0900", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri Nov 29 09:30:00 2026", utc(2026, 11, 29, 9, 30, 0)},
		{"Fri Nov 29 09:30:00 JST 2026", utc(2026, 11, 29, 0, 30, 0)},
		{"2026-11-29T09:30:00+09:00", utc(2026, 11, 29, 0, 30, 0)},
		{"2026-11-29 09:30:00 +0900", utc(2026, 11, 29, 0, 30, 0)},
		{"29-Nov-2026 09:30:00 +0900", utc(2026, 11, 29, 0, 30, 0)},
		{"Fri,29 Nov 2026 09:30:00 -0500", utc(2026, 11, 29, 14, 30, 0)},
		{"Fri, 29 Nov 2026 09:30:00 -0500 (EST)", utc(2026, 11, 29, 14, 30, 0)},
		{"Fri, 29 Nov 2026 09:30:00 EST", utc(2026, 11, 29, 14, 30, 0)},
		{"Fri, 29 Nov 2026 09:30:00", utc(2026, 11, 29, 9, 30, 0)},
		{"Someday, 45 Smarch 20xx 99:99", time.Time{}},
		{"Fri, 31 Feb 2026 09:30:00 +0900", time.Time{}},
		{"", time.Time{}},
		{"Mon, 01 Jan 1900 00:00:00 +0000", time.Time{}},
	}
	for _, tc := range tests {
		if got := parseDate(tc.in); !got.Equal(tc.want) {
			t.Errorf("parseDate(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestReadHeader(t *testing.T) {
	tests := []struct {
		name          string
		in            string
		wantFields    []string
		wantBody      string
		wantMalformed int
		wantNoBlank   bool
	}{
		{"plain", "A: 1\r\nB: 2\r\n\r\nbody", []string{"A", "B"}, "body", 0, false},
		{"folded", "A: 1\r\n  more\r\nB: 2\r\n\r\nbody", []string{"A", "B"}, "body", 0, false},
		{"mbox from line", "From x@y Fri Nov 29 09:30:00 2026\nSubject: s\n\nbody", []string{"Subject"}, "body", 0, false},
		{"mbox from line between fields", "Received: x\nFrom x@y Fri Nov 29 09:30:00 2026\nSubject: s\n\nbody", []string{"Received", "Subject"}, "body", 0, false},
		{"stray line before known field", "From: a\nnot a header\nTo: b\n\nbody", []string{"From", "To"}, "body", 1, false},
		{"broken field at the end", "From: a\nX-Broken-Field no colon\n\nbody", []string{"From"}, "body", 1, false},
		{"no blank line", "From: a\nHello there\nsecond line\n", []string{"From"}, "Hello there\nsecond line\n", 0, true},
		{"header only", "From: a\nTo: b", []string{"From", "To"}, "", 0, false},
		{"space before colon", "Subject : s\n\nbody", []string{"Subject"}, "body", 0, false},
		{"leading blank lines", "\n\nFrom: a\n\nbody", []string{"From"}, "body", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hb := readHeader([]byte(tc.in), true)
			var names []string
			for _, f := range hb.h {
				names = append(names, string(f.name))
			}
			if !cmp.Equal(names, tc.wantFields) || string(hb.body) != tc.wantBody || hb.malformed != tc.wantMalformed || hb.noBlank != tc.wantNoBlank {
				t.Errorf("readHeader(%q) = fields %q, body %q, malformed %d, noBlank %v; want %q, %q, %d, %v",
					tc.in, names, hb.body, hb.malformed, hb.noBlank, tc.wantFields, tc.wantBody, tc.wantMalformed, tc.wantNoBlank)
			}
		})
	}
	hb := readHeader([]byte("Subject: a\r\n b\r\n\tc\r\n\r\n"), true)
	if got := unfold(hb.h[0].value); got != "a b c" {
		t.Errorf("unfold(folded Subject) = %q, want %q", got, "a b c")
	}
}

func TestSplitMultipart(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		boundary   string
		want       []string
		wantClosed bool
		wantFound  bool
	}{
		{"crlf", "pre\r\n--b\r\nA\r\n--b\r\nB\r\n--b--\r\nepi", "b", []string{"A", "B"}, true, true},
		{"lf", "--b\nA\n--b\nB\n--b--\n", "b", []string{"A", "B"}, true, true},
		{"trailing blanks", "--b  \nA\n--b--\t\n", "b", []string{"A"}, true, true},
		{"longer boundary is not ours", "--b\nA\n--bc\nstill A\n--b--\n", "b", []string{"A\n--bc\nstill A"}, true, true},
		{"not at line start", "--b\nA --b\n--b--", "b", []string{"A --b"}, true, true},
		{"unclosed", "--b\nA\n--b\nB", "b", []string{"A", "B"}, false, true},
		{"absent", "no delimiters", "b", nil, false, false},
		{"empty boundary", "--\nA\n", "", nil, false, false},
	}
	for _, tc := range tests {
		parts, closed, found := splitMultipart([]byte(tc.body), tc.boundary)
		var got []string
		for _, p := range parts {
			got = append(got, string(p))
		}
		if !cmp.Equal(got, tc.want) || closed != tc.wantClosed || found != tc.wantFound {
			t.Errorf("%s: splitMultipart(%q, %q) = %q, %v, %v; want %q, %v, %v", tc.name, tc.body, tc.boundary, got, closed, found, tc.want, tc.wantClosed, tc.wantFound)
		}
	}
}

func TestWebURL(t *testing.T) {
	for href, want := range map[string]bool{
		"https://example.jp/x":   true,
		"HTTP://EXAMPLE.JP":      true,
		"ftp://example.jp/f":     true,
		"//example.jp/x":         true,
		"www.example.jp/login":   true,
		"mailto:a@example.jp":    false,
		"tel:0120-000-000":       false,
		"javascript:alert(1)":    false,
		"cid:logo":               false,
		"#top":                   false,
		"":                       false,
		"relative/path.html":     false,
		"data:text/html;base64,": false,
	} {
		if got := webURL(href); got != want {
			t.Errorf("webURL(%q) = %v, want %v", href, got, want)
		}
	}
}

// FuzzDecodeText drives the charset layer directly: whatever the bytes and
// the label, the result is valid UTF-8 and nothing panics.
func FuzzDecodeText(f *testing.F) {
	const ja = "お客様のアカウントを確認し、ギフト券を購入してください"
	for _, label := range []string{"", "iso-2022-jp", "shift_jis", "cp932", "euc-jp", "utf-8", "us-ascii", "iso-8859-1", "gb2312", "x-unknown"} {
		f.Add([]byte(jisT(ja)), label)
		f.Add([]byte(sjisT(ja)), label)
		f.Add([]byte(eucjpT(ja)), label)
		f.Add([]byte(ja), label)
	}
	f.Add([]byte(toJIS+"$\"\x0e12\x0f"+esc+"$(D\x80\xff"+esc), "iso-2022-jp")
	f.Fuzz(func(t *testing.T, b []byte, label string) {
		for _, hint := range []csKind{csNone, csShiftJIS, csEUCJP, csUTF8, csLatin} {
			s, bad := decodeText(b, label, hint)
			if !utf8.ValidString(s) {
				t.Fatalf("decodeText(%q, %q, %d) = %q, not valid UTF-8", b, label, hint, s)
			}
			if bad != strings.Count(s, "\uFFFD") {
				t.Fatalf("decodeText(%q, %q) bad = %d, want the U+FFFD count %d", b, label, bad, strings.Count(s, "\uFFFD"))
			}
		}
		if s := decodeWords(string(b), charsetHint{kind: csShiftJIS, label: label}); !utf8.ValidString(s) && utf8.Valid(b) {
			t.Fatalf("decodeWords(%q) = %q, not valid UTF-8", b, s)
		}
	})
}
