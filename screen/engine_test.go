package screen_test

import (
	"bytes"
	"io/fs"
	"strconv"
	"sync"
	"testing"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

var (
	shippedOnce sync.Once
	shipped     *screen.Engine
	shippedErr  error
)

// engine builds the engine from the shipped rule packs once per test binary.
func engine(tb testing.TB) *screen.Engine {
	tb.Helper()
	shippedOnce.Do(func() {
		set, err := rules.LoadFS(configs.Rules, configs.RulesDir, "configs/rules")
		if err != nil {
			shippedErr = err
			return
		}
		shipped, shippedErr = screen.New(set, screen.Options{})
	})
	if shippedErr != nil {
		tb.Fatalf("shipped rule packs: %v", shippedErr)
	}
	return shipped
}

// TestShippedPacksExamples runs every example of every shipped rule.
func TestShippedPacksExamples(t *testing.T) {
	e := engine(t)
	failures, n := e.CheckExamples()
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d examples of %d rules; engine: %+v", n, len(e.Rules()), e.Stats())
}

func TestScreenLevels(t *testing.T) {
	e := engine(t)
	for _, tc := range []struct {
		name string
		msg  event.Message
		want event.Level
		cat  event.Category
	}{
		{"fake support with gift cards", event.Message{Channel: event.ChannelSMS, Direction: event.DirectionIn,
			Text: "【Amazon】お客様のアカウントがロックされました。解除するにはコンビニでAmazonギフト券を購入し、番号を送ってください。"},
			event.LevelScam, event.CategoryGiftCardDemand},
		{"plain chat", event.Message{Channel: event.ChannelSMS, Direction: event.DirectionIn, Text: "今日の夕飯は何がいい？"}, event.LevelClean, ""},
		{"code sent", event.Message{Channel: event.ChannelSMS, Direction: event.DirectionOut, Text: "AQ4T-7VNT3K-M8PRW"}, event.LevelScam, event.CategoryCodeHandover},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.msg.ID = "t"
			v := e.Screen(&tc.msg)
			if v.Level != tc.want {
				t.Errorf("Screen = %v (score %v, reasons %+v), want %v", v.Level, v.Score, v.Reasons, tc.want)
			}
			if tc.cat != "" && !v.Has(tc.cat) {
				t.Errorf("Screen categories = %v, want %v among them", v.Categories, tc.cat)
			}
		})
	}
}

func configsRules() fs.FS { return configs.Rules }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func fmtWeight(w float64) string { return strconv.FormatFloat(w, 'f', -1, 64) }
