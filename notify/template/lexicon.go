package template

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scamscreen/scamscreen/event"
)

// lexicon holds the words of one language. Every sentence of every alert
// is here, so a translator reads one file.
type lexicon interface {
	code() string
	join(lines []string) string
	channel(c event.Channel) string
	category(c event.Category) string
	categories(cs []event.Category) string
	flag(f event.Flag) string
	when(t time.Time, loc *time.Location) string

	personLead(ch string, l event.Level, urgent bool) string
	personFlag(f event.Flag) string
	personDoNotBuy() string
	personNoCallBack() string
	personNoLink() string
	personHelper(helper string) string
	personHelperNow(helper string) string
	personCode() string
	personAmazon() string
	personSummary(n int) string
	personSubject(urgent bool) string

	contactLead(person string, l event.Level, ch, when string, urgent bool) string
	contactSubject(person string, l event.Level, ch string, urgent bool) string
	contactCodeLead(person, when string) string
	contactCodeSubject(person string) string
	escalationLead(person string, l event.Level, ch, when string, waited time.Duration, code bool) string
	escalationSubject(person string) string
	summaryLead(person string, n int, l event.Level) string
	summarySubject(person string, n int) string
	flagsLine(flags []string) string
	categoryLine(cats string) string
	senderLine(s string) string
	reasonsHead() string
	bullet(s string) string
	excerptLine(s string) string

	actionCall(person string) string
	actionCode(person string) string
	guidanceNoLink() string
	guidanceNeverGiftCards() string
	guidanceEvidence() string
	ifCodeGivenHead() string
	guidanceAmazon() string
	guidanceResend() string
	guidanceReport() string

	ackReplyOrLink(url string) string
	ackLink(url string) string
	ackReply() string
	footer() string

	speech(person string, l event.Level, flags []string, code, escalation bool) string
	helpdesk(household, person, name string, l event.Level, cats, when string, waited time.Duration, verdictID string) string
	helpdeskSubject(household, person string) string
}

func lexiconFor(lang string) lexicon {
	if lang == "en" {
		return en{}
	}
	return ja{}
}

func minutes(d time.Duration) string {
	m := int((d + 30*time.Second) / time.Minute)
	return strconv.Itoa(max(m, 1))
}

// ja is Japanese: short sentences, polite form, no jargon.
type ja struct{}

func (ja) code() string               { return "ja" }
func (ja) join(lines []string) string { return strings.Join(lines, "") }

func (ja) channel(c event.Channel) string {
	switch c {
	case event.ChannelSMS:
		return "SMS"
	case event.ChannelEmail:
		return "メール"
	}
	return "メッセージ"
}

var jaCategories = map[event.Category]string{
	event.CategoryUnpaidBill:        "架空請求（未払い料金）",
	event.CategoryAccountLock:       "アカウント停止を装う",
	event.CategoryImpersonation:     "なりすまし",
	event.CategoryInvestment:        "投資・副業の勧誘",
	event.CategoryShopping:          "偽の通販",
	event.CategoryGiftCardDemand:    "ギフト券の要求",
	event.CategoryPhishingLink:      "偽サイトへのリンク",
	event.CategoryCodeHandover:      "ギフト券番号の送信",
	event.CategoryPurchaseAfterLure: "詐欺の後のギフト券購入",
}

func (ja) category(c event.Category) string {
	if s, ok := jaCategories[c]; ok {
		return s
	}
	return string(c)
}

func (l ja) categories(cs []event.Category) string {
	var out []string
	for _, c := range cs {
		out = append(out, l.category(c))
	}
	return strings.Join(out, "、")
}

func (ja) flag(f event.Flag) string {
	switch f {
	case event.FlagGoToShop:
		return "今すぐ店でギフト券を買う"
	case event.FlagStayOnPhone:
		return "電話を切らない"
	case event.FlagTellNoOne:
		return "誰にも言わない"
	}
	return string(f)
}

func (ja) when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	return fmt.Sprintf("%d/%d %02d:%02d", int(t.Month()), t.Day(), t.Hour(), t.Minute())
}

// san adds the honorific unless the name already has one.
func san(name string) string {
	name = strings.TrimSpace(name)
	for _, h := range []string{"さん", "様", "さま", "ちゃん", "くん", "君"} {
		if strings.HasSuffix(name, h) {
			return name
		}
	}
	return name + "さん"
}

