package urls_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/urls"
)

var fuzzSeeds = []string{
	"https://www.amazon.co.jp/gp/css/order-history",
	"詳細はこちらhttp://amazon.rnk8lltc.cn/jpをご確認ください",
	"hxxps://evil[.]top/login[.]php and amazon dot co dot jp",
	"ｈｔｔｐｓ：／／ａｍａｚｏｎ．ｃｏ．ｊｐ／ｌｏｇｉｎ",
	"amazon。co。jp です。",
	"https://www.amazon.co.jp@evil.top/ http://3232235777/ http://[::1]:80/",
	"taro@example.com pаypal.com appl\u200be.com xn--zzzz-.com",
	"v1.2 10.30 1.500円 e.g. file.txt",
	"www.Ldew.com1win150 http//www.x.com https:// x.com/",
	"\xff\xfe.\xe3\x80.com",
	"(.)[.]{.}[dot] dot . ：／／",
}

// FuzzExtract checks the invariants of Extract on any input: no panic,
// offsets in bounds and in order, Raw equal to the text they cover, Host in
// lower-case ASCII with Domain a suffix of it.
func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		found := urls.Extract(text, nil)
		prevEnd := 0
		for _, fd := range found {
			if fd.Start < prevEnd || fd.Start >= fd.End || fd.End > len(text) {
				t.Fatalf("Extract(%q): Start %d End %d after %d, out of bounds or order", text, fd.Start, fd.End, prevEnd)
			}
			prevEnd = fd.End
			if text[fd.Start:fd.End] != fd.Raw {
				t.Fatalf("Extract(%q): text[%d:%d] = %q, want Raw %q", text, fd.Start, fd.End, text[fd.Start:fd.End], fd.Raw)
			}
			if fd.Host == "" || fd.Host != strings.ToLower(fd.Host) || !isASCII(fd.Host) {
				t.Fatalf("Extract(%q): Host %q is not lower-case ASCII", text, fd.Host)
			}
			if fd.Domain != "" && fd.Domain != fd.Host && !strings.HasSuffix(fd.Host, "."+fd.Domain) {
				t.Fatalf("Extract(%q): Domain %q is not a suffix of Host %q", text, fd.Domain, fd.Host)
			}
			if fd.Flags.Has(urls.Obfuscated) != (fd.Obfuscation != 0) {
				t.Fatalf("Extract(%q): Obfuscated flag %v with obfuscation %v", text, fd.Flags.Has(urls.Obfuscated), fd.Obfuscation)
			}
			if !fd.Flags.Has(urls.Email) {
				if !strings.HasPrefix(fd.URL, "http://") && !strings.HasPrefix(fd.URL, "https://") || !utf8.ValidString(fd.URL) {
					t.Fatalf("Extract(%q): URL %q is not an absolute http(s) URL", text, fd.URL)
				}
				// The canonical URL reads back as the same URL.
				back, ok := urls.Parse(fd.URL)
				if !ok || back.Host != fd.Host || back.URL != fd.URL {
					t.Fatalf("Extract(%q): Parse(URL %q) = %q host %q, %v; want the same URL back", text, fd.URL, back.URL, back.Host, ok)
				}
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// FuzzAnalyze runs the analyzer on any text and link: no panic, and every
// signal points at an existing item.
func FuzzAnalyze(f *testing.F) {
	a := loadAnalyzer(f)
	for _, s := range fuzzSeeds {
		f.Add(s, "https://amaz0n.top/", "amazon.co.jp")
	}
	f.Add("", "https://u1.ct.sendgrid.net/x", "www.rakuten.co.jp")
	f.Fuzz(func(t *testing.T, text, href, linkText string) {
		found := urls.Extract(text, nil)
		links := []event.Link{{Href: href, Text: linkText}}
		for _, s := range a.Analyze(found, links, nil) {
			n := len(found)
			if s.Link {
				n = len(links)
			}
			if s.Index < 0 || s.Index >= n || s.Kind.String() == "" {
				t.Fatalf("Analyze: signal %+v points outside its list of %d", s, n)
			}
		}
	})
}
