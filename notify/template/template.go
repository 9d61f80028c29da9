package template

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
)

// Input is everything a text is made from.
type Input struct {
	// Template is one of notify.Template*.
	Template string
	// Language is ja or en (anything else is ja).
	Language string
	Verdict  *event.Verdict
	// PersonName is the protected person's name ("田中花子").
	PersonName string
	// Helper is the contact a warning to the person tells them to call
	// ("健二"); empty when they have none.
	Helper string
	// Consent is what a contact may see; ignored for the person.
	Consent notify.Consent
	Urgent  bool
	// Count is, for a summary, how many further messages were folded into
	// the first alert.
	Count int
	// Step is the escalation step.
	Step int
	// Waited is how long an urgent alert has gone unacknowledged
	// (escalation and helpdesk texts).
	Waited time.Duration
	// AckURL is the signed acknowledgement link, if any.
	AckURL string
	// AckByReply says a reply to the SMS acknowledges; the SMS then asks
	// for a reply and leaves the link to e-mail and webhooks, unless
	// LinkInSMS.
	AckByReply bool
	// LinkInSMS puts the link in the SMS too.
	LinkInSMS bool
	// Location is the recipient's time zone; default Asia/Tokyo.
	Location *time.Location
	// MaxSegments is the budget of a contact's SMS; default 3.
	MaxSegments int
	// Kind is whom the text is for; a summary to the person reads
	// differently from one to a contact.
	Kind event.RecipientKind
	// Household and Person are the ids, for the helpdesk.
	Household, Person string
}

// part is one line of a contact text with its trimming priority: parts
// with a higher trim value are dropped from the SMS first; 0 is never
// dropped.
type part struct {
	text  string
	trim  int
	sms   bool // included in the SMS at all
	email bool // included in the e-mail/console text
}

// Trimming order for contact SMS: the excerpt goes first, then reasons
// (last first), the sender, secondary advice, the categories.
const (
	keep          = 0
	trimCategory  = 1
	trimSecondary = 2
	trimSender    = 3
	trimReason    = 4 // +index: later reasons go first
	trimExcerpt   = 100
)

var jstLoc = time.FixedZone("JST", 9*60*60)

// Render makes the words of one alert. It is pure: the same input gives
// the same text.
func Render(in Input) notify.Rendered {
	lx := lexiconFor(in.Language)
	if in.Location == nil {
		in.Location = jstLoc
	}
	if in.MaxSegments <= 0 {
		in.MaxSegments = notify.DefaultMaxSegments
	}
	if in.Verdict == nil {
		in.Verdict = &event.Verdict{}
	}
	var r notify.Rendered
	switch in.Template {
	case notify.TemplatePerson:
		r = renderPerson(lx, in)
	case notify.TemplateSummary:
		r = renderSummary(lx, in)
	case notify.TemplateHelpdesk:
		r = renderHelpdesk(lx, in)
	default: // contact, escalation
		r = renderContact(lx, in)
	}
	r.Template = in.Template
	r.Language = lx.code()
	r.AckURL = in.AckURL
	r.SMSInfo = Segments(r.SMS)
	return r
}

func codeHandover(v *event.Verdict) bool {
	return v.Has(event.CategoryCodeHandover) || v.HasFlag(event.FlagCodeSent)
}

func hasGuidance(v *event.Verdict, key string) bool { return slices.Contains(v.Guidance, key) }

// urgentFlags are the flags that make an alert urgent, in a fixed order.
var urgentFlags = []event.Flag{event.FlagGoToShop, event.FlagStayOnPhone, event.FlagTellNoOne}

func renderPerson(lx lexicon, in Input) notify.Rendered {
	v := in.Verdict
	var lines []string
	if codeHandover(v) {
		lines = append(lines, lx.personCode(), lx.personHelperNow(in.Helper), lx.personAmazon())
	} else {
		lines = append(lines, lx.personLead(lx.channel(v.Channel), v.Level, in.Urgent))
		if in.Urgent {
			for _, f := range urgentFlags {
				if v.HasFlag(f) {
					lines = append(lines, lx.personFlag(f))
				}
			}
		}
		lines = append(lines, lx.personDoNotBuy())
		if len(v.Indicators.Phones) > 0 || hasGuidance(v, event.GuidanceDoNotCallBack) {
			lines = append(lines, lx.personNoCallBack())
		}
		if v.Has(event.CategoryPhishingLink) || len(v.Indicators.Domains) > 0 || hasGuidance(v, event.GuidanceDoNotOpenLink) {
			lines = append(lines, lx.personNoLink())
		}
		lines = append(lines, lx.personHelper(in.Helper))
	}
	text := lx.join(lines)
	return notify.Rendered{
		Subject: lx.personSubject(in.Urgent || codeHandover(v)),
		Text:    text,
		SMS:     text,
		Speech:  text,
	}
}

