package urls_test

import (
	"fmt"
	"strings"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/urls"
)

func ExampleExtract() {
	text := "【Amazon】お支払い方法に問題があります。hxxps://amazon[.]co[.]jp-account[.]info/login からご確認ください。"
	for _, f := range urls.Extract(text, nil) {
		fmt.Println(f.Raw)
		fmt.Println(f.URL, f.Domain, f.Obfuscation)
	}
	// Output:
	// hxxps://amazon[.]co[.]jp-account[.]info/login
	// https://amazon.co.jp-account.info/login jp-account.info scheme,dots
}

func ExampleAnalyzer_Analyze() {
	brands, err := urls.LoadBrands(strings.NewReader(`
brands:
  - name: Amazon
    kind: ecommerce
    domains: [amazon.co.jp, amazon.com]
    tokens: [amazon]
    names: [Amazon, アマゾン]
`))
	if err != nil {
		panic(err)
	}
	a, err := urls.NewAnalyzer(brands, urls.Options{})
	if err != nil {
		panic(err)
	}
	text := "ご注文は https://www.amazon.co.jp/gp/css/order-history 、確認は https://arnazon-co-jp.com/signin へ"
	links := []event.Link{{Href: "https://secure-login.example.com/", Text: "www.amazon.co.jp"}}
	for _, s := range a.Analyze(urls.Extract(text, nil), links, nil) {
		fmt.Println(s.Kind, s.Brand, s.Detail, s.Link, s.Index)
	}
	// Output:
	// lookalike_domain Amazon arnazon-co-jp.com false 1
	// link_text_brand_mismatch Amazon example.com true 0
}
