package smstest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
)

// Sample is a realistic SMS of a protected person, written for scamscreen
// (no corpus text), with what the shipped rule packs should say about it.
type Sample struct {
	// Name is a short stable slug; it seeds the sample's ids.
	Name string
	// Direction is in (the person received it) or out (the person sent it).
	Direction event.Direction
	// Peer is the other party: the sender of an incoming SMS, the
	// recipient of an outgoing one. E.164 or an alphanumeric sender id.
	Peer string
	// Body is the text.
	Body string
	// At is when it was sent or received.
	At time.Time
	// WantLevel and WantCategory are what screening with the shipped rule
	// packs should find (WantCategory is empty for a clean message).
	WantLevel    event.Level
	WantCategory event.Category
}

var jst = time.FixedZone("JST", 9*60*60)

// Samples returns the bundled samples: a Japanese unpaid-bill lure, an
// account-lock lure, a "relative" on a new number asking for gift cards,
// an ordinary message, and the person's reply handing over an Amazon
// gift-card code. The slice is new on every call.
func Samples() []Sample {
	return []Sample{
		{
			Name:      "unpaid-bill",
			Direction: event.DirectionIn,
			Peer:      "+815031842976",
			Body: "【未払い料金のお知らせ】ご利用中のサービスの料金が未納です。本日中にご連絡がない場合、法的措置に移行します。" +
				"至急 050-3184-2976 までお電話ください。お支払いはコンビニでAmazonギフト券をご購入のうえ、番号をお伝えください。",
			At:           time.Date(2026, 11, 30, 9, 12, 4, 0, jst),
			WantLevel:    event.LevelScam,
			WantCategory: event.CategoryUnpaidBill,
		},
		{
			Name:      "account-lock",
			Direction: event.DirectionIn,
			Peer:      "Amazon",
			Body: "【Amazon】お客様のアカウントで不正なログインを検知したため、ご利用を一時停止しました。" +
				"24時間以内に以下から本人確認を行わないとアカウントがロックされます。 https://amazon-co-jp.account-verify.top/signin",
			At:           time.Date(2026, 11, 30, 10, 40, 51, 0, jst),
			WantLevel:    event.LevelScam,
			WantCategory: event.CategoryAccountLock,
		},
		{
			Name:      "relative-new-number",
			Direction: event.DirectionIn,
			Peer:      "+818072639154",
			Body: "お母さん、俺だけど。スマホが壊れて番号が変わったからこっちを登録しておいて。" +
				"急ぎで頼みたいことがあって、コンビニでアップルのギフトカードを5万円分買って、裏の番号を写真で送ってくれない？" +
				"今日中に必要なんだ。誰にも言わないでね。",
			At:           time.Date(2026, 11, 30, 13, 5, 37, 0, jst),
			WantLevel:    event.LevelScam,
			WantCategory: event.CategoryGiftCardDemand,
		},
		{
			Name:         "ordinary",
			Direction:    event.DirectionIn,
			Peer:         "+817011112222",
			Body:         "明日の病院は10時に迎えに行くね。保険証を忘れないでね。",
			At:           time.Date(2026, 11, 30, 18, 22, 9, 0, jst),
			WantLevel:    event.LevelClean,
			WantCategory: "",
		},
		{
			Name:         "code-handover",
			Direction:    event.DirectionOut,
			Peer:         "+818072639154",
			Body:         "買ってきたよ。番号です AQ4T-7VNT3K-M8PRW",
			At:           time.Date(2026, 11, 30, 14, 48, 15, 0, jst),
			WantLevel:    event.LevelScam,
			WantCategory: event.CategoryCodeHandover,
		},
	}
}

// SampleByName returns the bundled sample called name.
func SampleByName(name string) (Sample, bool) {
	for _, s := range Samples() {
		if s.Name == name {
			return s, true
		}
	}
	return Sample{}, false
}

func hexOf(seed string, n int) string {
	sum := sha256.Sum256([]byte(seed))
	return hex.EncodeToString(sum[:])[:n]
}

// TwilioSID returns the MessageSid the sample carries in Twilio webhooks:
// "SM" and 32 hex digits derived from its name, so re-sending it is a
// duplicate.
func (s Sample) TwilioSID() string { return "SM" + hexOf("scamscreen-sample:"+s.Name, 32) }

// TwilioAccountSID is the AccountSid of the samples' Twilio webhooks (a
// made-up account).
const TwilioAccountSID = "ACeb9861b71c6d1bca41ab673157c8d090"

// e164 returns the E.164 form of a number where it has one.
func e164(n string) string {
	if e, ok := sms.Normalize(n); ok {
		return e
	}
	return n
}

// TwilioParams returns the form Twilio POSTs when the sample arrives at
// person's number (any form sms.Normalize accepts). Only incoming samples
// travel through Twilio; an outgoing one gets the same form, which the
// listener would take as incoming.
func (s Sample) TwilioParams(person string) url.Values {
	sid := s.TwilioSID()
	return url.Values{
		"ToCountry":     {"JP"},
		"ToState":       {""},
		"SmsMessageSid": {sid},
		"NumMedia":      {"0"},
		"ToCity":        {""},
		"FromZip":       {""},
		"SmsSid":        {sid},
		"FromState":     {""},
		"SmsStatus":     {"received"},
		"FromCity":      {""},
		"Body":          {s.Body},
		"FromCountry":   {"JP"},
		"To":            {e164(person)},
		"ToZip":         {""},
		"NumSegments":   {"1"},
		"MessageSid":    {sid},
		"AccountSid":    {TwilioAccountSID},
		"From":          {e164(s.Peer)},
		"ApiVersion":    {"2010-04-01"},
	}
}

// Payload returns the sample as a source of format would POST it for
// person (any form sms.Normalize accepts). Template forwarders forward
// incoming SMS only: an outgoing sample gives [ErrFormat] for them.
func (s Sample) Payload(format, person string) ([]byte, error) {
	from, to := s.Peer, e164(person)
	if s.Direction == event.DirectionOut {
		from, to = to, s.Peer
	}
	switch format {
	case sms.FormatScamscreen:
		return json.Marshal(map[string]any{
			"direction": string(s.Direction),
			"from":      from,
			"to":        to,
			"body":      s.Body,
			"time":      s.At.Format(time.RFC3339),
			"source_id": "sample-" + s.Name,
		})
	case sms.FormatSMSGateway:
		ev, stampKey, phone := "sms:received", "receivedAt", from
		if s.Direction == event.DirectionOut {
			ev, stampKey, phone = "sms:sent", "sentAt", to
		}
		return json.Marshal(map[string]any{
			"deviceId":  "ffffffffd4c2a8b1000001936e5f0a27",
			"event":     ev,
			"id":        hexOf("event:"+s.Name, 21),
			"webhookId": "scamscreen-demo",
			"payload": map[string]any{
				"messageId":   hexOf("msg:"+s.Body, 8),
				"message":     s.Body,
				"sender":      from,
				"recipient":   to,
				"phoneNumber": phone,
				"simNumber":   1,
				stampKey:      s.At.Format("2006-01-02T15:04:05.000Z07:00"),
			},
		})
	case sms.FormatTemplate:
		if s.Direction != event.DirectionIn {
			return nil, fmt.Errorf("sample %s is outgoing: %w", s.Name, ErrFormat)
		}
		ms := s.At.UnixMilli()
		return json.Marshal(map[string]any{
			"from":          from,
			"text":          s.Body,
			"sentStamp":     ms - 2000,
			"receivedStamp": ms,
			"sim":           "sim1",
		})
	}
	return nil, fmt.Errorf("format %q: %w", format, ErrFormat)
}
