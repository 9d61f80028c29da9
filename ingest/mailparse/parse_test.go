package mailparse_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

// view is the part of a parsed message a fixture pins down.
type view struct {
	From        event.Address
	To          []event.Address
	Subject     string
	ReceivedAt  time.Time
	Text        string
	Links       []event.Link
	URLs        []string
	Attachments []event.Attachment
	ParseError  string
}

func viewOf(m *event.Message) view {
	return view{
		From: m.From, To: m.To, Subject: m.Subject, ReceivedAt: m.ReceivedAt, Text: m.Text,
		Links: m.Links, URLs: m.URLs, Attachments: m.Attachments, ParseError: m.ParseError,
	}
}

func jst(day, hour, min int) time.Time {
	return time.Date(2026, 11, day, hour, min, 0, 0, time.FixedZone("JST", 9*3600)).UTC()
}

var hanako = []event.Address{{Addr: "hanako@example.jp"}}

const lureText = "Amazonをご利用いただきありがとうございます。\nお客様のアカウントで不審なログインを確認しました。\n解除するにはコンビニでAmazonギフト券5万円分を購入し、\n裏面の番号をこのメールに返信してください。\n本日中にご対応がない場合、アカウントは削除されます。"

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file string
		want view
	}{
		{"iso2022jp_lure.eml", view{
			From: event.Address{Name: "アマゾン", Addr: "info@amaz0n-security.top"}, To: hanako,
			Subject: "【重要】お客様のアカウントを一時停止しました", ReceivedAt: jst(29, 9, 30), Text: lureText,
		}},
		{"iso2022jp_shipping.eml", view{
			From: event.Address{Name: "ヤマト運輸", Addr: "info@kuronekoyamato.example"},
			To:   []event.Address{{Name: "山田 花子", Addr: "hanako@example.jp"}},
			// "JST" read as +0900, not as UTC.
			Subject: "お荷物お届けのお知らせ", ReceivedAt: jst(28, 18, 0),
			Text: "いつもご利用いただきありがとうございます。\nご注文の商品を発送しました。\nお届け予定日：11月30日（土）\n配送業者：ヤマト運輸",
		}},
		{"sjis_cp932.eml", view{
			From: event.Address{Addr: "billing@unpaid-notice.example"}, To: hanako,
			Subject: "【未払い】①ご請求のお知らせ", ReceivedAt: jst(29, 10, 0),
			Text: "①本日中にお支払いください\n㈱アマゾンジャパン合同会社 カスタマーサービス\n未払い料金：３０，０００円",
		}},
		{"eucjp.eml", view{
			From: event.Address{Addr: "support@example.jp"}, To: hanako,
			Subject: "パスワード再設定のお願い", ReceivedAt: jst(29, 11, 0),
			Text: "パスワードの有効期限が切れました。\n下記より再設定してください。",
		}},
		{"utf8_base64.eml", view{
			From: event.Address{Name: "三井住友カード", Addr: "info@smbc-card.example.top"}, To: hanako,
			Subject: "ご利用確認のお願い", ReceivedAt: jst(29, 12, 0),
			Text: "不正利用の可能性があるため、カードのご利用を制限しました。\nお手数ですがご本人確認をお願いします。",
		}},
		{"utf8_qp.eml", view{
			From: event.Address{Name: "Taro Yamada", Addr: "taro@example.jp"}, To: hanako,
			Subject: "明日の予定", ReceivedAt: jst(29, 13, 0),
			Text: "お母さんへ\n明日は10時に迎えに行きます。駅前のコンビニの前で待っていてください。よろしくお願いします。 = 太郎",
		}},
		{"mislabelled_iso2022jp_is_sjis.eml", view{
			From: event.Address{Addr: "support@example.top"}, To: hanako,
			Subject: "ギフト券のご案内", ReceivedAt: jst(29, 14, 0), Text: lureText,
		}},
		{"missing_charset_sjis.eml", view{
			From: event.Address{Addr: "support@example.top"}, To: hanako,
			Subject: "notice", ReceivedAt: jst(29, 15, 0), Text: lureText,
		}},
		{"missing_content_type_eucjp.eml", view{
			From: event.Address{Addr: "support@example.top"}, To: hanako,
			Subject: "notice", ReceivedAt: jst(29, 15, 30), Text: lureText,
		}},
		{"raw_sjis_subject.eml", view{
			From: event.Address{Name: "アマゾン", Addr: "info@amaz0n.example.top"}, To: hanako,
			Subject: "ギフト券購入のお願い", ReceivedAt: jst(29, 16, 0), Text: lureText,
		}},
		{"raw_eucjp_subject.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako,
			Subject: "未払い料金のお知らせ", ReceivedAt: jst(29, 16, 30), Text: "Please pay today.",
		}},
		{"raw_utf8_subject.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako,
			Subject: "未払い料金のお知らせ", ReceivedAt: jst(29, 16, 45), Text: "Please pay today.",
		}},
		{"folded_encoded_words.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako,
			Subject:    "【重要】Amazonアカウント停止のお知らせ：本日中にギフト券でお支払いください",
			ReceivedAt: jst(29, 17, 0), Text: "本文です。",
		}},
		{"folded_encoded_words_split_jis.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako,
			Subject:    "【重要】Amazonアカウント停止のお知らせ：本日中にギフト券でお支払いください",
			ReceivedAt: jst(29, 17, 10), Text: "本文です。",
		}},
		{"folded_encoded_words_split_utf8.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako,
			Subject: "ギフト券の番号を送ってください", ReceivedAt: jst(29, 17, 20), Text: "本文です。",
		}},
		{"multipart_alternative.eml", view{
			From: event.Address{Name: "Example Shop", Addr: "news@shop.example"}, To: hanako,
			Subject: "Weekly offers", ReceivedAt: time.Date(2026, 11, 29, 18, 0, 0, 0, time.UTC),
			// The plain alternative wins; the HTML one still gives its links.
			Text:  "Hello Hanako,\nThis week's offers are on our site: https://shop.example/offers\nKind regards, Example Shop",
			Links: []event.Link{{Href: "https://shop.example/offers", Text: "on our site"}},
			URLs:  []string{"https://shop.example/offers"},
		}},
		{"alternative_stub_plain.eml", view{
			From: event.Address{Addr: "info@amaz0n-jp.example.top"}, To: hanako,
			Subject: "アカウント確認", ReceivedAt: jst(29, 19, 0),
			// The plain part is a stub: the HTML text is used.
			Text:  "お客様のアカウントがロックされました。\nコンビニでギフト券を購入し、番号を返信してください。\nアカウントを確認する",
			Links: []event.Link{{Href: "http://amaz0n-jp.example.top/verify", Text: "アカウントを確認する"}},
			URLs:  []string{"http://amaz0n-jp.example.top/verify"},
		}},
		{"html_only_link_mismatch.eml", view{
			From: event.Address{Name: "Amazon.co.jp", Addr: "no-reply@amaz0n-jp.example.top"}, To: hanako,
			Subject: "アカウントの確認", ReceivedAt: jst(29, 20, 0),
			Text: "以下のリンクからログインしてください。\nhttps://www.amazon.co.jp/\nご不明な点はこちらまで。\n© Amazon & Co.",
			Links: []event.Link{
				{Href: "http://amaz0n-jp.example.top/login?id=1", Text: "https://www.amazon.co.jp/"},
				{Href: "mailto:support@amaz0n-jp.example.top", Text: "こちら"},
				{Href: "http://amaz0n-jp.example.top/map", Text: "地図"},
				{Href: "http://amaz0n-jp.example.top/post"},
			},
			URLs: []string{"http://amaz0n-jp.example.top/login?id=1", "http://amaz0n-jp.example.top/map", "http://amaz0n-jp.example.top/post"},
		}},
		{"nested_mixed_attachment.eml", view{
			From: event.Address{Name: "Tax Office", Addr: "notice@nta-go-jp.example.top"}, To: hanako,
			Subject: "税金の還付", ReceivedAt: jst(29, 21, 0),
			// The HTML alternative says something else (a link to act on):
			// both are screened, the plain text first.
			Text:  "還付金があります。添付の書類をご確認ください。\n\n還付金があります。手続きはこちら",
			Links: []event.Link{{Href: "http://nta-go-jp.example.top/refund", Text: "手続きはこちら"}},
			URLs:  []string{"http://nta-go-jp.example.top/refund"},
			Attachments: []event.Attachment{
				{Type: "image/png", Size: 12},
				{Name: "還付書類.pdf", Type: "application/pdf", Size: 5200},
				{Name: "請求書.zip", Type: "application/octet-stream", Size: 14},
			},
		}},
		{"broken_nonheader_line.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "broken header",
			Text: "ギフトカードの番号を教えてください。", ParseError: "malformed header lines skipped",
		}},
		{"broken_multipart_no_boundary.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "no boundary",
			Text: "境界が指定されていないメールです。", ParseError: "multipart boundary missing or wrong, guessed",
		}},
		{"broken_multipart_unfindable.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "boundary never appears",
			Text:       "ここをクリック",
			Links:      []event.Link{{Href: "http://evil.example.top/x", Text: "クリック"}},
			URLs:       []string{"http://evil.example.top/x"},
			ParseError: "multipart boundary missing or not found, body read as text",
		}},
		{"broken_truncated_multipart.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "truncated",
			Text:        "途中で切れたメールでも本文は読めます。",
			Attachments: []event.Attachment{{Type: "application/octet-stream", Size: 6}},
			ParseError:  "multipart not closed (truncated)",
		}},
		{"broken_bad_base64.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "bad base64",
			Text: "前半は読めます。後半も読めます。", ParseError: "bad base64, decoded what could be",
		}},
		{"broken_base64_footer.eml", view{
			// The clear-text list footer is kept as text, not decoded as base64.
			From: event.Address{Addr: "info@example.top"}, To: []event.Address{{Addr: "list@lists.example"}}, Subject: "footer after base64",
			Text: "ギフト券の番号を送ってください。\n--DeathToSpam--\n\n_______________\nExample-Talk mailing list\nhttps://lists.example/listinfo/talk",
		}},
		{"broken_base64_is_plain.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "not base64 at all",
			Text: "これは base64 ではありません。ギフト券を買ってください。", ParseError: "transfer encoding does not match content, read as is",
		}},
		{"broken_bare_lf.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "bare LF",
			Text: "改行がLFだけのメール。\n二行目。",
		}},
		{"broken_no_blank_line.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "no blank line",
			Text: "すぐに本文が始まります。\n二行目です。", ParseError: "no blank line after header",
		}},
		{"broken_from_date.eml", view{
			// No address: the name is kept, the date is zero.
			From: event.Address{Name: "Amazon Support"}, To: hanako, Subject: "bad from and date",
			Text: "hello", ParseError: "from: no address",
		}},
		{"broken_unknown_cte_charset.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "unknown things",
			Text: lureText, ParseError: "unknown transfer encoding, read as is",
		}},
		{"broken_mislabelled_utf8_is_eucjp.eml", view{
			From: event.Address{Addr: "info@example.top"}, To: hanako, Subject: "mislabelled", Text: lureText,
		}},
		{"western_latin1.eml", view{
			From: event.Address{Name: "René Dupont", Addr: "rene@example.fr"}, To: hanako,
			Subject: "Café crème", ReceivedAt: time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC),
			Text: "Le café crème coûte 3 €, à bientôt.",
		}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(strings.TrimSuffix(tc.file, ".eml"), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			msg, err := mailparse.Parse(raw)
			if err != nil {
				t.Fatalf("Parse(%s) error = %v, want nil", tc.file, err)
			}
			checkMessage(t, tc.file, raw, msg)
			if d := cmp.Diff(tc.want, viewOf(msg)); d != "" {
				t.Errorf("Parse(%s) mismatch (-want +got):\n%s", tc.file, d)
			}
		})
	}
	files, _ := filepath.Glob("testdata/*.eml")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("fixture %s has no expectation in TestParseFixtures", f)
		}
	}
}