func (ja) levelPhrase(l event.Level) string {
	if l >= event.LevelScam {
		return "詐欺の可能性が高い"
	}
	return "詐欺の疑いがある"
}

func (l ja) personLead(ch string, lv event.Level, urgent bool) string {
	head := "【注意】"
	if urgent {
		head = "【至急】"
	}
	if lv >= event.LevelScam {
		return head + "さきほど届いた" + ch + "は、詐欺の可能性が高いです。"
	}
	return head + "さきほど届いた" + ch + "は、詐欺かもしれません。"
}

func (ja) personFlag(f event.Flag) string {
	switch f {
	case event.FlagGoToShop:
		return "お店には行かないでください。"
	case event.FlagStayOnPhone:
		return "電話はすぐに切ってください。"
	case event.FlagTellNoOne:
		return "「誰にも言わないで」は詐欺の合図です。"
	}
	return ""
}

func (ja) personDoNotBuy() string {
	return "ギフト券は買わないでください。番号も教えないでください。"
}
func (ja) personNoCallBack() string {
	return "書かれている番号には電話しないでください。"
}
func (ja) personNoLink() string { return "リンクは開かないでください。" }

func (ja) personHelper(helper string) string {
	if helper == "" {
		return "心配なときは、家族か警察相談専用電話（#9110）に電話してください。"
	}
	return "心配なときは" + san(helper) + "に電話してください。"
}

func (ja) personHelperNow(helper string) string {
	if helper == "" {
		return "すぐに家族か警察相談専用電話（#9110）に電話してください。"
	}
	return "すぐに" + san(helper) + "に電話してください。"
}

func (ja) personCode() string {
	return "【至急】ギフト券の番号を送ったようです。詐欺の可能性が高いです。"
}

func (ja) personAmazon() string {
	return "まだ使われていなければ、Amazonに連絡すると番号を止められることがあります。"
}

func (ja) personSummary(n int) string {
	return "【注意】同じ相手から、さらに" + strconv.Itoa(n) + "件の怪しいメッセージが届きました。返事をしたり、書かれた番号に電話したりしないでください。"
}

func (ja) personSubject(urgent bool) string {
	if urgent {
		return "【至急】詐欺の可能性が高いメッセージが届きました"
	}
	return "【注意】詐欺の可能性があるメッセージが届きました"
}

func (l ja) contactLead(person string, lv event.Level, ch, when string, urgent bool) string {
	head := "【詐欺注意】"
	if urgent {
		head = "【至急】"
	}
	s := head + san(person) + "に" + l.levelPhrase(lv) + ch + "が届きました"
	if when != "" {
		s += "（" + when + "）"
	}
	return s + "。"
}

func (l ja) contactSubject(person string, lv event.Level, ch string, urgent bool) string {
	head := "【詐欺注意】"
	if urgent {
		head = "【至急】"
	}
	return head + san(person) + "に" + l.levelPhrase(lv) + ch + "が届きました"
}

func (ja) contactCodeLead(person, when string) string {
	s := "【至急】" + san(person) + "がギフト券の番号を送った可能性があります"
	if when != "" {
		s += "（" + when + "）"
	}
	return s + "。"
}

func (ja) contactCodeSubject(person string) string {
	return "【至急】" + san(person) + "がギフト券の番号を送った可能性があります"
}

func (l ja) escalationLead(person string, lv event.Level, ch, when string, waited time.Duration, code bool) string {
	what := l.levelPhrase(lv) + ch
	if code {
		what = "ギフト券番号の送信"
	}
	s := "【至急・未確認】" + san(person) + "への" + what
	if when != "" {
		s += "（" + when + "）"
	}
	return s + "のお知らせを、" + minutes(waited) + "分たっても誰も確認していません。"
}

func (ja) escalationSubject(person string) string {
	return "【至急・未確認】" + san(person) + "への詐欺のお知らせを、まだ誰も確認していません"
}

func (l ja) summaryLead(person string, n int, lv event.Level) string {
	return "【詐欺注意】" + san(person) + "に、同じ相手からさらに" + strconv.Itoa(n) + "件、" + l.levelPhrase(lv) + "メッセージが届きました（先のお知らせの続き）。"
}

