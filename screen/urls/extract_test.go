package urls_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/screen/urls"
)

// view is the part of a Found that extraction tests compare.
type view struct {
	Raw, URL, Host, Domain string
	Flags                  urls.Flag
	Obf                    urls.Obfuscation
}

func views(fs []urls.Found) []view {
	var out []view
	for _, f := range fs {
		out = append(out, view{f.Raw, f.URL, f.Host, f.Domain, f.Flags, f.Obfuscation})
	}
	return out
}

const (
	no  = urls.NoScheme
	obf = urls.Obfuscated
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []view
	}{
		{"https url", "see https://www.amazon.co.jp/gp/css/order-history now",
			[]view{{"https://www.amazon.co.jp/gp/css/order-history", "https://www.amazon.co.jp/gp/css/order-history", "www.amazon.co.jp", "amazon.co.jp", 0, 0}}},
		{"url glued to japanese both sides", "詳細はこちらhttp://amazon.rnk8lltc.cn/jpをご確認ください",
			[]view{{"http://amazon.rnk8lltc.cn/jp", "http://amazon.rnk8lltc.cn/jp", "amazon.rnk8lltc.cn", "rnk8lltc.cn", 0, 0}}},
		{"host glued to japanese", "http://example.comです。",
			[]view{{"http://example.com", "http://example.com", "example.com", "example.com", 0, 0}}},
		{"japanese brackets", "「amazon-secure.top/login」を開いて",
			[]view{{"amazon-secure.top/login", "http://amazon-secure.top/login", "amazon-secure.top", "amazon-secure.top", no, 0}}},
		{"bare domain before japanese", "確認はamazon.co.jpにログインして",
			[]view{{"amazon.co.jp", "http://amazon.co.jp", "amazon.co.jp", "amazon.co.jp", no, 0}}},
		{"full stop at sentence end", "Please visit amazon-secure.top. Thanks",
			[]view{{"amazon-secure.top", "http://amazon-secure.top", "amazon-secure.top", "amazon-secure.top", no, 0}}},
		{"ideographic full stop at sentence end", "公式サイトはrakuten.co.jp。次に",
			[]view{{"rakuten.co.jp", "http://rakuten.co.jp", "rakuten.co.jp", "rakuten.co.jp", no, 0}}},
		{"url path loses trailing punctuation", "Go to https://evil.top/a/b?c=1, then.",
			[]view{{"https://evil.top/a/b?c=1", "https://evil.top/a/b?c=1", "evil.top", "evil.top", 0, 0}}},
		{"balanced parentheses stay", "(see https://ja.wikipedia.org/wiki/Foo_(bar))",
			[]view{{"https://ja.wikipedia.org/wiki/Foo_(bar)", "https://ja.wikipedia.org/wiki/Foo_(bar)", "ja.wikipedia.org", "wikipedia.org", 0, 0}}},
		{"www host", "www.example.com/offer",
			[]view{{"www.example.com/offer", "http://www.example.com/offer", "www.example.com", "example.com", no | urls.WWW, 0}}},
		{"upper case", "HTTPS://WWW.URAWINNER.COM/X and AMAZON.CO.JP",
			[]view{
				{"HTTPS://WWW.URAWINNER.COM/X", "https://www.urawinner.com/X", "www.urawinner.com", "urawinner.com", 0, 0},
				{"AMAZON.CO.JP", "http://amazon.co.jp", "amazon.co.jp", "amazon.co.jp", no, 0},
			}},
		{"two urls", "a https://a.example.com/x b bit.ly/abc c",
			[]view{
				{"https://a.example.com/x", "https://a.example.com/x", "a.example.com", "example.com", 0, 0},
				{"bit.ly/abc", "http://bit.ly/abc", "bit.ly", "bit.ly", no, 0},
			}},
		{"private suffix", "https://login-amazon.github.io/",
			[]view{{"https://login-amazon.github.io/", "https://login-amazon.github.io/", "login-amazon.github.io", "login-amazon.github.io", urls.PrivateSuffix, 0}}},
		{"host is a private suffix", "https://s3.amazonaws.com/bucket/x.html",
			[]view{{"https://s3.amazonaws.com/bucket/x.html", "https://s3.amazonaws.com/bucket/x.html", "s3.amazonaws.com", "amazonaws.com", urls.PrivateSuffix, 0}}},
		{"port", "http://evil.top:8080/x",
			[]view{{"http://evil.top:8080/x", "http://evil.top:8080/x", "evil.top", "evil.top", 0, 0}}},

		// Obfuscated schemes.
		{"hxxps", "hxxps://evil.top/login",
			[]view{{"hxxps://evil.top/login", "https://evil.top/login", "evil.top", "evil.top", obf, urls.ObfScheme}}},
		{"hXXp", "hXXp://evil.top/",
			[]view{{"hXXp://evil.top/", "http://evil.top/", "evil.top", "evil.top", obf, urls.ObfScheme}}},
		{"h**ps", "h**ps://evil.top/",
			[]view{{"h**ps://evil.top/", "https://evil.top/", "evil.top", "evil.top", obf, urls.ObfScheme}}},
		{"ttps", "こちらttps://evil.top/ から",
			[]view{{"ttps://evil.top/", "https://evil.top/", "evil.top", "evil.top", obf, urls.ObfScheme}}},
		{"bracketed colon", "https[:]//evil.top/x",
			[]view{{"https[:]//evil.top/x", "https://evil.top/x", "evil.top", "evil.top", obf, urls.ObfScheme}}},
		{"bracketed separator", "hxxp[://]evil.top/x",
			[]view{{"hxxp[://]evil.top/x", "http://evil.top/x", "evil.top", "evil.top", obf, urls.ObfScheme}}},
		{"missing colon", "TXT GREAT to 80878 http//www.gr8prizes.com 0871",
			[]view{{"www.gr8prizes.com", "http://www.gr8prizes.com", "www.gr8prizes.com", "gr8prizes.com", no | urls.WWW, 0}}},

		// Obfuscated dots.
		{"bracket dots", "amazon[.]co[.]jp",
			[]view{{"amazon[.]co[.]jp", "http://amazon.co.jp", "amazon.co.jp", "amazon.co.jp", no | obf, urls.ObfDots}}},
		{"paren dots", "evil(.)top/x",
			[]view{{"evil(.)top/x", "http://evil.top/x", "evil.top", "evil.top", no | obf, urls.ObfDots}}},
		{"brace dots", "evil{.}top",
			[]view{{"evil{.}top", "http://evil.top", "evil.top", "evil.top", no | obf, urls.ObfDots}}},
		{"bracket dot word", "amazon[dot]co[DOT]jp",
			[]view{{"amazon[dot]co[DOT]jp", "http://amazon.co.jp", "amazon.co.jp", "amazon.co.jp", no | obf, urls.ObfDots}}},
		{"defanged url", "hxxps://evil[.]top/login[.]php",
			[]view{{"hxxps://evil[.]top/login[.]php", "https://evil.top/login.php", "evil.top", "evil.top", obf, urls.ObfScheme | urls.ObfDots}}},
		{"spelled dots", "go to amazon dot co dot jp now",
			[]view{{"amazon dot co dot jp", "http://amazon.co.jp", "amazon.co.jp", "amazon.co.jp", no | obf, urls.ObfSpaces}}},
		{"spaced dots", "www . evil . top today",
			[]view{{"www . evil . top", "http://www.evil.top", "www.evil.top", "evil.top", no | urls.WWW | obf, urls.ObfSpaces}}},
		{"space after scheme", "URL:https:// amazon-login.top/x",
			[]view{{"https:// amazon-login.top/x", "https://amazon-login.top/x", "amazon-login.top", "amazon-login.top", obf, urls.ObfSpaces}}},

		// Width and ideographic forms.
		{"full-width url", "ｈｔｔｐｓ：／／ａｍａｚｏｎ．ｃｏ．ｊｐ／ｌｏｇｉｎ です",
			[]view{{"ｈｔｔｐｓ：／／ａｍａｚｏｎ．ｃｏ．ｊｐ／ｌｏｇｉｎ", "https://amazon.co.jp/login", "amazon.co.jp", "amazon.co.jp", obf | urls.MappingChanged, urls.ObfWidth}}},
		{"full-width bare host", "ａｍａｚｏｎ－ｌｏｇｉｎ．ｔｏｐ を開く",
			[]view{{"ａｍａｚｏｎ－ｌｏｇｉｎ．ｔｏｐ", "http://amazon-login.top", "amazon-login.top", "amazon-login.top", no | obf | urls.MappingChanged, urls.ObfWidth}}},
		{"ideographic stop as dot", "amazon。co。jp にログイン",
			[]view{{"amazon。co。jp", "http://amazon.co.jp", "amazon.co.jp", "amazon.co.jp", no | obf | urls.MappingChanged, urls.ObfWidth}}},
		{"zero-width space inside host", "appl\u200be.com.evil.top/x",
			[]view{{"appl\u200be.com.evil.top/x", "http://apple.com.evil.top/x", "apple.com.evil.top", "evil.top", no | urls.MappingChanged, 0}}},
		{"zero-width space after host is not part of it", "apple.com\u200bです",
			[]view{{"apple.com", "http://apple.com", "apple.com", "apple.com", no, 0}}},

		// IP hosts.
		{"dotted ip", "http://192.168.1.1/login",
			[]view{{"http://192.168.1.1/login", "http://192.168.1.1/login", "192.168.1.1", "", urls.IPHost, 0}}},
		{"decimal ip", "http://3232235777/x",
			[]view{{"http://3232235777/x", "http://192.168.1.1/x", "192.168.1.1", "", urls.IPHost | obf, urls.ObfNumericIP}}},
		{"hex ip", "http://0xC0A80101/",
			[]view{{"http://0xC0A80101/", "http://192.168.1.1/", "192.168.1.1", "", urls.IPHost | obf, urls.ObfNumericIP}}},
		{"octal and hex parts", "http://0300.0xa8.1.1/",
			[]view{{"http://0300.0xa8.1.1/", "http://192.168.1.1/", "192.168.1.1", "", urls.IPHost | obf, urls.ObfNumericIP}}},
		{"ipv6 with port", "http://[2001:db8::1]:8080/x",
			[]view{{"http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080/x", "2001:db8::1", "", urls.IPHost, 0}}},
		{"bare ip with path", "192.168.0.1/admin",
			[]view{{"192.168.0.1/admin", "http://192.168.0.1/admin", "192.168.0.1", "", no | urls.IPHost, 0}}},

		// Userinfo.
		{"userinfo trick", "https://www.amazon.co.jp@evil.top/signin",
			[]view{{"https://www.amazon.co.jp@evil.top/signin", "https://evil.top/signin", "evil.top", "evil.top", urls.HasUserInfo, 0}}},

		// IDNs.
		{"punycode", "https://xn--pypal-4ve.com/",
			[]view{{"https://xn--pypal-4ve.com/", "https://xn--pypal-4ve.com/", "xn--pypal-4ve.com", "xn--pypal-4ve.com", urls.IDN, 0}}},
		{"cyrillic homograph", "pаypal.com/signin",
			[]view{{"pаypal.com/signin", "http://xn--pypal-4ve.com/signin", "xn--pypal-4ve.com", "xn--pypal-4ve.com", no | urls.IDN, 0}}},
		{"japanese idn after scheme", "https://例え.jp/です",
			[]view{{"https://例え.jp/", "https://xn--r8jz45g.jp/", "xn--r8jz45g.jp", "xn--r8jz45g.jp", urls.IDN, 0}}},

		// E-mail addresses: the domain only.
		{"email domain", "連絡先 taro.yamada@example.com まで",
			[]view{{"example.com", "", "example.com", "example.com", urls.Email, 0}}},
		{"email look-alike", "support@amaz0n-jp.com",
			[]view{{"amaz0n-jp.com", "", "amaz0n-jp.com", "amaz0n-jp.com", urls.Email, 0}}},
		{"mailbox that looks like a domain", "taro.com@example.com",
			[]view{{"example.com", "", "example.com", "example.com", urls.Email, 0}}},

		// Glued text in English spam.
		{"glued tld", "www.Ldew.com1win150ppmx3age16",
			[]view{{"www.Ldew.com", "http://www.ldew.com", "www.ldew.com", "ldew.com", no | urls.WWW, 0}}},
		{"glued label", "www.Ldew.com.subs16+1win150ppmx3",
			[]view{{"www.Ldew.com", "http://www.ldew.com", "www.ldew.com", "ldew.com", no | urls.WWW, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := views(urls.Extract(tt.text, nil))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Extract(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestExtractNotURLs(t *testing.T) {
	for _, text := range []string{
		"version v1.2 and 2.0.1 released",
		"open file.txt or report.pdf or setup.exe",
		"e.g. this, i.e. that, etc. and a.m. or p.m. in the U.S.",
		"meet at 10.30 or 10:30",
		"お値段は1.500円です。¥1,500.00 or 3.14",
		"Sorry.It is late. I'm home.so what. do.it now",
		"see notes.md and main.py",
		"this is a dot com company",
		"Mr.Tanaka No.1 St.Louis",
		"server 192.168.1.1 is down",
		"アマゾン.comで買った",
		"http://localhost/ and http://ここ/",
		"ftp://files.example.com/pub",
		`C:\Users\taro\file.txt`,
		"path/to/module.go and a_b.com",
		"×××@×××.×××様",
		"...",
		"。。。．．．",
		"https://",
		"hxxp://",
		"[.]com (.) {.}",
	} {
		if got := urls.Extract(text, nil); len(got) != 0 {
			t.Errorf("Extract(%q) = %+v, want nothing", text, views(got))
		}
	}
}

func TestExtractOffsets(t *testing.T) {
	text := "【Amazon】お支払い方法に問題があります。hxxps://amazon[.]co[.]jp-account[.]info/login からログイン。連絡 info@amaz0n.com"
	fs := urls.Extract(text, nil)
	if len(fs) != 2 {
		t.Fatalf("Extract(%q) found %d, want 2", text, len(fs))
	}
	for _, f := range fs {
		if text[f.Start:f.End] != f.Raw {
			t.Errorf("text[%d:%d] = %q, want Raw %q", f.Start, f.End, text[f.Start:f.End], f.Raw)
		}
	}
	if got, want := fs[0].Raw, "hxxps://amazon[.]co[.]jp-account[.]info/login"; got != want {
		t.Errorf("Extract(...)[0].Raw = %q, want %q", got, want)
	}
	if got, want := fs[0].Host, "amazon.co.jp-account.info"; got != want {
		t.Errorf("Extract(...)[0].Host = %q, want %q", got, want)
	}
}

func TestExtractAppends(t *testing.T) {
	dst := []urls.Found{{Raw: "keep"}}
	got := urls.Extract("x https://a.example.com y", dst)
	if len(got) != 2 || got[0].Raw != "keep" || got[1].Host != "a.example.com" {
		t.Errorf("Extract(text, dst) = %+v, want dst with one Found appended", views(got))
	}
}

func TestExtractAllocs(t *testing.T) {
	plain := "お客様の荷物をお届けにあがりましたが不在の為持ち帰りました。10:30頃に再配達します。Thanks, see you at 5.30 tomorrow."
	if n := testing.AllocsPerRun(100, func() { urls.Extract(plain, nil) }); n != 0 {
		t.Errorf("Extract(text without URL) allocates %v times, want 0", n)
	}
	// A plain URL: nothing but the one allocation inside publicsuffix
	// (its IP check builds an error value).
	buf := make([]urls.Found, 0, 2)
	withURL := "詳細はこちら https://amazon-co-jp.secure-login.top/jp/signin?id=8812"
	if n := testing.AllocsPerRun(100, func() { buf = urls.Extract(withURL, buf[:0]) }); n > 1 {
		t.Errorf("Extract(text with plain URL) allocates %v times, want at most 1", n)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in     string
		want   string // canonical URL; "" means not a URL
		domain string
	}{
		{"https://www.amazon.co.jp/gp/css/order-history", "https://www.amazon.co.jp/gp/css/order-history", "amazon.co.jp"},
		{"  http://EVIL.top/X  ", "http://evil.top/X", "evil.top"},
		{"amazon-login.top/signin", "http://amazon-login.top/signin", "amazon-login.top"},
		{"hxxps://evil[.]top/", "https://evil.top/", "evil.top"},
		{"https://u123.ct.sendgrid.net/ls/click?upn=abc", "https://u123.ct.sendgrid.net/ls/click?upn=abc", "sendgrid.net"},
		{"//evil.top/x", "http://evil.top/x", "evil.top"},
		{"mailto:taro@example.com", "", ""},
		{"tel:0312345678", "", ""},
		{"#top", "", ""},
		{"/relative/path", "", ""},
		{"https://evil.top/ trailing words", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		f, ok := urls.Parse(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("Parse(%q) = %q, want not a URL", tt.in, f.URL)
			}
			continue
		}
		if !ok || f.URL != tt.want || f.Domain != tt.domain {
			t.Errorf("Parse(%q) = %q (domain %q, ok %v), want %q (domain %q)", tt.in, f.URL, f.Domain, ok, tt.want, tt.domain)
		}
		if ok && tt.in[f.Start:f.End] != f.Raw {
			t.Errorf("Parse(%q): in[%d:%d] = %q, want Raw %q", tt.in, f.Start, f.End, tt.in[f.Start:f.End], f.Raw)
		}
	}
}

func TestFlagAndObfuscationStrings(t *testing.T) {
	if got, want := (urls.NoScheme | urls.Obfuscated).String(), "obfuscated|no_scheme"; got != want {
		t.Errorf("Flag.String() = %q, want %q", got, want)
	}
	if got, want := (urls.ObfScheme | urls.ObfWidth).String(), "scheme,width"; got != want {
		t.Errorf("Obfuscation.String() = %q, want %q", got, want)
	}
	if got := urls.Obfuscation(0).String(); got != "" {
		t.Errorf("Obfuscation(0).String() = %q, want empty", got)
	}
}

func TestExtractHugeInput(t *testing.T) {
	// Long runs of host-like text and separators must stay linear and
	// must not panic.
	text := strings.Repeat("a.", 100000) + strings.Repeat("[.]", 10000) + strings.Repeat("xn--", 10000)
	_ = urls.Extract(text, nil)
	text = "https://" + strings.Repeat("a", 5000) + ".com/" + strings.Repeat("b", 5000)
	if got := urls.Extract(text, nil); len(got) != 0 {
		t.Errorf("Extract(URL with a 5000-byte label) = %d found, want 0 (label too long)", len(got))
	}
}

func TestExtractLongUnicodeLabel(t *testing.T) {
	// A long non-ASCII label must be rejected before punycode encoding,
	// which is quadratic in the label length.
	text := "https://" + strings.Repeat("ж", 200000) + ".com/ " + strings.Repeat("ж", 200000) + ".com"
	if got := urls.Extract(text, nil); len(got) != 0 {
		t.Errorf("Extract(200000-rune labels) found %d, want 0", len(got))
	}
}
