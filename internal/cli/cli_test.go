package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, Env{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// isoMail builds a Japanese lure as ISO-2022-JP, the way Japanese mailers
// still send it.
func isoMail(t *testing.T) []byte {
	t.Helper()
	body, err := japanese.ISO2022JP.NewEncoder().String("お客様のAmazonアカウントがロックされました。\r\n解除するにはコンビニでAmazonギフト券を購入し、番号を送ってください。\r\n")
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := japanese.ISO2022JP.NewEncoder().String("アカウント停止のお知らせ")
	var b bytes.Buffer
	b.WriteString("From: \"Amazon.co.jp\" <info@amaz0n-notice.top>\r\nTo: hanako@example.jp\r\n")
	b.WriteString("Subject: =?ISO-2022-JP?B?" + b64(subj) + "?=\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	b.WriteString(body)
	return b.Bytes()
}

func TestCheckJSONContract(t *testing.T) {
	in := `{"id":"s1","channel":"sms","direction":"in","from":"+639171234567","body":"【Amazon】アカウントがロックされました。解除にはコンビニでギフト券を購入し、番号を送ってください"}
{"id":"s2","channel":"sms","body":"今日の夕飯は何がいい？"}
`
	code, out, errs := run(t, in, "check", "--format", "json", "-")
	if code != ExitOK || errs != "" {
		t.Fatalf("check = %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 output lines in input order, got %d:\n%s", len(lines), out)
	}
	var v struct {
		ID         string   `json:"id"`
		Verdict    string   `json:"verdict"`
		Score      float64  `json:"score"`
		Categories []string `json:"categories"`
		Reasons    []struct {
			Rule, Category, Evidence string
			Weight                   float64
		} `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != "s1" || v.Verdict != "scam" || v.Score < 6 || len(v.Reasons) == 0 || v.Reasons[0].Rule == "" || v.Reasons[0].Evidence == "" {
		t.Errorf("first verdict %+v", v)
	}
	if !strings.Contains(lines[1], `"id":"s2","verdict":"clean"`) || !strings.Contains(lines[1], `"categories":[]`) {
		t.Errorf("second verdict %s", lines[1])
	}
}

func TestCheckBadInputContinues(t *testing.T) {
	dir := t.TempDir()
	eml := filepath.Join(dir, "lure.eml")
	os.WriteFile(eml, isoMail(t), 0o644)
	junk := filepath.Join(dir, "junk.bin")
	os.WriteFile(junk, []byte{0, 1, 2, 0xff, 0xfe}, 0o644)
	jl := filepath.Join(dir, "in.jsonl")
	os.WriteFile(jl, []byte("{\"id\":\"a\",\"body\":\"hi\"}\nnot json\n{\"id\":\"c\",\"channel\":\"fax\",\"body\":\"x\"}\n{\"id\":\"d\",\"body\":\"ok\"}\n"), 0o644)

	code, out, errs := run(t, "", "check", "--format", "json", eml, junk, jl, filepath.Join(dir, "missing.eml"))
	if code != ExitError {
		t.Errorf("exit %d, want %d", code, ExitError)
	}
	for _, want := range []string{"junk.bin: not an e-mail message", "in.jsonl:2: not a JSON object", `in.jsonl:3: channel "fax"`, "missing.eml", "4 input(s) could not be read"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	// The readable messages were still screened, in order.
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var v struct{ ID, Verdict string }
		json.Unmarshal([]byte(l), &v)
		ids = append(ids, v.ID+"="+v.Verdict)
	}
	if got := strings.Join(ids, " "); got != eml+"=scam "+jl+":1=clean "+jl+":4=clean" && got != eml+"=scam a=clean d=clean" {
		t.Errorf("screened %s", got)
	}
}

func TestCheckTextOutput(t *testing.T) {
	code, out, _ := run(t, `{"id":"x","body":"コンビニで電子マネーを5万円分買ってきてください。番号を写真で送って"}`, "check", "-lang", "ja", "-")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"x: SCAM", "gift_card_demand", "ja.gift.buy_and_send_code", "番号を送るよう求めています", "「"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckUsage(t *testing.T) {
	if code, _, errs := run(t, "", "check", "--format", "xml"); code != ExitUsage || !strings.Contains(errs, `"xml"`) {
		t.Errorf("bad format: %d %q", code, errs)
	}
	if code, _, _ := run(t, "", "nosuch"); code != ExitUsage {
		t.Errorf("unknown command: %d", code)
	}
	if code, _, errs := run(t, "", "check", "--rules", "/nonexistent"); code != ExitError || !strings.Contains(errs, "/nonexistent") {
		t.Errorf("missing rules dir: %d %q", code, errs)
	}
}

func TestRulesTest(t *testing.T) {
	code, out, errs := run(t, "", "rules", "test")
	if code != ExitOK || !strings.Contains(out, "0 failed") {
		t.Fatalf("rules test = %d\n%s%s", code, out, errs)
	}
	dir := t.TempDir()
	brands, _ := os.ReadFile("../../configs/rules/brands.yaml")
	os.WriteFile(filepath.Join(dir, "brands.yaml"), brands, 0o644)
	os.WriteFile(filepath.Join(dir, "x.yaml"), []byte(`pack: xx
version: "1"
rules:
  - id: x.bad
    category: gift_card_demand
    weight: 5
    explain: {ja: テスト, en: test}
    any: [ギフト券]
    match: [何もない]
`), 0o644)
	code, out, _ = run(t, "", "rules", "test", dir)
	if code != ExitError || !strings.Contains(out, "FAIL") || !strings.Contains(out, "x.bad") || !strings.Contains(out, "1 failed") {
		t.Errorf("rules test on a failing pack = %d\n%s", code, out)
	}
}

func TestEval(t *testing.T) {
	in := `{"id":"s","body":"ギフト券を買って番号を送ってください","label":"scam","categories":["gift_card_demand"]}
{"id":"h","body":"ありがとう","label":"ham","categories":[]}
{"id":"m","body":"こんにちは","label":"scam","categories":["impersonation"]}
{"id":"bad","body":"x","label":"maybe"}
`
	code, out, errs := run(t, in, "eval", "--format", "json", "-")
	if code != ExitError || !strings.Contains(errs, `label "maybe"`) {
		t.Errorf("eval with a bad label = %d %q", code, errs)
	}
	var rep evalReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	o := rep.Overall
	if o.Scam != 2 || o.ScamFlagged != 1 || o.Ham != 1 || o.HamFlagged != 0 || o.Recall != 0.5 || len(rep.Misses) != 1 || rep.Misses[0] != "m" {
		t.Errorf("eval report %+v misses %v", o, rep.Misses)
	}
	found := false
	for _, r := range rep.Rules {
		if r.Rule == "ja.gift.buy_and_send_code" && r.Scam == 1 && r.Ham == 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("per-rule hits lack the chain rule: %+v", rep.Rules)
	}
}

func TestReaderSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "m.jsonl")
	os.WriteFile(target, []byte(`{"id":"l","body":"hi"}`), 0o644)
	os.Symlink(target, filepath.Join(dir, "link.jsonl"))
	code, out, _ := run(t, "", "check", "--format", "json", dir)
	if code != ExitOK || !strings.Contains(out, `"id":"l"`) {
		t.Errorf("symlinked file in a directory not read: %d %s", code, out)
	}
}

// TestCheckDetectsTSV: a label<TAB>text file without an extension (the UCI
// SMS Spam Collection is one) is read as such, not as a broken mail, while
// a mail whose first header line holds a tab is still a mail.
func TestCheckDetectsTSV(t *testing.T) {
	dir := t.TempDir()
	tsv := filepath.Join(dir, "SMSSpamCollection")
	os.WriteFile(tsv, []byte("ham\tSee you at the station at six\nspam\t【Amazon】アカウントがロックされました。解除にはコンビニでギフト券を購入し、番号を送ってください\n"), 0o644)
	mail := filepath.Join(dir, "mail")
	os.WriteFile(mail, []byte("Received: from mx\t(by relay)\r\nFrom: a@example.jp\r\nSubject: hello\r\n\r\nこんにちは\r\n"), 0o644)
	code, out, errs := run(t, "", "check", "--format", "json", tsv, mail)
	if code != ExitOK {
		t.Fatalf("check = %d, stderr %q", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"verdict":"clean"`) || !strings.Contains(lines[1], `"verdict":"scam"`) || !strings.Contains(lines[2], `"id":"`+mail) {
		t.Errorf("want two TSV lines (clean, scam) and one mail, got:\n%s", out)
	}
}