func renderSummary(lx lexicon, in Input) notify.Rendered {
	v := in.Verdict
	if in.Kind == event.RecipientPerson {
		text := lx.join([]string{lx.personSummary(in.Count), lx.personHelper(in.Helper)})
		return notify.Rendered{Subject: lx.personSubject(false), Text: text, SMS: text, Speech: text}
	}
	lines := []string{lx.summaryLead(in.PersonName, in.Count, v.Level)}
	if cats := lx.categories(v.Categories); cats != "" {
		lines = append(lines, lx.categoryLine(cats))
	}
	lines = append(lines, lx.actionCall(in.PersonName))
	sms := strings.Join(lines, "\n")
	return notify.Rendered{
		Subject: lx.summarySubject(in.PersonName, in.Count),
		Text:    sms + "\n" + lx.footer(),
		SMS:     sms,
		Speech:  lx.join(lines),
	}
}

func renderHelpdesk(lx lexicon, in Input) notify.Rendered {
	v := in.Verdict
	text := lx.helpdesk(in.Household, in.Person, in.PersonName, v.Level, lx.categories(v.Categories), lx.when(receivedAt(v), in.Location), in.Waited, v.ID)
	return notify.Rendered{Subject: lx.helpdeskSubject(in.Household, in.Person), Text: text, SMS: text, Speech: text}
}

func receivedAt(v *event.Verdict) time.Time {
	if !v.ReceivedAt.IsZero() {
		return v.ReceivedAt
	}
	return v.ScreenedAt
}

