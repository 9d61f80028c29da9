package worker_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/worker"
	"github.com/scamscreen/scamscreen/notify/worker/natsbus"
)

// crashable starts a worker on its own connection to the embedded server
// and returns a function that kills that connection, as a process crash
// would: nothing more is acknowledged or written by it.
func crashable(t *testing.T, url string, cfg notify.Config, deps worker.Deps) (kill func(), stop func()) {
	t.Helper()
	bc := bus.DefaultConfig()
	bc.URL = []string{url}
	c := natstest.Open(t, bc, nil)
	ctx, cancel := context.WithCancel(context.Background())
	stores, err := natsbus.OpenStores(ctx, c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	deps.Bus, deps.Stores = natsbus.Bus{Bus: c}, stores
	w, err := worker.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	stop = func() {
		cancel()
		select {
		case <-done: // a killed worker returns its connection error; that is the point
		case <-time.After(30 * time.Second):
			t.Error("crashed worker did not return")
		}
	}
	return func() { c.Conn().Close() }, stop
}

func crashConfig(t *testing.T, fake *notifytest.TwilioFake) notify.Config {
	cfg := testConfig(t, fake)
	cfg.Worker.SendTimeout = config.Duration(time.Second)
	cfg.Worker.AckWait = config.Duration(3 * time.Second)
	return cfg
}

// TestCrashAfterRecordBeforeAck: the worker dies after Twilio accepted the
// SMS and the delivery record says so, but before the job was
// acknowledged. JetStream delivers the job again to the restarted worker,
// which finds the record and sends nothing twice.
func TestCrashAfterRecordBeforeAck(t *testing.T) {
	b := natstest.Embedded(t, func(c *bus.Config) { c.Embedded.Listen = "127.0.0.1:0" })
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	cfg := crashConfig(t, fake)
	dir := directory(t, cfg, hanako())
	v := screenLure(t, "SM-crash-1", lureText)
	sonAlert := event.AlertID(v.ID, "kenji", notify.ChannelSMS, 0)

	crashed := make(chan struct{})
	var once sync.Once
	var kill func()
	deps := worker.Deps{Directory: dir, Channels: twilioChannels(t, cfg)}
	deps.AfterRecord = func(id string) {
		if id == sonAlert {
			once.Do(func() { kill(); close(crashed) })
		}
	}
	kill, stop := crashable(t, b.ClientURL(), cfg, deps)

	if _, _, err := b.PublishVerdict(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	select {
	case <-crashed:
	case <-time.After(20 * time.Second):
		t.Fatal("the worker never reached the point after the record")
	}
	stop()
	if n := len(fake.MessagesTo(kenjiPhone)); n != 1 {
		t.Fatalf("before the restart the son has %d SMS, want 1", n)
	}
	if st := recordState(t, b, cfg, sonAlert); st != notify.StateSent {
		t.Fatalf("before the restart the son's record says %q, want sent", st)
	}
	if settled(t, b, event.StreamAlerts, worker.DurableDeliver, 0) {
		t.Fatal("before the restart the son's job is acknowledged; the crash came too late to test anything")
	}

	// Restart: a new worker process on a new connection.
	start(t, b, cfg, worker.Deps{Directory: dir, Channels: twilioChannels(t, cfg)})
	poll(t, 30*time.Second, "the redelivered job to be acknowledged", func() bool {
		return countStatus(audits(t, b), "kenji", event.AlertSent) == 1 &&
			settled(t, b, event.StreamAlerts, worker.DurableDeliver, 0)
	})
	if n := len(fake.MessagesTo(kenjiPhone)); n != 1 {
		t.Errorf("after the restart the son has %d SMS, want 1", n)
	}
	if n := len(fake.MessagesTo(hanakoPhone)); n != 1 {
		t.Errorf("after the restart the person has %d SMS, want 1", n)
	}
}

// TestCrashAfterProviderCallBeforeRecord: the worker dies after Twilio
// accepted the SMS but before the record says so. The record still says
// "sending"; once its deadline passes, the restarted worker asks Twilio,
// finds the message and sends nothing twice.
func TestCrashAfterProviderCallBeforeRecord(t *testing.T) {
	b := natstest.Embedded(t, func(c *bus.Config) { c.Embedded.Listen = "127.0.0.1:0" })
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	cfg := crashConfig(t, fake)
	dir := directory(t, cfg, hanako())
	v := screenLure(t, "SM-crash-2", lureText)
	sonAlert := event.AlertID(v.ID, "kenji", notify.ChannelSMS, 0)

	crashed := make(chan struct{})
	var once sync.Once
	var kill func()
	deps := worker.Deps{Directory: dir, Channels: twilioChannels(t, cfg)}
	deps.AfterSend = func(id string) {
		if id == sonAlert {
			once.Do(func() { kill(); close(crashed) })
		}
	}
	kill, stop := crashable(t, b.ClientURL(), cfg, deps)
	if _, _, err := b.PublishVerdict(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	select {
	case <-crashed:
	case <-time.After(20 * time.Second):
		t.Fatal("the worker never reached the point after the provider call")
	}
	stop()
	if n := len(fake.MessagesTo(kenjiPhone)); n != 1 {
		t.Fatalf("before the restart the son has %d SMS, want 1", n)
	}
	if st := recordState(t, b, cfg, sonAlert); st != notify.StateSending {
		t.Fatalf("before the restart the son's record says %q, want sending (the outcome was never written)", st)
	}

	start(t, b, cfg, worker.Deps{Directory: dir, Channels: twilioChannels(t, cfg)})
	poll(t, 60*time.Second, "the son's alert to be reconciled and acknowledged", func() bool {
		return countStatus(audits(t, b), "kenji", event.AlertSent) == 1 &&
			settled(t, b, event.StreamAlerts, worker.DurableDeliver, 0)
	})
	if n := len(fake.MessagesTo(kenjiPhone)); n != 1 {
		t.Errorf("after the restart the son has %d SMS, want 1", n)
	}
	if n := len(fake.MessagesTo(hanakoPhone)); n != 1 {
		t.Errorf("after the restart the person has %d SMS, want 1", n)
	}
}

// recordState reads the delivery record of alert id.
func recordState(t *testing.T, b *bus.Bus, cfg notify.Config, id string) notify.RecordState {
	t.Helper()
	st, err := natsbus.OpenStores(context.Background(), b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := st.Records.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("record of %s: %v", id, err)
	}
	var r notify.Record
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r.State
}