func (ja) summarySubject(person string, n int) string {
	return "【詐欺注意】" + san(person) + "に同じ相手からさらに" + strconv.Itoa(n) + "件"
}

func (ja) flagsLine(flags []string) string {
	return "「" + strings.Join(flags, "」「") + "」と指示されています。"
}
func (ja) categoryLine(cats string) string { return "種類: " + cats }
func (ja) senderLine(s string) string      { return "送信元: " + s }
func (ja) reasonsHead() string             { return "理由:" }
func (ja) bullet(s string) string          { return "・" + s }
func (ja) excerptLine(s string) string     { return "内容（一部）: 「" + s + "」" }

func (ja) actionCall(person string) string {
	return "いつもの番号で" + san(person) + "に電話し、ギフト券を買わないよう伝えてください。文中の番号にはかけないで。"
}

func (ja) actionCode(person string) string {
	return "すぐAmazonカスタマーサービスに連絡してください（未使用なら番号を止められることがあります）。" + san(person) + "にはいつもの番号で電話を。"
}

func (ja) guidanceNoLink() string {
	return "メッセージ内のリンクは開かないよう伝えてください。"
}
func (ja) guidanceNeverGiftCards() string {
	return "Amazonや役所・公共機関がギフト券で支払いを求めることはありません。"
}
func (ja) guidanceEvidence() string {
	return "メッセージは消さずに残してください（証拠になります）。"
}
func (ja) ifCodeGivenHead() string {
	return "もしギフト券の番号を渡してしまっていたら:"
}
func (ja) guidanceAmazon() string {
	return "・すぐAmazonカスタマーサービスへ連絡（未使用なら止められることがあります）。"
}
func (ja) guidanceResend() string {
	return "・Eメールタイプなら注文履歴から「再送」すると古い番号が無効になります（使われる前に限ります）。"
}
func (ja) guidanceReport() string {
	return "相談先: 警察相談専用電話 #9110、消費者ホットライン 188"
}

func (ja) ackReplyOrLink(url string) string {
	return "確認したら、このSMSに返信するか次を開いてください: " + url
}
func (ja) ackLink(url string) string {
	return "確認したら次のリンクを開いてください: " + url
}
func (ja) ackReply() string { return "確認したら、このSMSに返信してください。" }
func (ja) footer() string {
	return "― scamscreen（詐欺見守り）からの自動のお知らせです。"
}

func (l ja) speech(person string, lv event.Level, flags []string, code, escalation bool) string {
	var b strings.Builder
	b.WriteString("こちらは、詐欺見守りサービスの自動のお知らせです。")
	if escalation {
		b.WriteString("まだ誰も確認していないため、お電話しました。")
	}
	if code {
		b.WriteString(san(person) + "が、ギフト券の番号を送った可能性があります。すぐにアマゾンのカスタマーサービスに連絡してください。")
	} else {
		b.WriteString(san(person) + "に、" + l.levelPhrase(lv) + "メッセージが届きました。")
		if len(flags) > 0 {
			b.WriteString("「" + strings.Join(flags, "」「") + "」と指示されています。")
		}
	}
	b.WriteString("今すぐ、" + san(person) + "のいつもの電話番号に電話して、ギフト券を買わないよう伝えてください。メッセージに書かれた番号には電話しないでください。詳しくはSMSをご覧ください。")
	return b.String()
}

func (l ja) helpdesk(household, person, name string, lv event.Level, cats, when string, waited time.Duration, verdictID string) string {
	s := "[scamscreen] 未確認の至急アラート: 世帯 " + household + " / " + person
	if name != "" {
		s += "（" + san(name) + "）"
	}
	s += "。判定: " + l.levelPhrase(lv) + "メッセージ"
	if cats != "" {
		s += "（" + cats + "）"
	}
	if when != "" {
		s += "、受信 " + when
	}
	return s + "。登録されたご家族の誰も" + minutes(waited) + "分以内に確認していません。ご本人への連絡をお願いします。判定ID: " + verdictID
}

func (ja) helpdeskSubject(household, person string) string {
	return "[scamscreen] 未確認の至急アラート " + household + "/" + person
}

// en is English, for contacts and operators who read it.
type en struct{}