// reasonsOf returns the distinct plain-language explanations of v's
// reasons, strongest first.
func reasonsOf(lx lexicon, v *event.Verdict) []string {
	rs := slices.Clone(v.Reasons)
	slices.SortStableFunc(rs, func(a, b event.Reason) int { return cmp.Compare(b.Weight, a.Weight) })
	var out []string
	for _, r := range rs {
		e := strings.TrimSpace(r.Explain.In(lx.code()))
		if e == "" || slices.Contains(out, e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// excerptOf quotes the lure's own words from the reasons' evidence in
// the subject and text, in message order, masked, at most max runes.
func excerptOf(v *event.Verdict, max int) string {
	type span struct {
		field      string
		start, end int
		text       string
	}
	var spans []span
	for _, r := range v.Reasons {
		if r.Evidence == "" || r.Field != "text" && r.Field != "subject" {
			continue
		}
		spans = append(spans, span{r.Field, r.Start, r.End, r.Evidence})
	}
	slices.SortStableFunc(spans, func(a, b span) int {
		if a.field != b.field {
			if a.field == "subject" {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.start, b.start)
	})
	var parts []string
	lastField, lastEnd := "", -1
	for _, s := range spans {
		if s.field == lastField && s.start < lastEnd {
			continue // overlaps what is already quoted
		}
		t := strings.Join(strings.Fields(s.text), " ")
		if t == "" || slices.Contains(parts, t) {
			continue
		}
		parts = append(parts, t)
		lastField, lastEnd = s.field, s.end
	}
	if len(parts) == 0 && v.Subject != "" {
		parts = append(parts, v.Subject)
	}
	return truncateRunes(Mask(strings.Join(parts, " … ")), max)
}

func renderContact(lx lexicon, in Input) notify.Rendered {
	v := in.Verdict
	code := codeHandover(v)
	when := lx.when(receivedAt(v), in.Location)
	ch := lx.channel(v.Channel)
	var parts []part
	add := func(text string, trim int, sms, email bool) {
		if text != "" {
			parts = append(parts, part{text: text, trim: trim, sms: sms, email: email})
		}
	}

	var subject string
	switch {
	case in.Template == notify.TemplateEscalation:
		add(lx.escalationLead(in.PersonName, v.Level, ch, when, in.Waited, code), keep, true, true)
		subject = lx.escalationSubject(in.PersonName)
	case code:
		add(lx.contactCodeLead(in.PersonName, when), keep, true, true)
		subject = lx.contactCodeSubject(in.PersonName)
	default:
		add(lx.contactLead(in.PersonName, v.Level, ch, when, in.Urgent), keep, true, true)
		subject = lx.contactSubject(in.PersonName, v.Level, ch, in.Urgent)
	}
	var flags []string
	for _, f := range urgentFlags {
		if v.HasFlag(f) {
			flags = append(flags, lx.flag(f))
		}
	}
	if len(flags) > 0 {
		add(lx.flagsLine(flags), keep, true, true)
	}
	if cats := lx.categories(v.Categories); cats != "" {
		add(lx.categoryLine(cats), trimCategory, true, true)
	}
	if in.Consent.Allows(notify.ConsentReasons) {
		if s := MaskSender(v.Sender.Name, v.Sender.Addr); s != "" {
			add(lx.senderLine(s), trimSender, true, true)
		}
		if rs := reasonsOf(lx, v); len(rs) > 0 {
			add(lx.reasonsHead(), trimReason, false, true)
			for i, r := range rs {
				if i >= 5 {
					break
				}
				add(lx.bullet(r), trimReason+len(rs)-i, true, true)
			}
		}
	}
	if in.Consent.Allows(notify.ConsentFull) {
		if ex := excerptOf(v, 200); ex != "" {
			add(lx.excerptLine(ex), trimExcerpt, true, true)
		}
	}

	// What to do now: the action line is never trimmed.
	if code {
		add(lx.actionCode(in.PersonName), keep, true, true)
		add(lx.guidanceResend(), trimSecondary, true, true)
		add(lx.guidanceEvidence(), trimSecondary, true, true)
		add(lx.guidanceReport(), trimSecondary, true, true)
	} else {
		add(lx.actionCall(in.PersonName), keep, true, true)
		if v.Has(event.CategoryPhishingLink) || hasGuidance(v, event.GuidanceDoNotOpenLink) {
			add(lx.guidanceNoLink(), trimSecondary, false, true)
		}
		add(lx.guidanceNeverGiftCards(), trimSecondary, false, true)
		add(lx.guidanceEvidence(), trimSecondary, false, true)
		add(lx.ifCodeGivenHead(), trimSecondary, false, true)
		add(lx.guidanceAmazon(), trimSecondary, false, true)
		add(lx.guidanceResend(), trimSecondary, false, true)
		add(lx.guidanceReport(), trimSecondary, true, true)
	}

	// How to acknowledge.
	var smsAck, mailAck string
	if in.AckURL != "" {
		mailAck = lx.ackLink(in.AckURL)
	}
	switch {
	case in.AckURL != "" && in.AckByReply && in.LinkInSMS:
		smsAck = lx.ackReplyOrLink(in.AckURL)
	case in.AckByReply:
		smsAck = lx.ackReply()
	case in.AckURL != "":
		smsAck = lx.ackLink(in.AckURL)
	}

	var textLines []string
	for _, p := range parts {
		if p.email {
			textLines = append(textLines, p.text)
		}
	}
	if mailAck != "" {
		textLines = append(textLines, mailAck)
	}
	textLines = append(textLines, lx.footer())
	smsText := fitSMS(lx, parts, smsAck, in.MaxSegments)
	return notify.Rendered{
		Subject: subject,
		Text:    strings.Join(textLines, "\n"),
		SMS:     smsText,
		Speech:  lx.speech(in.PersonName, v.Level, flags, code, in.Template == notify.TemplateEscalation),
	}
}

// fitSMS assembles the SMS parts and drops trimmable ones, highest trim
// value first, until the text fits maxSeg segments or nothing is left to
// drop.
func fitSMS(lx lexicon, parts []part, ack string, maxSeg int) string {
	var sms []part
	for _, p := range parts {
		if p.sms {
			sms = append(sms, p)
		}
	}
	build := func() string {
		lines := make([]string, 0, len(sms)+1)
		for _, p := range sms {
			lines = append(lines, p.text)
		}
		if ack != "" {
			lines = append(lines, ack)
		}
		return strings.Join(lines, "\n")
	}
	for {
		s := build()
		if Segments(s).Segments <= maxSeg {
			return s
		}
		worst := -1
		for i, p := range sms {
			if p.trim > 0 && (worst < 0 || p.trim > sms[worst].trim) {
				worst = i
			}
		}
		if worst < 0 {
			return s // only what must stay is left
		}
		sms = slices.Delete(sms, worst, worst+1)
	}
}
