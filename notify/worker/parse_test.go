package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/worker"
)

func TestParseAck(t *testing.T) {
	cfg := testConfig(t, nil)
	dir := directory(t, cfg, hanako())
	subject, _ := event.AlertAckSubject("tanaka", "hanako")
	link, _ := event.Encode(&event.Alert{ID: event.AlertID("vd-1", "kenji", "sms", 0), Recipient: "kenji", Household: "tanaka", Person: "hanako", Status: event.AlertAcknowledged, Channel: notify.AckChannel})
	reply, _ := event.Encode(&event.Message{ID: "sms-1", Channel: event.ChannelSMS, Direction: event.DirectionIn, Household: "tanaka", Person: "hanako", From: event.Address{Addr: "090-1111-2222"}, ReceivedAt: time.Now()})
	bare, _ := event.Encode(&event.Message{ID: "sms-2", Channel: event.ChannelSMS, From: event.Address{Addr: kenjiPhone}})
	stranger, _ := event.Encode(&event.Message{ID: "sms-3", Household: "tanaka", Person: "hanako", From: event.Address{Addr: "+818049217733"}})
	sent, _ := event.Encode(&event.Alert{ID: "al-x", Status: event.AlertSent})
	tests := []struct {
		name      string
		data      []byte
		recipient string
		alert     bool
		bad       bool
	}{
		{"link acknowledgement", link, "kenji", true, false},
		{"sms reply", reply, "kenji", false, false},
		{"reply without ids takes them from the subject", bare, "kenji", false, false},
		{"reply from a stranger", stranger, "", false, true},
		{"an alert that is no acknowledgement", sent, "", false, true},
		{"not json", []byte("{"), "", false, true},
		{"neither", []byte(`{"v":1}`), "", false, true},
	}
	for _, tt := range tests {
		ack, err := worker.ParseAck(dir, subject, tt.data)
		if (err != nil) != tt.bad {
			t.Errorf("ParseAck(%s) error = %v, want error %v", tt.name, err, tt.bad)
			continue
		}
		if tt.bad {
			if err != nil && (containsAny(err.Error(), "8049217733", "1111-2222")) {
				t.Errorf("ParseAck(%s) error shows a phone number: %v", tt.name, err)
			}
			continue
		}
		if ack.Household != "tanaka" || ack.Person != "hanako" || ack.Recipient != tt.recipient || (ack.AlertID != "") != tt.alert {
			t.Errorf("ParseAck(%s) = %+v", tt.name, ack)
		}
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func FuzzParseAck(f *testing.F) {
	cfg := testConfig(f, nil)
	dir := directory(f, cfg, hanako())
	link, _ := event.Encode(&event.Alert{ID: "al-x", Recipient: "kenji", Household: "tanaka", Person: "hanako", Status: event.AlertAcknowledged})
	reply, _ := event.Encode(&event.Message{ID: "sms-1", Household: "tanaka", Person: "hanako", From: event.Address{Addr: kenjiPhone}})
	f.Add("scamscreen.alert.tanaka.hanako.ack", link)
	f.Add("scamscreen.alert.tanaka.hanako.ack", reply)
	f.Add("x", []byte("null"))
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		ack, err := worker.ParseAck(dir, subject, data)
		if err == nil && ack.Channel == "" {
			t.Fatalf("ParseAck(%q, %q) = %+v without a channel", subject, data, ack)
		}
	})
}

func TestNewChecksDependencies(t *testing.T) {
	cfg := testConfig(t, nil)
	dir := directory(t, cfg, hanako())
	kv := memKV{}
	stores := worker.Stores{Records: kv, State: kv, Timers: kv}
	tests := []struct {
		name string
		cfg  notify.Config
		deps worker.Deps
		want string
	}{
		{"nothing", cfg, worker.Deps{}, "bus is required"},
		{"no sms channel", cfg, worker.Deps{Bus: nilBus{}, Stores: stores, Directory: dir}, "recipients use sms but no sms channel is given"},
		{"shadow without a channel", func() notify.Config { c := cfg; c.Shadow = true; return c }(), worker.Deps{Bus: nilBus{}, Stores: stores, Directory: dir}, "shadow mode needs a shadow channel"},
		{"bad config", func() notify.Config { c := cfg; c.SMS.MaxSegments = 99; return c }(), worker.Deps{}, "sms.max_segments"},
	}
	for _, tt := range tests {
		_, err := worker.New(tt.cfg, tt.deps)
		if err == nil || !containsAny(err.Error(), tt.want) {
			t.Errorf("New(%s) = %v, want an error about %q", tt.name, err, tt.want)
		}
	}
	if _, err := worker.New(cfg, worker.Deps{Bus: nilBus{}, Stores: stores, Directory: dir, Channels: map[string]notify.Channel{notify.ChannelSMS: &notifytest.Recorder{}}}); err != nil {
		t.Errorf("New(complete) = %v", err)
	}
}

type nilBus struct{}

func (nilBus) PublishAlertJob(context.Context, *event.Alert) (uint64, bool, error) {
	return 0, false, nil
}
func (nilBus) PublishAlert(context.Context, *event.Alert) (uint64, bool, error) { return 0, false, nil }
func (nilBus) Consume(context.Context, worker.Consumer, worker.Handler) error   { return nil }

type memKV struct{}

func (memKV) Get(context.Context, string) ([]byte, uint64, error)            { return nil, 0, worker.ErrNotFound }
func (memKV) Create(context.Context, string, []byte) (uint64, error)         { return 1, nil }
func (memKV) Update(context.Context, string, []byte, uint64) (uint64, error) { return 1, nil }
func (memKV) Put(context.Context, string, []byte) (uint64, error)            { return 1, nil }
func (memKV) Delete(context.Context, string, uint64) error                   { return nil }
func (memKV) Keys(context.Context, string) ([]string, error)                 { return nil, nil }