func (en) code() string               { return "en" }
func (en) join(lines []string) string { return strings.Join(lines, " ") }

func (en) channel(c event.Channel) string {
	switch c {
	case event.ChannelSMS:
		return "text message"
	case event.ChannelEmail:
		return "e-mail"
	}
	return "message"
}

var enCategories = map[event.Category]string{
	event.CategoryUnpaidBill:        "fake unpaid bill",
	event.CategoryAccountLock:       "fake account lock",
	event.CategoryImpersonation:     "impersonation",
	event.CategoryInvestment:        "investment or side-job offer",
	event.CategoryShopping:          "fake online shop",
	event.CategoryGiftCardDemand:    "gift card demand",
	event.CategoryPhishingLink:      "link to a fake site",
	event.CategoryCodeHandover:      "gift card code sent",
	event.CategoryPurchaseAfterLure: "gift card bought after a lure",
}

func (en) category(c event.Category) string {
	if s, ok := enCategories[c]; ok {
		return s
	}
	return string(c)
}

func (l en) categories(cs []event.Category) string {
	var out []string
	for _, c := range cs {
		out = append(out, l.category(c))
	}
	return strings.Join(out, ", ")
}

func (en) flag(f event.Flag) string {
	switch f {
	case event.FlagGoToShop:
		return "It tells them to buy gift cards at a shop right now"
	case event.FlagStayOnPhone:
		return "It tells them to stay on the phone"
	case event.FlagTellNoOne:
		return "It tells them to tell no one"
	}
	return string(f)
}

func (en) when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2 Jan 15:04")
}

func (en) levelPhrase(l event.Level) string {
	if l >= event.LevelScam {
		return "very likely a scam"
	}
	return "possibly a scam"
}

func (l en) personLead(ch string, lv event.Level, urgent bool) string {
	head := "Warning:"
	if urgent {
		head = "URGENT:"
	}
	return head + " the " + ch + " you just received is " + l.levelPhrase(lv) + "."
}

func (en) personFlag(f event.Flag) string {
	switch f {
	case event.FlagGoToShop:
		return "Do not go to the shop."
	case event.FlagStayOnPhone:
		return "Hang up the phone now."
	case event.FlagTellNoOne:
		return "\"Tell no one\" is a sign of fraud."
	}
	return ""
}

func (en) personDoNotBuy() string   { return "Do not buy gift cards or give anyone their numbers." }
func (en) personNoCallBack() string { return "Do not call the numbers in the message." }
func (en) personNoLink() string     { return "Do not open its link." }

func (en) personHelper(helper string) string {
	if helper == "" {
		return "If you are worried, call your family or the police advice line (#9110)."
	}
	return "If you are worried, call " + helper + "."
}

func (en) personHelperNow(helper string) string {
	if helper == "" {
		return "Call your family or the police advice line (#9110) now."
	}
	return "Call " + helper + " now."
}

func (en) personCode() string {
	return "URGENT: it looks like you sent a gift card number. This is very likely a scam."
}

func (en) personAmazon() string {
	return "If the card has not been used yet, Amazon can often block it."
}

func (en) personSummary(n int) string {
	return "Warning: " + strconv.Itoa(n) + " more suspicious messages came from the same sender. Do not reply or call the numbers in them."
}

func (en) personSubject(urgent bool) string {
	if urgent {
		return "URGENT: a message that is very likely a scam"
	}
	return "Warning: a message that may be a scam"
}

func (l en) contactLead(person string, lv event.Level, ch, when string, urgent bool) string {
	head := "Scam alert:"
	if urgent {
		head = "URGENT:"
	}
	s := head + " " + person + " received a " + ch + " that is " + l.levelPhrase(lv)
	if when != "" {
		s += " (" + when + ")"
	}
	return s + "."
}

func (l en) contactSubject(person string, lv event.Level, ch string, urgent bool) string {
	head := "Scam alert:"
	if urgent {
		head = "URGENT:"
	}
	return head + " " + person + " received a " + ch + " that is " + l.levelPhrase(lv)
}

func (en) contactCodeLead(person, when string) string {
	s := "URGENT: " + person + " may have sent a gift card number"
	if when != "" {
		s += " (" + when + ")"
	}
	return s + "."
}

func (en) contactCodeSubject(person string) string {
	return "URGENT: " + person + " may have sent a gift card number"
}