// TestParseEvidence checks Auth and the evidence headers of the lure.
func TestParseEvidence(t *testing.T) {
	raw, err := os.ReadFile("testdata/iso2022jp_lure.eml")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mailparse.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The top-most Authentication-Results is the receiving server's; the
	// second one was forged by the sender and is ignored.
	wantAuth := &event.Auth{
		AuthServ: "mx.example.jp", SPF: "softfail", SPFDomain: "amaz0n-security.top",
		DKIM: []event.DKIMResult{{Result: "none"}}, DMARC: "fail", DMARCDomain: "amaz0n-security.top",
	}
	if d := cmp.Diff(wantAuth, msg.Auth); d != "" {
		t.Errorf("Parse(iso2022jp_lure).Auth mismatch (-want +got):\n%s", d)
	}
	wantHeaders := map[string][]string{
		"Message-Id":                  {"<lure-1@amaz0n-security.top>"},
		"Date":                        {"Fri, 29 Nov 2026 09:30:00 +0900"},
		"Return-Path":                 {"<bounce@amaz0n-security.top>"},
		"X-Mailer":                    {"秀丸メール"},
		mailparse.ReceivedCountHeader: {"2"},
	}
	if d := cmp.Diff(wantHeaders, msg.Headers); d != "" {
		t.Errorf("Parse(iso2022jp_lure).Headers mismatch (-want +got):\n%s", d)
	}
}

