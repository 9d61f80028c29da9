package mailparse_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

// fuzzSeeds are real-world-shaped Japanese mails with broken headers and
// wrong charsets, on top of the fixture files.
func fuzzSeeds() [][]byte {
	lure := "コンビニでAmazonギフト券を購入し、番号を返信してください。"
	seeds := []string{
		// ISO-2022-JP declared, Shift_JIS subject and body, folded From.
		"From: \"" + sjis("アマゾン") + "\"\r\n <info@amaz0n.example>\r\nSubject: " + sjis("重要") +
			"\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + sjis(lure),
		// Encoded word cut short, charset with language, broken date.
		"Subject: =?ISO-2022-JP?B?" + strings.TrimRight(bword("ISO-2022-JP", jis(lure))[len("=?ISO-2022-JP?B?"):], "?=") +
			"\r\nFrom: =?utf-8*ja?Q?=E3=81=82?= <a@example.jp>\r\nDate: 2026/11/29 (金) 9:30\r\n\r\nbody",
		// Multipart whose boundary is wrong, base64 with junk, EUC-JP undeclared.
		"Content-Type: multipart/alternative; boundary=\"x\"\r\nFrom: a@example.jp\r\n\r\n--y\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n" + b64(eucjp(lure))[:20] + "!!\r\n--y--\r\n",
		// HTML part with meta charset only, hidden text and a mismatched link.
		"From: a@example.jp\r\nContent-Type: text/html\r\n\r\n<meta charset=\"shift_jis\"><p>" + sjis(lure) +
			"<a href=\"http://evil.example\">https://www.amazon.co.jp</a><div style=display:none>" + sjis("隠し") + "</div>",
		// Nested message/rfc822 in quoted-printable, RFC 2231 file name.
		"From: a@example.jp\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: message/rfc822\r\n" +
			"Content-Transfer-Encoding: quoted-printable\r\n\r\nSubject: =3D?utf-8?B?44GC?=3D\r\n\r\ninner=\r\n body\r\n--B\r\n" +
			"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*0*=iso-2022-jp''%1B%24B; filename*1*=%25%22%1B%28B.pdf\r\n\r\n%PDF\r\n--B--",
		// Authentication-Results, folded with comments, first of two.
		"Authentication-Results: mx.example.jp (\r\n comment); spf=fail smtp.mailfrom=x@spam.example;\r\n dkim=pass header.d=a.example\r\n" +
			"Authentication-Results: forged; spf=pass\r\nFrom: x@spam.example\r\n\r\n" + jis(lure),
		// Lone CR line ends, mbox From line, BOM.
		"\ufeffFrom x@y Fri Nov 29 09:30:00 2026\rFrom: a@example.jp\rSubject: cr\r\r" + lure,
		"", "From:", "From: a\r\n\r\n", "Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\n--a\r\n--a--",
	}
	out := make([][]byte, 0, len(seeds))
	for _, s := range seeds {
		out = append(out, []byte(s))
	}
	return out
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := mailparse.Parse(raw)
		if err != nil && !errors.Is(err, mailparse.ErrNotMessage) {
			t.Fatalf("Parse error = %v, want nil or ErrNotMessage", err)
		}
		checkMessage(t, "fuzz input", raw, msg)
		if len(msg.Text) > mailparse.MaxTextBytes {
			t.Errorf("Parse().Text is %d bytes, over MaxTextBytes", len(msg.Text))
		}
	})
}

func FuzzHTMLText(f *testing.F) {
	for _, tc := range htmlCases {
		f.Add(tc.in)
	}
	f.Add(`<a href="x"><div style="display:none"><a href="y">z</div></a><p style="font-size:0">q<td>r`)
	f.Fuzz(func(t *testing.T, in string) {
		text, links := mailparse.HTMLText(in)
		if !utf8.ValidString(text) {
			t.Errorf("HTMLText(%q) text %q is not valid UTF-8", in, text)
		}
		if strings.TrimSpace(text) != text || strings.Contains(text, "\n\n") || strings.Contains(text, "  ") {
			t.Errorf("HTMLText(%q) text %q has uncollapsed whitespace", in, text)
		}
		for _, l := range links {
			if !utf8.ValidString(l.Href) || !utf8.ValidString(l.Text) {
				t.Errorf("HTMLText(%q) link %q is not valid UTF-8", in, l)
			}
			if l.Href == "" || strings.TrimSpace(l.Href) != l.Href {
				t.Errorf("HTMLText(%q) link href %q is empty or untrimmed", in, l.Href)
			}
		}
	})
}

func FuzzParseAuthResults(f *testing.F) {
	for _, tc := range authResultsCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		a, err := mailparse.ParseAuthResults(in)
		if err != nil && !errors.Is(err, mailparse.ErrAuthResults) {
			t.Fatalf("ParseAuthResults(%q) error = %v, want ErrAuthResults", in, err)
		}
		if err == nil && a == nil {
			t.Fatalf("ParseAuthResults(%q) = nil, nil", in)
		}
		if a == nil {
			return
		}
		results := []string{a.SPF, a.DMARC}
		for _, d := range a.DKIM {
			results = append(results, d.Result)
		}
		for _, r := range results {
			if strings.Trim(r, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Errorf("ParseAuthResults(%q) result %q is not a lower-case token", in, r)
			}
		}
		walkStrings(reflect.ValueOf(a), "auth", func(path, s string) {
			if !utf8.ValidString(s) {
				t.Errorf("ParseAuthResults(%q): %s = %q is not valid UTF-8", in, path, s)
			}
		})
	})
}
