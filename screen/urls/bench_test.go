package urls_test

import (
	"testing"

	"github.com/scamscreen/scamscreen/screen/urls"
)

const (
	smsPlain      = "お客様の荷物をお届けにあがりましたが不在の為持ち帰りました。10:30頃に再配達いたします。ご確認ください。Thanks, see you at 5.30 tomorrow."
	smsURL        = "【Amazon】プライム会費のお支払い方法に問題があります。詳細はこちら https://amazon-co-jp.secure-login.top/jp/signin?id=8812"
	smsObfuscated = "【重要】お支払い確認のため hxxps://amazon[.]co[.]jp-account[.]info/login からログインしてください。"
)

func BenchmarkExtract(b *testing.B) {
	for _, bc := range []struct{ name, text string }{
		{"no_url", smsPlain},
		{"one_url", smsURL},
		{"obfuscated", smsObfuscated},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.text)))
			buf := make([]urls.Found, 0, 4)
			for b.Loop() {
				buf = urls.Extract(bc.text, buf[:0])
			}
		})
	}
}

func BenchmarkAnalyze(b *testing.B) {
	a := loadAnalyzer(b)
	for _, bc := range []struct{ name, text string }{
		{"lookalike", "ログイン https://amaz0n-co-jp-login.com/ap/signin"},
		{"genuine", "https://www.amazon.co.jp/gp/css/order-history"},
		{"subdomain", smsURL},
	} {
		found := urls.Extract(bc.text, nil)
		if len(found) != 1 {
			b.Fatalf("Extract(%q) found %d, want 1", bc.text, len(found))
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			sig := make([]urls.Signal, 0, 8)
			for b.Loop() {
				sig = a.Analyze(found, nil, sig[:0])
			}
		})
	}
}
