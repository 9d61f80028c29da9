package worker_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/twilio"
	"github.com/scamscreen/scamscreen/notify/worker"
	"github.com/scamscreen/scamscreen/notify/worker/natsbus"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

// Phone numbers of the test household, E.164.
const (
	hanakoPhone = "+819012345678"
	kenjiPhone  = "+819011112222"
)

// lureText is a Japanese impersonation lure: a "son" with a new number
// wants gift cards bought at a convenience store now, and secrecy.
const lureText = "お母さん、健二だよ。スマホを落として番号が変わったんだ。急ぎで頼みがあって、今すぐコンビニでアマゾンのギフトカードを3万円分買って、裏の番号を写真で送ってくれる？父さんには内緒にしてね。"

var (
	engineOnce sync.Once
	engine     *screen.Engine
	engineErr  error
)

// screenLure screens a message with the shipped rule packs, as the screen
// worker would, and returns the verdict.
func screenLure(t testing.TB, id, text string) *event.Verdict {
	t.Helper()
	engineOnce.Do(func() {
		set, err := rules.LoadFS(configs.Rules, configs.RulesDir, "configs/rules")
		if err != nil {
			engineErr = err
			return
		}
		engine, engineErr = screen.New(set, screen.Options{})
	})
	if engineErr != nil {
		t.Fatalf("engine: %v", engineErr)
	}
	msg := &event.Message{
		ID: event.SMSID("twilio", id), Channel: event.ChannelSMS, Direction: event.DirectionIn,
		Household: "tanaka", Person: "hanako", ReceivedAt: time.Now().UTC(),
		From: event.Address{Addr: "+818049217733"}, To: []event.Address{{Addr: hanakoPhone}}, Text: text,
	}
	v := engine.Screen(msg)
	v.V = event.Version
	return &v
}

func secretFile(t testing.TB, value string) config.Secret {
	t.Helper()
	return config.SecretFromEnv(setenv(t, value))
}

var envSeq struct {
	sync.Mutex
	n int
}

// setenv puts value in a fresh environment variable for the test.
func setenv(t testing.TB, value string) string {
	envSeq.Lock()
	envSeq.n++
	name := "SCAMSCREEN_NOTIFY_TEST_SECRET_" + strconv.Itoa(envSeq.n)
	envSeq.Unlock()
	t.Setenv(name, value)
	return name
}

// testConfig is a notify configuration for the fake Twilio.
func testConfig(t testing.TB, fake *notifytest.TwilioFake) notify.Config {
	cfg := notify.DefaultConfig()
	cfg.Twilio.AccountSID = secretFile(t, notifytest.TwilioAccountSID)
	cfg.Twilio.AuthToken = secretFile(t, notifytest.TwilioAuthToken)
	cfg.Twilio.From = notifytest.TwilioFrom
	if fake != nil {
		cfg.Twilio.APIBaseURL = fake.URL()
	}
	cfg.Worker.TimerInterval = config.Duration(time.Hour) // tests fire timers themselves
	cfg.Worker.SendTimeout = config.Duration(5 * time.Second)
	cfg.Worker.AckWait = config.Duration(10 * time.Second)
	return cfg
}

func hanako(contacts ...notify.ContactConfig) notify.Person {
	if contacts == nil {
		contacts = []notify.ContactConfig{{ID: "kenji", Name: "健二", Relation: "son", SMS: "090-1111-2222", Consent: notify.ConsentReasons}}
	}
	return notify.Person{
		Household: "tanaka", ID: "hanako", Name: "田中花子", Phones: []string{"090-1234-5678"},
		Notify: notify.PersonConfig{Contacts: contacts},
	}
}

func directory(t testing.TB, cfg notify.Config, people ...notify.Person) *notify.Directory {
	t.Helper()
	d, err := notify.NewDirectory(cfg, people)
	if err != nil {
		t.Fatalf("NewDirectory() = %v", err)
	}
	return d
}

// running is a worker running in the background.
type running struct {
	w    *worker.Worker
	stop func() error
}

// start runs a worker on b until the test ends (or stop is called). Stores
// and Bus left unset in deps are b's.
func start(t testing.TB, b *bus.Bus, cfg notify.Config, deps worker.Deps) running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	// A test may hand in decorated stores and bus; the rest get b's.
	if deps.Stores.State == nil {
		stores, err := natsbus.OpenStores(ctx, b, cfg)
		if err != nil {
			cancel()
			t.Fatalf("OpenStores() = %v", err)
		}
		deps.Stores = stores
	}
	if deps.Bus == nil {
		deps.Bus = natsbus.Bus{Bus: b}
	}
	if deps.Logger == nil {
		deps.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	w, err := worker.New(cfg, deps)
	if err != nil {
		cancel()
		t.Fatalf("worker.New() = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = errors.New("worker did not stop within 30s")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("worker.Run() = %v", err)
		}
	})
	return running{w: w, stop: stop}
}

func twilioChannels(t testing.TB, cfg notify.Config) map[string]notify.Channel {
	t.Helper()
	c, err := twilio.New(cfg.Twilio, zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)))
	if err != nil {
		t.Fatalf("twilio.New() = %v", err)
	}
	return map[string]notify.Channel{notify.ChannelSMS: c.SMS(), notify.ChannelVoice: c.Voice()}
}

// poll waits until cond holds, failing the test after timeout.
func poll(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// audits returns every audit record on ALERTS.
func audits(t testing.TB, b *bus.Bus) []event.Alert {
	t.Helper()
	var out []event.Alert
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := b.Replay(ctx, event.StreamAlerts, []string{event.AlertAuditFilter}, bus.ReplayFrom{}, func(_ context.Context, d *bus.Delivery) error {
		a, err := event.Decode[event.Alert](d.Data())
		if err != nil {
			return err
		}
		out = append(out, *a)
		return nil
	})
	if err != nil {
		t.Fatalf("replay ALERTS: %v", err)
	}
	return out
}

func countStatus(as []event.Alert, recipient string, status event.AlertStatus) int {
	n := 0
	for _, a := range as {
		if a.Recipient == recipient && a.Status == status {
			n++
		}
	}
	return n
}

// settled reports whether durable has been delivered everything up to
// stream sequence seq (0: anything) and has nothing pending or
// unacknowledged.
func settled(t testing.TB, b *bus.Bus, stream, durable string, seq uint64) bool {
	t.Helper()
	js, err := jetstream.New(b.Conn())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := js.Consumer(ctx, stream, durable)
	if err != nil {
		return false
	}
	info, err := c.Info(ctx)
	if err != nil {
		return false
	}
	return info.Delivered.Stream >= seq && info.NumAckPending == 0 && info.NumPending == 0
}

// lastSeq is the last sequence of stream.
func lastSeq(t testing.TB, b *bus.Bus, stream string) uint64 {
	t.Helper()
	js, err := jetstream.New(b.Conn())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.LastSeq
}