func TestParseNotMessage(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantText string
		wantURLs []string
	}{
		{"empty", "", "", nil},
		{"blank", " \r\n\t\n", "", nil},
		{"json", `{"id": "x", "body": "ギフト券を買って"}`, `{"id": "x", "body": "ギフト券を買って"}`, nil},
		{"binary", "\x00\x01\x02PK\x03\x04 some text", "PK some text", nil},
		{"html document", `<!DOCTYPE html><html><body><p>Click <a href="http://evil.example/x">here</a></p></body></html>`, "Click here", []string{"http://evil.example/x"}},
		{"plain text", "Hello mother,\nplease buy gift cards.\n", "Hello mother,\nplease buy gift cards.", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := mailparse.Parse([]byte(tc.in))
			if !errors.Is(err, mailparse.ErrNotMessage) {
				t.Fatalf("Parse(%q) error = %v, want ErrNotMessage", tc.in, err)
			}
			checkMessage(t, tc.name, []byte(tc.in), msg)
			if msg.Text != tc.wantText {
				t.Errorf("Parse(%q).Text = %q, want %q", tc.in, msg.Text, tc.wantText)
			}
			if d := cmp.Diff(tc.wantURLs, msg.URLs); d != "" {
				t.Errorf("Parse(%q).URLs mismatch (-want +got):\n%s", tc.in, d)
			}
			if msg.ParseError == "" {
				t.Errorf("Parse(%q).ParseError is empty, want the reason", tc.in)
			}
			if strings.Contains(err.Error(), "ギフト") || strings.Contains(err.Error(), "evil") {
				t.Errorf("Parse(%q) error %q quotes the input", tc.in, err)
			}
		})
	}
}

