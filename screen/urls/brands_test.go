package urls_test

import (
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"go.yaml.in/yaml/v3"

	"github.com/scamscreen/scamscreen/screen/urls"
)

func TestLoadBrandsFile(t *testing.T) {
	brands := loadBrands(t)
	if len(brands) < 30 {
		t.Errorf("LoadBrands(%s) = %d brands, want at least 30", brandsFile, len(brands))
	}
	names := map[string]bool{}
	for _, b := range brands {
		names[b.Name] = true
	}
	for _, want := range []string{"Amazon", "Apple", "Google", "Microsoft", "LINE", "docomo", "au", "SoftBank", "Y!mobile", "Rakuten", "PayPay", "NTT", "Mercari", "MUFG", "SMBC", "Mizuho", "Resona", "Japan Post Bank", "Rakuten Bank", "PayPay Bank", "JCB", "Mitsui Sumitomo Card", "Saison", "AEON", "Epos", "American Express", "TEPCO", "Kansai Electric", "Tokyo Gas", "Osaka Gas", "Yamato Transport", "Sagawa Express", "Japan Post", "National Tax Agency", "Digital Agency", "National Police Agency", "ETC", "PayPal"} {
		if !names[want] {
			t.Errorf("LoadBrands(%s) has no brand %q", brandsFile, want)
		}
	}
	// Every genuine domain must be clean, and so must its www host.
	a := loadAnalyzer(t)
	for _, b := range brands {
		for _, d := range append(append([]string{}, b.Domains...), b.MailboxDomains...) {
			for _, text := range []string{"https://" + d + "/", "https://www." + d + "/login", "info@" + d} {
				if got := analyzeText(a, text); len(got) != 0 {
					t.Errorf("Analyze(Extract(%q)) = %v, want no signal for a genuine domain of %s", text, got, b.Name)
				}
			}
		}
	}
	// The Brand struct decodes from YAML with the same keys elsewhere.
	var back struct{ Brands []urls.Brand }
	out, err := yaml.Marshal(struct{ Brands []urls.Brand }{brands[:1]})
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(out, &back); err != nil || back.Brands[0].Name != brands[0].Name {
		t.Errorf("Brand YAML round trip = %+v, %v", back.Brands, err)
	}
}

func TestLoadBrandsErrors(t *testing.T) {
	const ok = `
brands:
  - name: Example
    kind: bank
    domains: [example.co.jp]
    tokens: [exampl]
    names: [エグザンプル]
`
	if _, err := urls.LoadBrands(strings.NewReader(ok)); err != nil {
		t.Fatalf("LoadBrands(valid) = %v", err)
	}
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error
	}{
		{"empty", "", []string{"empty document"}},
		{"no brands", "brands: []\n", []string{"no brands"}},
		{"unknown field", strings.Replace(ok, "names:", "nmes:", 1), []string{"line 7", "nmes"}},
		{"unknown top key", ok + "extra: 1\n", []string{"extra"}},
		{"wrong type", strings.Replace(ok, "kind: bank", "kind: [bank]", 1), []string{"line 4"}},
		{"bad kind", strings.Replace(ok, "kind: bank", "kind: shop", 1), []string{"line 4", `kind "shop"`}},
		{"subdomain", strings.Replace(ok, "[example.co.jp]", "[example.co.jp, www.example.co.jp]", 1), []string{"line 5", "www.example.co.jp", "example.co.jp"}},
		{"public suffix", strings.Replace(ok, "[example.co.jp]", "[co.jp]", 1), []string{"line 5", "public suffix"}},
		{"private suffix", strings.Replace(ok, "[example.co.jp]", "[evil.github.io]", 1), []string{"private suffix"}},
		{"unknown tld", strings.Replace(ok, "[example.co.jp]", "[example.invalidtld]", 1), []string{"ICANN"}},
		{"upper case", strings.Replace(ok, "[example.co.jp]", "[Example.co.jp]", 1), []string{`write it as "example.co.jp"`}},
		{"unicode", strings.Replace(ok, "[example.co.jp]", "[例え.jp]", 1), []string{`write it as "xn--r8jz45g.jp"`}},
		{"duplicate domain", strings.Replace(ok, "[example.co.jp]", "[example.co.jp, example.co.jp]", 1), []string{"listed twice"}},
		{"no domains", strings.Replace(ok, "[example.co.jp]", "[]", 1), []string{"no domains"}},
		{"short token", strings.Replace(ok, "[exampl]", "[ex]", 1), []string{"line 6", `token "ex"`}},
		{"token with upper case", strings.Replace(ok, "[exampl]", "[Exampl]", 1), []string{`token "Exampl"`}},
		{"filler token", strings.Replace(ok, "[exampl]", "[login]", 1), []string{"filler"}},
		{"mailbox outside the brand", strings.Replace(ok, "    tokens:", "    mailbox_domains: [mail.other.jp]\n    tokens:", 1), []string{"mail.other.jp", "not one of the brand's domains"}},
		{"duplicate name and token", ok + strings.Replace(ok, "brands:\n", "", 1), []string{"line 9", "name already used", `token "exampl" already used`}},
		{"look-alike tokens", ok + strings.NewReplacer("brands:\n", "", "Example", "Other", "[exampl]", "[exarnpl]").Replace(ok), []string{"looks the same"}},
		{"two documents", ok + "---\n" + ok, []string{"more than one"}},
		{"empty name", strings.Replace(ok, "name: Example", "name: ''", 1), []string{"name is empty"}},
		{"empty alias", strings.Replace(ok, "[エグザンプル]", "['']", 1), []string{"empty name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := urls.LoadBrands(strings.NewReader(tt.yaml))
			if err == nil {
				t.Fatalf("LoadBrands(%s) = nil error, want error containing %q", tt.name, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadBrands(%s) = %q, want it to contain %q", tt.name, err, w)
				}
			}
		})
	}
}

func TestLoadBrandsReadError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := urls.LoadBrands(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("LoadBrands(failing reader) = %v, want it to wrap %v", err, boom)
	}
}

func TestNewAnalyzerValidates(t *testing.T) {
	if _, err := urls.NewAnalyzer([]urls.Brand{{Name: "X", Kind: "nope", Domains: []string{"x.com"}, Tokens: []string{"xxx"}}}, urls.Options{}); err == nil {
		t.Errorf("NewAnalyzer(invalid brand) = nil error, want error")
	}
	if _, err := urls.NewAnalyzer(nil, urls.Options{}); err != nil {
		t.Errorf("NewAnalyzer(no brands) = %v, want nil: an empty list is valid", err)
	}
}
