package screen_test

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/event"
)

// corpusMessages loads SMS-sized messages from the development corpora: the
// UCI English SMS and the Japanese development set.
func corpusMessages(tb testing.TB) (sms []*event.Message, jaMail []*event.Message) {
	tb.Helper()
	f, err := os.Open("../../shared/corpora/uci-sms-spam/SMSSpamCollection")
	if err != nil {
		tb.Skipf("corpora not available: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		_, text, _ := strings.Cut(sc.Text(), "\t")
		sms = append(sms, &event.Message{ID: "u", Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: text})
	}
	g, err := os.Open("../../shared/corpora/ja-dev.jsonl")
	if err != nil {
		tb.Skipf("corpora not available: %v", err)
	}
	defer g.Close()
	sc = bufio.NewScanner(g)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r struct{ Channel, From, Subject, Body string }
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		m := &event.Message{ID: "j", Channel: event.Channel(r.Channel), Direction: event.DirectionIn, Subject: r.Subject, Text: r.Body, From: event.Address{Name: r.From}}
		if m.Channel == event.ChannelSMS {
			sms = append(sms, m)
		} else {
			jaMail = append(jaMail, m)
		}
	}
	return sms, jaMail
}

// BenchmarkScreen measures the engine with the shipped packs on corpus
// messages: SMS-sized messages (UCI and Japanese SMS mixed, as an ISP's
// SMS feed) and Japanese e-mail bodies (reported in MB/s).
func BenchmarkScreen(b *testing.B) {
	e := engine(b)
	sms, mail := corpusMessages(b)
	b.Logf("engine: %+v", e.Stats())
	b.Run("sms", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_ = e.Screen(sms[i%len(sms)])
		}
	})
	// One long Japanese mail (every corpus mail body joined, about 26 KB):
	// the text rate once per-message costs are spread thin.
	long := &event.Message{ID: "long", Channel: event.ChannelEmail, Direction: event.DirectionIn, Subject: mail[0].Subject}
	var sb strings.Builder
	for _, m := range mail {
		sb.WriteString(m.Text)
		sb.WriteString("\n\n")
	}
	long.Text = sb.String()
	b.Run("ja_email_long", func(b *testing.B) {
		b.SetBytes(int64(len(long.Text) + len(long.Subject)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_ = e.Screen(long)
		}
	})
	b.Run("ja_email", func(b *testing.B) {
		total := 0
		for _, m := range mail {
			total += len(m.Text) + len(m.Subject)
		}
		b.SetBytes(int64(total / len(mail)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_ = e.Screen(mail[i%len(mail)])
		}
	})
}
