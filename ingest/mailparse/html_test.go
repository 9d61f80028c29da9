package mailparse_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

var htmlCases = []struct {
	name      string
	in        string
	wantText  string
	wantLinks []event.Link
}{
	{"plain", "Hello <b>world</b>", "Hello world", nil},
	{"blocks become lines", "<p>one</p><p>two</p><div>three<br>four</div><ul><li>a<li>b</ul><h1>t</h1>x",
		"one\ntwo\nthree\nfour\na\nb\nt\nx", nil},
	{"table cells", "<table><tr><td>name</td><td>value</td></tr><tr><td>a</td><td>b</td></tr></table>",
		"name value\na b", nil},
	{"whitespace collapses", "  a \n\t b&nbsp;&nbsp; c  ", "a b c", nil},
	{"entities", "&lt;tag&gt; &amp; &quot;q&quot; &#12354; &#x3042; &copy;", "<tag> & \"q\" あ あ ©", nil},
	{"dropped elements", "<head><title>T</title><style>p{}</style><script>var s='x';</script></head><body>body<noscript>ns</noscript><template>tp</template></body>",
		"body", nil},
	{"display none", `a<div style="DISPLAY: none">hidden <b>words</b></div>b`, "a\nb", nil},
	{"visibility hidden", `a<span style="color:red;visibility:hidden">x</span>b`, "ab", nil},
	{"hidden attribute", `a<span hidden>x</span>b`, "ab", nil},
	{"font-size zero", `a<span style="font-size:0px">x</span><span style="font-size:0.9em">y</span>`, "ay", nil},
	{"mso-hide", `a<span style="mso-hide:all">x</span>`, "a", nil},
	{"nested hidden same tag", `<div style="display:none"><div>x</div>y</div>z`, "z", nil},
	{"hidden p closed by next block", `<p style="display:none">x<p>visible`, "visible", nil},
	{"anchor", `Go <a href=" https://evil.example/login ">https://www.amazon.co.jp/</a> now`,
		"Go https://www.amazon.co.jp/ now", []event.Link{{Href: "https://evil.example/login", Text: "https://www.amazon.co.jp/"}}},
	{"anchor with image alt", `<a href="http://x.example/"><img src="logo.png" alt="Amazon"></a>`,
		"", []event.Link{{Href: "http://x.example/", Text: "Amazon"}}},
	{"hidden anchor keeps its link", `<div style="display:none"><a href="http://hidden.example/">secret</a></div>`,
		"", []event.Link{{Href: "http://hidden.example/"}}},
	{"unclosed anchors", `<a href="http://a.example/">one<a href="http://b.example/">two`,
		"onetwo", []event.Link{{Href: "http://a.example/", Text: "one"}, {Href: "http://b.example/", Text: "two"}}},
	{"anchor without href", `<a name="top">top</a>`, "top", nil},
	{"area and form", `<map><area href="http://map.example/" alt="地図"></map><form action="http://post.example/"><input value="x"></form>`,
		"", []event.Link{{Href: "http://map.example/", Text: "地図"}, {Href: "http://post.example/"}}},
	{"iframe", `<iframe src="http://frame.example/">fallback</iframe>after`, "after", []event.Link{{Href: "http://frame.example/"}}},
	{"pre keeps lines", "<pre>a\n  b\nc</pre>", "a\nb\nc", nil},
	{"comments", "a<!-- hidden -->b<!--[if mso]>x<![endif]-->c", "abc", nil},
	{"japanese", "<p>お客様の<b>アカウント</b>が</p><p>ロックされました。</p>", "お客様のアカウントが\nロックされました。", nil},
	{"invalid utf-8", "a\xffb<a href=\"\xfe\">c</a>", "a\uFFFDbc", []event.Link{{Href: "\uFFFD", Text: "c"}}},
	{"not html at all", "just text", "just text", nil},
	{"empty", "", "", nil},
}

func TestHTMLText(t *testing.T) {
	for _, tc := range htmlCases {
		t.Run(tc.name, func(t *testing.T) {
			text, links := mailparse.HTMLText(tc.in)
			if text != tc.wantText {
				t.Errorf("HTMLText(%q) text = %q, want %q", tc.in, text, tc.wantText)
			}
			if d := cmp.Diff(tc.wantLinks, links); d != "" {
				t.Errorf("HTMLText(%q) links mismatch (-want +got):\n%s", tc.in, d)
			}
		})
	}
}
