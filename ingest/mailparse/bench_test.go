package mailparse_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

// htmlNewsletter builds a multipart/alternative mail of about 60 KB: a
// quoted-printable plain part and an HTML part with tables, styles, hidden
// preheader text and 100 links, as marketing mail looks.
func htmlNewsletter() []byte {
	var plain, html strings.Builder
	html.WriteString(`<html><head><style>td{font-family:sans-serif}</style></head><body>` +
		`<div style="display:none;max-height:0">今週のおすすめ</div><table>`)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&plain, "おすすめ商品 %d: 期間限定で20%%オフ。詳しくはウェブサイトをご覧ください。 https://shop.example/item/%d\n", i, i)
		fmt.Fprintf(&html, `<tr><td><img src="https://img.shop.example/%d.png" alt="商品%d"></td>`+
			`<td><p>おすすめ商品 %d: <b>期間限定</b>で20%%オフ。&nbsp;詳しくは<a href="https://shop.example/item/%d?utm_source=mail">ウェブサイト</a>をご覧ください。</p></td></tr>`, i, i, i, i)
	}
	html.WriteString(`</table></body></html>`)
	return eml([]string{
		"From: \"Example Shop\" <news@shop.example>",
		"To: hanako@example.jp",
		"Subject: " + bword("UTF-8", "今週のおすすめ"),
		"Date: Fri, 29 Nov 2026 18:00:00 +0900",
		"MIME-Version: 1.0",
		"Content-Type: multipart/alternative; boundary=\"NL\"",
	}, "--NL\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"+
		qp(plain.String())+"\n--NL\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"+
		b64(html.String())+"\n--NL--\n")
}

func benchParse(b *testing.B, mails [][]byte) {
	total := 0
	for _, m := range mails {
		total += len(m)
	}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	for b.Loop() {
		for _, m := range mails {
			if _, err := mailparse.Parse(m); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParse measures Parse on a Japanese ISO-2022-JP lure, a
// multipart HTML newsletter, a 25 MB mail with an attachment, and the
// whole CSDMC2010 training corpus (one op = all 4,327 mails).
func BenchmarkParse(b *testing.B) {
	jp, err := os.ReadFile(filepath.Join("testdata", "iso2022jp_lure.eml"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("iso2022jp", func(b *testing.B) { benchParse(b, [][]byte{jp}) })
	b.Run("multipart_html", func(b *testing.B) { benchParse(b, [][]byte{htmlNewsletter()}) })
	b.Run("25MB_attachment", func(b *testing.B) {
		benchParse(b, [][]byte{bigMail("コンビニでギフト券を買ってください。", 18_750_000)})
	})
	b.Run("csdmc2010", func(b *testing.B) {
		files := corpusFiles(b)
		mails := make([][]byte, 0, len(files))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			mails = append(mails, raw)
		}
		benchParse(b, mails)
	})
}

func BenchmarkHTMLText(b *testing.B) {
	msg, err := mailparse.Parse(htmlNewsletter())
	if err != nil || len(msg.Links) == 0 {
		b.Fatalf("newsletter did not parse: %v", err)
	}
	var html strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&html, `<tr><td><p>おすすめ商品 %d: <b>期間限定</b>で20%%オフ。<a href="https://shop.example/item/%d">ウェブサイト</a></p></td></tr>`, i, i)
	}
	s := html.String()
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		mailparse.HTMLText(s)
	}
}
