package sender

import (
	"fmt"
	"strings"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen/urls"
)

// Kind is the kind of a [Signal].
type Kind uint8

// Signal kinds.
const (
	// DisplayNameBrand: the display name names a brand and the address is
	// not the brand's. Strong.
	DisplayNameBrand Kind = iota + 1
	// FreemailBrand: the message names a brand in its display name or
	// subject but comes from a public mailbox (gmail.com, docomo.ne.jp).
	// Strong: companies do not write from personal mailboxes.
	FreemailBrand
	// SubjectBrand: the subject names a brand and the address is not the
	// brand's. Moderate: shops and newsletters mention brands too.
	SubjectBrand
	// BodyBrand: only the body names the brand. Weak.
	BodyBrand
	// SelfClaimBrand: the body speaks as the brand ("【三井住友カード】",
	// "アマゾンからのお知らせ", "楽天カード株式会社") while the address is
	// not the brand's. Moderate to strong.
	SelfClaimBrand
	// DMARCFail: the receiving server recorded dmarc=fail: the From domain
	// is forged. Strong.
	DMARCFail
	// AuthFail: SPF failed or every DKIM signature failed. Moderate.
	AuthFail
	// ReplyToElsewhere: replies go to another domain than the sender's.
	// Weak (mailing lists do it).
	ReplyToElsewhere
	// ReplyToFreemail: replies go to a public mailbox (gmail.com ...) while
	// the sender is not one: the business-mail-fraud pattern. Moderate.
	ReplyToFreemail
	// Genuine: the sender is a brand's own domain and the message is
	// authenticated (DKIM pass for it, or DMARC pass). Given a negative
	// weight, it keeps real notices clean.
	Genuine
	// SMSInternationalBrand: an SMS from a foreign number that claims a
	// brand. Strong in Japan.
	SMSInternationalBrand
	// SMSAlphanumericBrand: an SMS from an alphanumeric sender id that
	// claims a brand. Moderate: sender ids are easy to set abroad.
	SMSAlphanumericBrand
	// SMSMobileBrand: an SMS from a personal mobile number that claims a
	// brand. Strong: companies send from short or shared numbers.
	SMSMobileBrand
)

var kindNames = [...]string{
	DisplayNameBrand:      "display_name_brand",
	FreemailBrand:         "freemail_brand",
	SubjectBrand:          "subject_brand",
	BodyBrand:             "body_brand",
	SelfClaimBrand:        "self_claim_brand",
	DMARCFail:             "dmarc_fail",
	AuthFail:              "auth_fail",
	ReplyToElsewhere:      "reply_to_elsewhere",
	ReplyToFreemail:       "reply_to_freemail",
	Genuine:               "genuine",
	SMSInternationalBrand: "sms_international_brand",
	SMSAlphanumericBrand:  "sms_alphanumeric_brand",
	SMSMobileBrand:        "sms_mobile_brand",
}

// String returns the snake_case name used in rule files.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Kinds lists every kind.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kindNames)-1)
	for k := DisplayNameBrand; int(k) < len(kindNames); k++ {
		out = append(out, k)
	}
	return out
}

// Field is where a brand claim was found.
type Field uint8

// Fields.
const (
	FieldFrom           Field = iota + 1 // the display name
	FieldSubject                         // the subject
	FieldText                            // the body
	FieldSelf                            // the body, speaking as the brand
	FieldSubjectMention                  // the subject mentions the brand without speaking as it
)

// Claim is a brand name found in a message.
type Claim struct {
	Brand string
	Field Field
}

// Input is what Check needs from a message.
type Input struct {
	Channel event.Channel
	From    event.Address
	ReplyTo []event.Address
	Auth    *event.Auth
	Claims  []Claim
}

// Signal is one finding. Field says what the evidence is: the From
// address for most kinds, the Reply-To for ReplyToElsewhere.
type Signal struct {
	Kind   Kind
	Brand  string
	Field  Field
	Detail string // a domain or an authentication result; never a name
}

// Checker judges senders against the protected brands. It is immutable and
// safe for concurrent use.
type Checker struct {
	urls *urls.Analyzer
}

// New returns a Checker that knows the brands of a.
func New(a *urls.Analyzer) *Checker { return &Checker{urls: a} }

// Check appends the signals for in to dst.
func (c *Checker) Check(in *Input, dst []Signal) []Signal {
	if in.Channel == event.ChannelSMS {
		return c.sms(in, dst)
	}
	return c.email(in, dst)
}