func (l en) escalationLead(person string, lv event.Level, ch, when string, waited time.Duration, code bool) string {
	what := "the " + ch + " to " + person + " that is " + l.levelPhrase(lv)
	if code {
		what = "the gift card number " + person + " may have sent"
	}
	s := "URGENT, NOT YET SEEN: nobody has confirmed the alert about " + what
	if when != "" {
		s += " (" + when + ")"
	}
	return s + " for " + minutes(waited) + " minutes."
}

func (en) escalationSubject(person string) string {
	return "URGENT: nobody has confirmed the scam alert about " + person
}

func (l en) summaryLead(person string, n int, lv event.Level) string {
	return "Scam alert: " + person + " received " + strconv.Itoa(n) + " more messages from the same sender that are " + l.levelPhrase(lv) + " (following the earlier alert)."
}

func (en) summarySubject(person string, n int) string {
	return "Scam alert: " + strconv.Itoa(n) + " more messages to " + person + " from the same sender"
}

func (en) flagsLine(flags []string) string { return strings.Join(flags, ". ") + "." }
func (en) categoryLine(cats string) string { return "Kind: " + cats }
func (en) senderLine(s string) string      { return "From: " + s }
func (en) reasonsHead() string             { return "Why:" }
func (en) bullet(s string) string          { return "- " + s }
func (en) excerptLine(s string) string     { return "It says: \"" + s + "\"" }

func (en) actionCall(person string) string {
	return "Call " + person + " on the number you already know and tell them not to buy gift cards. Do not call any number in the message."
}

func (en) actionCode(person string) string {
	return "Contact Amazon customer service now (an unused code can often be blocked), and call " + person + " on the number you already know."
}

func (en) guidanceNoLink() string { return "Tell them not to open the link in the message." }
func (en) guidanceNeverGiftCards() string {
	return "Amazon and public bodies never ask for payment in gift cards."
}
func (en) guidanceEvidence() string {
	return "Keep the messages; do not delete them (they are evidence)."
}
func (en) ifCodeGivenHead() string { return "If a gift card number was already given away:" }
func (en) guidanceAmazon() string {
	return "- Contact Amazon customer service at once (an unused code can often be blocked)."
}
func (en) guidanceResend() string {
	return "- For an e-mail gift card, use \"resend\" on the order to cancel the old code (only before it is used)."
}
func (en) guidanceReport() string {
	return "Help: police advice line #9110, consumer hotline 188"
}

func (en) ackReplyOrLink(url string) string {
	return "When you have seen this, reply to this SMS or open: " + url
}
func (en) ackLink(url string) string { return "When you have seen this, open: " + url }
func (en) ackReply() string          { return "When you have seen this, reply to this SMS." }
func (en) footer() string {
	return "- An automatic alert from scamscreen."
}

func (l en) speech(person string, lv event.Level, flags []string, code, escalation bool) string {
	var b strings.Builder
	b.WriteString("This is an automatic call from the scam alert service. ")
	if escalation {
		b.WriteString("Nobody has confirmed the alert yet. ")
	}
	if code {
		b.WriteString(person + " may have sent a gift card number. Contact Amazon customer service now. ")
	} else {
		b.WriteString(person + " received a message that is " + l.levelPhrase(lv) + ". ")
		for _, f := range flags {
			b.WriteString(f + ". ")
		}
	}
	b.WriteString("Call " + person + " now on the number you already know and tell them not to buy gift cards. Do not call the number in the message. The details are in the text message.")
	return b.String()
}

func (l en) helpdesk(household, person, name string, lv event.Level, cats, when string, waited time.Duration, verdictID string) string {
	s := "[scamscreen] Unacknowledged urgent alert: household " + household + " / " + person
	if name != "" {
		s += " (" + name + ")"
	}
	s += ". Verdict: " + l.levelPhrase(lv)
	if cats != "" {
		s += " (" + cats + ")"
	}
	if when != "" {
		s += ", received " + when
	}
	return s + ". None of the registered family confirmed within " + minutes(waited) + " minutes. Please contact the subscriber. Verdict id: " + verdictID
}

func (en) helpdeskSubject(household, person string) string {
	return "[scamscreen] Unacknowledged urgent alert " + household + "/" + person
}
