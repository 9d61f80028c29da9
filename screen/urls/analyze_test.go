package urls_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/urls"
)

// sig is the compact form of a Signal in test tables: "kind", "kind:Brand",
// "kind:Brand@detail" or "kind@detail".
func sig(s urls.Signal) string {
	out := s.Kind.String()
	if s.Brand != "" {
		out += ":" + s.Brand
	}
	return out + "@" + s.Detail
}

func sigs(ss []urls.Signal) []string {
	var out []string
	for _, s := range ss {
		out = append(out, sig(s))
	}
	return out
}

func analyzeText(a *urls.Analyzer, text string) []string {
	return sigs(a.Analyze(urls.Extract(text, nil), nil, nil))
}

func TestAnalyzeText(t *testing.T) {
	a := loadAnalyzer(t)
	tests := []struct {
		name string
		text string
		want []string
	}{
		// Genuine: nothing at all.
		{"genuine amazon", "https://www.amazon.co.jp/gp/css/order-history", nil},
		{"genuine subdomain", "https://pay.amazon.co.jp/x and https://direct.bk.mufg.jp/login", nil},
		{"genuine bare", "Amazon.co.jp をご利用いただきありがとうございます", nil},
		{"genuine shortener of a brand", "https://amzn.asia/d/abc https://amzn.to/3xyz https://lin.ee/abc", nil},
		{"genuine e-mail domain", "taro@gmail.com info@mail.rakuten.co.jp", nil},
		{"genuine obfuscated is still genuine", "ｈｔｔｐｓ：／／ａｍａｚｏｎ．ｃｏ．ｊｐ", nil},

		// Look-alikes.
		{"brand plus filler words", "amazon-co-jp-login.com",
			[]string{"lookalike_domain:Amazon@amazon-co-jp-login.com"}},
		{"brand glued to filler", "https://amazonsecure.top/",
			[]string{"risky_tld@top", "lookalike_domain:Amazon@amazonsecure.top"}},
		{"longer token wins", "rakuten-card-jp.com smbc-card-jp.com",
			[]string{"lookalike_domain:Rakuten Card@rakuten-card-jp.com", "lookalike_domain:Mitsui Sumitomo Card@smbc-card-jp.com"}},
		{"rn for m", "arnazon.co.jp", []string{"lookalike_domain:Amazon@arnazon.co.jp"}},
		{"digit swap", "amaz0n.com rakuten-1ogin.com", []string{"lookalike_domain:Amazon@amaz0n.com", "lookalike_domain:Rakuten@rakuten-1ogin.com"}},
		{"one typo", "amazom.com mercarii.jp", []string{"lookalike_domain:Amazon@amazom.com", "lookalike_domain:Mercari@mercarii.jp"}},
		{"transposition", "https://rakuetn.co.jp/", []string{"lookalike_domain:Rakuten@rakuetn.co.jp"}},
		{"short token needs an exact skeleton", "jcb-login.top mufq.jp",
			[]string{"risky_tld@top", "lookalike_domain:JCB@jcb-login.top"}},
		{"random companion part", "amazon-xk3q.com", []string{"lookalike_domain:Amazon@amazon-xk3q.com"}},
		{"cyrillic homograph", "pаypal.com",
			[]string{"punycode_host@xn--pypal-4ve.com", "mixed_script@xn--pypal-4ve.com", "lookalike_domain:PayPal@xn--pypal-4ve.com"}},
		{"cyrillic with one latin letter", "https://раураl.com/",
			[]string{"punycode_host@xn--l-7sba6dbr.com", "mixed_script@xn--l-7sba6dbr.com", "lookalike_domain:PayPal@xn--l-7sba6dbr.com"}},
		{"whole-script cyrillic", "https://раураӏ.com/",
			[]string{"punycode_host@xn--80aa0cbo65f.com", "lookalike_domain:PayPal@xn--80aa0cbo65f.com"}},
		{"punycode written out", "https://xn--mazon-3ve.com/",
			[]string{"punycode_host@xn--mazon-3ve.com", "mixed_script@xn--mazon-3ve.com", "lookalike_domain:Amazon@xn--mazon-3ve.com"}},
		{"small capitals", "https://ᴀmazon.com/",
			[]string{"punycode_host@xn--mazon-0z9a.com", "lookalike_domain:Amazon@xn--mazon-0z9a.com"}},
		{"look-alike under a private suffix", "https://amazon-login.web.app/",
			[]string{"free_host@web.app", "lookalike_domain:Amazon@amazon-login.web.app"}},
		{"look-alike e-mail domain", "連絡 support@amaz0n-jp.com",
			[]string{"lookalike_domain:Amazon@amaz0n-jp.com"}},

		// Not look-alikes.
		{"brand next to ordinary words", "apple-pie-recipes.com amazon-adsystem.com pineapple.com online-shop.jp aeonmall.com", nil},
		{"everyday word one typo away", "apply.com", nil},
		{"unrelated domains", "https://www.yahoo.co.jp/ https://example.com/ https://www.city.yokohama.lg.jp/", nil},

		// Brand in subdomain.
		{"genuine domain as subdomain", "https://amazon.co.jp.secure-login.top/",
			[]string{"risky_tld@top", "brand_in_subdomain:Amazon@secure-login.top"}},
		{"domain glued with hyphen", "www.amazon.co.jp-account.info",
			[]string{"brand_in_subdomain:Amazon@jp-account.info"}},
		{"token label", "http://amazon.rnk8lltc.cn/jp",
			[]string{"risky_tld@cn", "brand_in_subdomain:Amazon@rnk8lltc.cn"}},
		{"token in s3 bucket name", "https://amazon-jp.s3.ap-northeast-1.amazonaws.com/index.html",
			[]string{"free_host@s3.amazonaws.com", "lookalike_domain:Amazon@amazon-jp.s3.ap-northeast-1.amazonaws.com"}},

		// Brand in path.
		{"brand in path", "http://secure-check.net/amazon/signin",
			[]string{"brand_in_path:Amazon@secure-check.net"}},
		{"no brand in path", "http://secure-check.net/account/signin", nil},

		// Host kinds.
		{"ip host", "http://192.0.2.7/login", []string{"ip_host@192.0.2.7"}},
		{"numeric ip host", "http://3221225991/login",
			[]string{"ip_host@192.0.2.7", "obfuscated_url@numeric_ip"}},
		{"shortener", "https://bit.ly/3abc and qr.paps.jp/xyz", []string{"shortener@bit.ly", "shortener@paps.jp"}},
		{"free host", "https://my-page.netlify.app/ https://abc.github.io/",
			[]string{"free_host@netlify.app", "free_host@github.io"}},
		{"amazonaws api host is not free hosting", "https://abc.execute-api.us-east-1.amazonaws.com/prod", nil},
		{"translate proxy", "https://evil-top.translate.goog/?_x_tr_sl=auto", []string{"redirect@evil-top.translate.goog"}},
		{"google open redirect", "https://www.google.com/url?q=https://evil.top/", []string{"redirect@google.com"}},
		{"risky tld", "shop-deals.xyz", []string{"risky_tld@xyz"}},
		{"japanese idn", "https://例え.jp/", []string{"punycode_host@xn--r8jz45g.jp"}},
		{"obfuscated", "hxxps://evil[.]top/x", []string{"risky_tld@top", "obfuscated_url@scheme,dots"}},
		{"full width", "ｅｖｉｌ．ｃｏｍ／ｘ", []string{"mapping_changed@evil.com", "obfuscated_url@width"}},
		{"zero width", "exam\u200bple.com/x", []string{"mapping_changed@example.com"}},
		{"userinfo naming a brand", "https://www.amazon.co.jp@evil.top/",
			[]string{"risky_tld@top", "userinfo:Amazon@evil.top"}},
		{"userinfo", "https://user:pw@example.com/", []string{"userinfo@example.com"}},
		{"e-mail gets no url signals", "info@shop-deals.xyz", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := analyzeText(a, tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Analyze(Extract(%q)) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestAnalyzeLinks(t *testing.T) {
	a := loadAnalyzer(t)
	tests := []struct {
		name  string
		links []event.Link
		want  []string
	}{
		{"text names a brand domain", []event.Link{{Href: "https://amaz0n-security.top/login", Text: "amazon.co.jp"}},
			[]string{"risky_tld@top", "lookalike_domain:Amazon@amaz0n-security.top", "link_text_brand_mismatch:Amazon@amaz0n-security.top"}},
		{"text names a brand url", []event.Link{{Href: "https://login.example-secure.com/", Text: "https://www.rakuten.co.jp/mypage ログイン"}},
			[]string{"link_text_brand_mismatch:Rakuten@example-secure.com"}},
		{"text names another domain", []event.Link{{Href: "https://click.mailer-example.com/x", Text: "www.shop.jp"}},
			[]string{"link_text_mismatch@mailer-example.com"}},
		{"same registrable domain", []event.Link{{Href: "https://track.shop.jp/x?u=1", Text: "www.shop.jp"}}, nil},
		{"brand's own redirect", []event.Link{{Href: "https://www.amazon.com/gp/r.html?U=x", Text: "www.amazon.co.jp"}}, nil},
		{"brand's own shortener", []event.Link{{Href: "https://amzn.to/3abc", Text: "amazon.co.jp/dp/B0"}}, nil},
		{"shared group domain", []event.Link{{Href: "https://www.jp-bank.japanpost.jp/x", Text: "www.post.japanpost.jp"}}, nil},
		{"plain words", []event.Link{{Href: "https://evil.example/", Text: "こちらをクリック"}}, nil},
		{"genuine href", []event.Link{{Href: "https://www.amazon.co.jp/gp/css/order-history", Text: "注文履歴"}}, nil},
		{"mailto href", []event.Link{{Href: "mailto:taro@example.com", Text: "amazon.co.jp"}}, nil},
		{"sendgrid alone is fine", []event.Link{{Href: "https://u1.ct.sendgrid.net/ls/click?upn=x", Text: "セール"}}, nil},
		{"sendgrid with a brand imitation", []event.Link{
			{Href: "https://u1.ct.sendgrid.net/ls/click?upn=x", Text: "www.amazon.co.jp"},
		}, []string{"link_text_brand_mismatch:Amazon@sendgrid.net", "free_host@ct.sendgrid.net"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Analyze(nil, tt.links, nil)
			for _, s := range got {
				if !s.Link || s.Index < 0 || s.Index >= len(tt.links) {
					t.Errorf("Analyze(links) signal %s: Link %v Index %d, want an index into links", sig(s), s.Link, s.Index)
				}
			}
			if diff := cmp.Diff(tt.want, sigs(got)); diff != "" {
				t.Errorf("Analyze(nil, %+v) mismatch (-want +got):\n%s", tt.links, diff)
			}
		})
	}
}

func TestAnalyzeIndexes(t *testing.T) {
	a := loadAnalyzer(t)
	found := urls.Extract("ok https://www.amazon.co.jp/ then https://amaz0n.top/ and bit.ly/x", nil)
	links := []event.Link{{Href: "https://example.com/", Text: "hi"}, {Href: "https://192.0.2.1/"}}
	dst := []urls.Signal{{Detail: "keep"}}
	got := a.Analyze(found, links, dst)
	if got[0].Detail != "keep" {
		t.Fatalf("Analyze(..., dst) dropped dst[0]")
	}
	var where []string
	for _, s := range got[1:] {
		where = append(where, fmt.Sprintf("%s:%v:%d", s.Kind, s.Link, s.Index))
	}
	want := []string{"risky_tld:false:1", "lookalike_domain:false:1", "shortener:false:2", "ip_host:true:1"}
	if diff := cmp.Diff(want, where); diff != "" {
		t.Errorf("Analyze signal positions mismatch (-want +got):\n%s", diff)
	}
}

func TestAnalyzerOptions(t *testing.T) {
	brands := loadBrands(t)
	a, err := urls.NewAnalyzer(brands, urls.Options{
		Blocklist: map[string]struct{}{"Bad.Example.": {}, "*.evil.top": {}, "例え.jp": {}},
		Trusted:   map[string]struct{}{"my-isp.ne.jp": {}},
	})
	if err != nil {
		t.Fatalf("NewAnalyzer(options) = %v", err)
	}
	tests := []struct {
		text string
		want []string
	}{
		{"https://x.bad.example/", []string{"known_bad_domain@bad.example"}},
		{"https://bad.example/", []string{"known_bad_domain@bad.example"}},
		{"https://notbad.example/", nil},
		{"https://a.b.evil.top/", []string{"known_bad_domain@evil.top", "risky_tld@top"}},
		{"https://例え.jp/", []string{"known_bad_domain@xn--r8jz45g.jp", "punycode_host@xn--r8jz45g.jp"}},
		{"https://amazon-login.my-isp.ne.jp/", nil},
		{"https://amazon-login.other-isp.ne.jp/", []string{"brand_in_subdomain:Amazon@other-isp.ne.jp"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, analyzeText(a, tt.text)); diff != "" {
			t.Errorf("Analyze(Extract(%q)) mismatch (-want +got):\n%s", tt.text, diff)
		}
	}
	if _, err := urls.NewAnalyzer(brands, urls.Options{Blocklist: map[string]struct{}{"not a domain!": {}}}); err == nil {
		t.Errorf("NewAnalyzer(blocklist with %q) = nil error, want error", "not a domain!")
	}
}

func TestGenuine(t *testing.T) {
	a := loadAnalyzer(t)
	tests := []struct {
		domain string
		brand  string
	}{
		{"amazon.co.jp", "Amazon"},
		{"WWW.Amazon.CO.JP.", "Amazon"},
		{"bk.mufg.jp", "MUFG"},
		{"jp-bank.japanpost.jp", "Japan Post"},
		{"kojinbango-card.go.jp", "Digital Agency"},
		{"amazon-co-jp.com", ""},
		{"amazonaws.com", ""},
		{"co.jp", ""},
		{"", ""},
		{"not a domain", ""},
	}
	for _, tt := range tests {
		brand, ok := a.Genuine(tt.domain)
		if brand != tt.brand || ok != (tt.brand != "") {
			t.Errorf("Genuine(%q) = %q, %v, want %q", tt.domain, brand, ok, tt.brand)
		}
	}
	if !a.GenuineFor("Japan Post Bank", "jp-bank.japanpost.jp") {
		t.Errorf("GenuineFor(Japan Post Bank, jp-bank.japanpost.jp) = false, want true")
	}
	if a.GenuineFor("Amazon", "rakuten.co.jp") || a.GenuineFor("No Such Brand", "amazon.co.jp") {
		t.Errorf("GenuineFor gave true for a domain of another brand or an unknown brand")
	}
	for d, want := range map[string]bool{"gmail.com": true, "i.softbank.jp": true, "docomo.ne.jp": true, "google.com": false, "softbank.jp": false} {
		if got := a.Mailbox(d); got != want {
			t.Errorf("Mailbox(%q) = %v, want %v", d, got, want)
		}
	}
	if b, ok := a.BrandByName("amazon"); !ok || b.Name != "Amazon" || !slices.Contains(b.Domains, "amazon.co.jp") {
		t.Errorf("BrandByName(amazon) = %+v, %v, want the Amazon brand", b, ok)
	}
	if _, ok := a.BrandByName("nope"); ok {
		t.Errorf("BrandByName(nope) found a brand")
	}
	bs := a.Brands()
	bs[0].Name = "changed"
	if a.Brands()[0].Name == "changed" {
		t.Errorf("Brands() returned the analyzer's own slice")
	}
}

func TestGenuineUnderPrivateSuffix(t *testing.T) {
	// A brand domain with a private suffix below it: hosts under that
	// suffix belong to whoever registered them, not to the brand.
	brands := []urls.Brand{{Name: "Blogger", Kind: urls.BrandTech, Domains: []string{"blogspot.com"}, Tokens: []string{"blogger"}, Names: []string{"Blogger"}}}
	if _, err := urls.NewAnalyzer(brands, urls.Options{}); err == nil {
		t.Fatalf("NewAnalyzer(brand domain blogspot.com) = nil error, want error: it is a private suffix")
	}
	brands[0].Domains = []string{"github.com"}
	a, err := urls.NewAnalyzer(brands, urls.Options{})
	if err != nil {
		t.Fatalf("NewAnalyzer = %v", err)
	}
	if _, ok := a.Genuine("x.github.com"); !ok {
		t.Errorf("Genuine(x.github.com) = false, want true")
	}
}

func TestKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range urls.Kinds() {
		name := k.String()
		if name == "" || strings.HasPrefix(name, "Kind(") || seen[name] {
			t.Errorf("Kind %d has name %q (empty, unnamed or duplicate)", k, name)
		}
		seen[name] = true
		if got, ok := urls.ParseKind(name); !ok || got != k {
			t.Errorf("ParseKind(%q) = %v, %v, want %v", name, got, ok, k)
		}
	}
	if len(seen) != 16 {
		t.Errorf("Kinds() has %d kinds, want 16", len(seen))
	}
	if _, ok := urls.ParseKind("nope"); ok {
		t.Errorf("ParseKind(nope) = ok")
	}
	if got := urls.Kind(200).String(); got != "Kind(200)" {
		t.Errorf("Kind(200).String() = %q", got)
	}
}

func TestAnalyzerConcurrent(t *testing.T) {
	a := loadAnalyzer(t)
	found := urls.Extract("https://amaz0n.top/ https://www.amazon.co.jp/ bit.ly/x support@rakuten-card-jp.com", nil)
	want := sigs(a.Analyze(found, nil, nil))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := sigs(a.Analyze(found, nil, nil)); !slices.Equal(got, want) {
					t.Errorf("concurrent Analyze = %v, want %v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestAnalyzeAllocs(t *testing.T) {
	a := loadAnalyzer(t)
	found := urls.Extract("ログイン https://amaz0n-co-jp-login.com/ap/signin https://amazon.co.jp.evil.top/", nil)
	dst := make([]urls.Signal, 0, 16)
	if n := testing.AllocsPerRun(100, func() { dst = a.Analyze(found, nil, dst[:0]) }); n != 0 {
		t.Errorf("Analyze(look-alikes) allocates %v times, want 0", n)
	}
}

// TestGenuineMessages: real-looking notices from protected brands, linking
// to their own domains, get no signal at all.
func TestGenuineMessages(t *testing.T) {
	a := loadAnalyzer(t)
	messages := []struct {
		name  string
		text  string
		links []event.Link
	}{
		{"amazon shipping", "Amazon.co.jp をご利用いただき、ありがとうございます。ご注文の商品を発送しました。\n配送状況: https://www.amazon.co.jp/gp/css/your-orders-access?ie=UTF8&ref=pe_302852\nお問い合わせ: cs-reply@amazon.co.jp",
			[]event.Link{{Href: "https://www.amazon.co.jp/gp/your-account/order-details?orderID=249-1234567", Text: "注文を表示"}, {Href: "https://amzn.asia/d/abc", Text: "amazon.co.jp"}}},
		{"smbc notice", "【三井住友銀行】お取引のお知らせ。詳しくはSMBCダイレクト https://direct.smbc.co.jp/aib/aibgsjsw5001.jsp でご確認ください。",
			[]event.Link{{Href: "https://www.smbc.co.jp/kojin/", Text: "www.smbc.co.jp"}}},
		{"yamato delivery", "ヤマト運輸です。お荷物のお届け予定をお知らせします。変更は https://www.kuronekoyamato.co.jp/ytc/customer/ から。", nil},
		{"japan post", "【日本郵便】ゆうパックのお届け予定です。追跡: https://trackings.post.japanpost.jp/services/srv/search/?requestNo1=123456789012", nil},
		{"docomo bill", "ドコモからのお知らせ：ご利用料金が確定しました。My docomo https://www.docomo.ne.jp/mydocomo/ 送信元 info@docomo.ne.jp", nil},
		{"rakuten card", "楽天カードご利用のお知らせ。e-NAVI: https://www.rakuten-card.co.jp/e-navi/ 楽天市場 https://www.rakuten.co.jp/",
			[]event.Link{{Href: "https://www.rakuten-card.co.jp/e-navi/", Text: "https://www.rakuten-card.co.jp/e-navi/"}}},
		{"tax agency", "国税庁からのお知らせ。e-Taxは https://www.e-tax.nta.go.jp/ をご利用ください。", nil},
		{"mufg", "三菱UFJ銀行 https://direct.bk.mufg.jp/ ログインはこちら", nil},
		{"line", "LINE公式アカウントを友だち追加 https://lin.ee/abcdEFG または https://line.me/R/ti/p/@abc", nil},
	}
	for _, m := range messages {
		found := urls.Extract(m.text, nil)
		if len(found) == 0 {
			t.Errorf("%s: Extract found nothing, want the genuine URLs", m.name)
		}
		if got := sigs(a.Analyze(found, m.links, nil)); len(got) != 0 {
			t.Errorf("%s: Analyze = %v, want no signal for a genuine message", m.name, got)
		}
	}
}
