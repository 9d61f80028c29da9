package mailparse_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/mailparse"
)

var authResultsCases = []struct {
	name    string
	in      string
	want    *event.Auth
	wantErr bool
}{
	{
		name: "gmail",
		in: "mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 header.b=Abc123;\r\n" +
			"       spf=pass (google.com: domain of x@example.com designates 203.0.113.1 as permitted sender) smtp.mailfrom=x@example.com;\r\n" +
			"       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com",
		want: &event.Auth{AuthServ: "mx.google.com", SPF: "pass", SPFDomain: "example.com",
			DKIM: []event.DKIMResult{{Result: "pass", Domain: "example.com"}}, DMARC: "pass", DMARCDomain: "example.com"},
	},
	{
		name: "several dkim results",
		in:   "mx.example.jp; dkim=pass header.d=mail.example.jp header.s=s1; dkim=fail (bad signature) header.d=esp.example header.i=@esp.example; dkim=neutral header.i=user@Third.Example",
		want: &event.Auth{AuthServ: "mx.example.jp", DKIM: []event.DKIMResult{
			{Result: "pass", Domain: "mail.example.jp"}, {Result: "fail", Domain: "esp.example"}, {Result: "neutral", Domain: "third.example"}}},
	},
	{
		name: "version, upper case, blanks around =",
		in:   "MX.Example.JP 1; SPF = SoftFail smtp.mailfrom = bounce@Spam.Example; DKIM/1=none; DMARC=FAIL header.from=Spam.Example",
		want: &event.Auth{AuthServ: "mx.example.jp", SPF: "softfail", SPFDomain: "spam.example",
			DKIM: []event.DKIMResult{{Result: "none"}}, DMARC: "fail", DMARCDomain: "spam.example"},
	},
	{
		name: "none",
		in:   "mx.example.jp; none",
		want: &event.Auth{AuthServ: "mx.example.jp"},
	},
	{
		name: "quoted values and nested comments",
		in:   `mx.example.jp (mail (outer (inner))); spf=fail (sender "x;y" not permitted) smtp.mailfrom="a;b@spam.example"; dmarc=fail header.from="spam.example"`,
		want: &event.Auth{AuthServ: "mx.example.jp", SPF: "fail", SPFDomain: "spam.example", DMARC: "fail", DMARCDomain: "spam.example"},
	},
	{
		name: "hardfail and helo-only spf",
		in:   "mx.example.jp; spf=hardfail smtp.helo=relay.example",
		want: &event.Auth{AuthServ: "mx.example.jp", SPF: "fail"},
	},
	{
		name: "first spf and dmarc win, other methods skipped",
		in:   "mx.example.jp; iprev=pass policy.iprev=203.0.113.1; spf=pass smtp.mailfrom=a.example; spf=fail smtp.mailfrom=b.example; arc=pass; dmarc=none header.from=a.example; dmarc=fail header.from=b.example",
		want: &event.Auth{AuthServ: "mx.example.jp", SPF: "pass", SPFDomain: "a.example", DMARC: "none", DMARCDomain: "a.example"},
	},
	{
		name: "missing semicolon after authserv-id",
		in:   "mx.example.jp spf=pass smtp.mailfrom=a.example",
		want: &event.Auth{AuthServ: "mx.example.jp", SPF: "pass", SPFDomain: "a.example"},
	},
	{
		name:    "no authserv-id",
		in:      "spf=pass smtp.mailfrom=a.example; dkim=pass header.d=a.example",
		want:    &event.Auth{SPF: "pass", SPFDomain: "a.example", DKIM: []event.DKIMResult{{Result: "pass", Domain: "a.example"}}},
		wantErr: true,
	},
	{name: "empty", in: "", wantErr: true},
	{name: "only a comment", in: " (nothing here) ", wantErr: true},
	{
		name: "garbage result tokens are skipped",
		in:   "mx.example.jp; spf=pa$$ smtp.mailfrom=a.example; dkim=pass header.d=ok.example",
		want: &event.Auth{AuthServ: "mx.example.jp", DKIM: []event.DKIMResult{{Result: "pass", Domain: "ok.example"}}},
	},
}

func TestParseAuthResults(t *testing.T) {
	for _, tc := range authResultsCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mailparse.ParseAuthResults(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("ParseAuthResults(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
			}
			if err != nil {
				if !errors.Is(err, mailparse.ErrAuthResults) {
					t.Errorf("ParseAuthResults(%q) error = %v, want it to wrap ErrAuthResults", tc.in, err)
				}
				if strings.Contains(err.Error(), "example") {
					t.Errorf("ParseAuthResults(%q) error %q quotes the input", tc.in, err)
				}
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("ParseAuthResults(%q) mismatch (-want +got):\n%s", tc.in, d)
			}
		})
	}
}