// TestParseConcurrent runs Parse from many goroutines (meaningful with
// -race): Parse keeps no shared mutable state.
func TestParseConcurrent(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.eml")
	var raws [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, raw)
	}
	want := make([]string, len(raws))
	for i, raw := range raws {
		m, _ := mailparse.Parse(raw)
		want[i] = m.Subject + "|" + m.Text
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(raws))
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i, raw := range raws {
				m, _ := mailparse.Parse(raw)
				if got := m.Subject + "|" + m.Text; got != want[i] {
					errs <- files[i]
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for f := range errs {
		t.Errorf("Parse(%s) gave a different result when run concurrently", f)
	}
}

// TestAlternativeHiddenLure checks that a harmless plain part cannot hide
// an HTML lure, while an ordinary plain/HTML pair is read once.
func TestAlternativeHiddenLure(t *testing.T) {
	mail := func(plain, html string) []byte {
		return []byte("From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=B\r\n\r\n" +
			"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + plain + "\r\n" +
			"--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n--B--\r\n")
	}
	m, err := mailparse.Parse(mail("Thank you for your order. Your parcel ships tomorrow.",
		"<p>アカウントがロックされました。解除するにはギフト券を購入し、番号を送ってください。</p>"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "Thank you for your order") || !strings.Contains(m.Text, "ギフト券を購入し") {
		t.Errorf("Text = %q, want both alternatives", m.Text)
	}
	m, _ = mailparse.Parse(mail("Hello Hanako, this week's offers are on our site.", "<p>Hello <b>Hanako</b>, this week's offers are <a href='https://shop.example/'>on our site</a>.</p>"))
	if strings.Count(m.Text, "offers") != 1 {
		t.Errorf("Text = %q, want the plain alternative once", m.Text)
	}
}