func (c *Checker) email(in *Input, dst []Signal) []Signal {
	host := addrDomain(in.From.Addr)
	reg := registrable(host)
	auth := in.Auth
	authenticated := auth != nil && (auth.DMARC == "pass" || host != "" && (auth.DKIMPass(host) || auth.DKIMPass(reg)))
	mailbox := host != "" && c.urls.Mailbox(host)

	owner := ""
	if host != "" && !mailbox {
		owner, _ = c.urls.Genuine(host)
	}
	if owner != "" && authenticated {
		dst = append(dst, Signal{Kind: Genuine, Brand: owner, Field: FieldFrom, Detail: reg})
	}

	seen := map[string]bool{}
	for _, cl := range in.Claims {
		if host == "" {
			break // no address to hold the claim against
		}
		key := cl.Brand + "/" + string(rune('0'+cl.Field))
		if seen[key] {
			continue
		}
		seen[key] = true
		if host != "" && !mailbox && c.urls.GenuineFor(cl.Brand, host) {
			continue
		}
		var k Kind
		switch {
		case mailbox && (cl.Field == FieldFrom || cl.Field == FieldSubject):
			k = FreemailBrand
		case cl.Field == FieldFrom:
			k = DisplayNameBrand
		case cl.Field == FieldSubject:
			k = SubjectBrand
		case cl.Field == FieldSelf:
			k = SelfClaimBrand
		case cl.Field == FieldSubjectMention:
			continue // "Re: Google's new API" claims nothing
		default:
			k = BodyBrand
		}
		dst = append(dst, Signal{Kind: k, Brand: cl.Brand, Field: FieldFrom, Detail: reg})
	}

	if auth != nil {
		switch {
		case auth.DMARC == "fail":
			dst = append(dst, Signal{Kind: DMARCFail, Field: FieldFrom, Detail: "dmarc=fail"})
		case auth.SPF == "fail" || auth.SPF == "softfail" || allDKIMFail(auth):
			d := "spf=" + auth.SPF
			if allDKIMFail(auth) {
				d = "dkim=fail"
			}
			dst = append(dst, Signal{Kind: AuthFail, Field: FieldFrom, Detail: d})
		}
	}

	for _, rt := range in.ReplyTo {
		rh := addrDomain(rt.Addr)
		if rh == "" || reg == "" {
			continue
		}
		if rr := registrable(rh); rr != reg {
			k := ReplyToElsewhere
			if c.urls.Mailbox(rh) && !mailbox {
				k = ReplyToFreemail
			}
			dst = append(dst, Signal{Kind: k, Field: FieldFrom, Detail: rr})
			break
		}
	}
	return dst
}

func allDKIMFail(a *event.Auth) bool {
	if len(a.DKIM) == 0 {
		return false
	}
	for _, d := range a.DKIM {
		if d.Result != "fail" {
			return false
		}
	}
	return true
}

// SenderType classifies an SMS sender.
type SenderType uint8

// SMS sender types.
const (
	SenderUnknown       SenderType = iota
	SenderDomestic                 // a Japanese fixed or shared number
	SenderMobile                   // a Japanese personal mobile (070/080/090)
	SenderShortCode                // a short number (companies)
	SenderInternational            // a foreign number
	SenderAlphanumeric             // a sender id with letters
)

// ClassifySMSSender tells what kind of sender an SMS From is.
func ClassifySMSSender(from string) SenderType {
	s := strings.TrimSpace(from)
	if s == "" {
		return SenderUnknown
	}
	digits, letters, plus := 0, 0, strings.HasPrefix(s, "+")
	var d strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			d.WriteRune(r)
		case r == '+' || r == '-' || r == ' ' || r == '(' || r == ')' || r == '.':
		default:
			letters++
		}
	}
	num := d.String()
	switch {
	case letters > 0:
		return SenderAlphanumeric
	case plus && strings.HasPrefix(num, "81"):
		num = "0" + num[2:]
	case plus:
		return SenderInternational
	case strings.HasPrefix(num, "010"):
		return SenderInternational
	}
	switch {
	case len(num) <= 6:
		return SenderShortCode
	case len(num) == 11 && (strings.HasPrefix(num, "070") || strings.HasPrefix(num, "080") || strings.HasPrefix(num, "090")):
		return SenderMobile
	case strings.HasPrefix(num, "0"):
		return SenderDomestic
	}
	return SenderInternational
}

func (c *Checker) sms(in *Input, dst []Signal) []Signal {
	if len(in.Claims) == 0 {
		return dst
	}
	var k Kind
	switch ClassifySMSSender(in.From.Addr) {
	case SenderInternational:
		k = SMSInternationalBrand
	case SenderAlphanumeric:
		k = SMSAlphanumericBrand
	case SenderMobile:
		k = SMSMobileBrand
	default:
		return dst
	}
	return append(dst, Signal{Kind: k, Brand: in.Claims[0].Brand, Field: FieldFrom, Detail: ""})
}

// addrDomain returns the lower-case domain of an e-mail address.
func addrDomain(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 || i == len(addr)-1 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(addr[i+1:]), ">"))
}

func registrable(host string) string {
	if host == "" {
		return ""
	}
	if f, ok := urls.Parse(host); ok && f.Domain != "" {
		return f.Domain
	}
	return host
}
