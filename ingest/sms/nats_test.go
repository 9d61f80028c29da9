package sms_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

// busAcks adapts a bus to AckPublisher (the CLI uses notify/worker/natsbus,
// which a stage may not import).
type busAcks struct{ b *bus.Bus }

func (a busAcks) PublishAck(ctx context.Context, al *event.Alert) error {
	subj, err := event.AlertAckSubject(al.Household, al.Person)
	if err != nil {
		return err
	}
	data, err := event.Encode(al)
	if err != nil {
		return err
	}
	_, _, err = a.b.Publish(ctx, subj, al.ID, data, nil)
	return err
}

// busEnv is a listener publishing to a real JetStream.
func busEnv(t testing.TB, b *bus.Bus, mod func(*sms.Config)) (*httptest.Server, *smstest.Client) {
	t.Helper()
	cfg := testConfig(t)
	if mod != nil {
		mod(&cfg)
	}
	srv, err := sms.New(cfg, directory(t), b, sms.Options{Acks: busAcks{b}, Logger: natstest.Logger(t), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatalf("sms.New() = %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, &smstest.Client{BaseURL: ts.URL, PublicURL: publicURL, TwilioAuthToken: authToken, HTTPClient: ts.Client()}
}

// stored returns every message of subject filter in stream, in order.
func stored[T event.Message | event.Alert | event.Verdict](t testing.TB, b *bus.Bus, stream, filter string) []*T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []*T
	var mu sync.Mutex
	err := b.Replay(ctx, stream, []string{filter}, bus.ReplayFrom{}, func(_ context.Context, d *bus.Delivery) error {
		v, err := event.Decode[T](d.Data())
		if err != nil {
			return err
		}
		mu.Lock()
		out = append(out, v)
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatalf("Replay(%s) = %v", stream, err)
	}
	return out
}

var (
	engineOnce sync.Once
	engine     *screen.Engine
	engineErr  error
)

// shippedEngine is the screening engine with the shipped rule packs.
func shippedEngine(t testing.TB) *screen.Engine {
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
		t.Fatalf("shipped engine: %v", engineErr)
	}
	return engine
}

// TestEndToEnd posts every bundled sample the way real senders do
// (Twilio-signed for incoming, a forwarder for outgoing), screens what
// landed on INBOUND with the shipped engine, publishes the verdicts to
// VERDICTS and checks them there.
func TestEndToEnd(t *testing.T) {
	b := natstest.Embedded(t)
	_, client := busEnv(t, b, nil)
	ctx := context.Background()

	sent, err := client.SendSamples(ctx, hanako, srcPhone)
	if err != nil {
		t.Fatalf("SendSamples() = %v", err)
	}
	if len(sent) != len(smstest.Samples()) {
		t.Fatalf("sent %d samples, want %d", len(sent), len(smstest.Samples()))
	}
	for _, s := range sent {
		want := "twilio"
		if s.Sample.Direction == event.DirectionOut {
			want = srcPhone.Name
		}
		if s.Via != want {
			t.Errorf("sample %s went via %s, want %s", s.Sample.Name, s.Via, want)
		}
	}
	// A second run is all duplicates.
	if _, err := client.SendSamples(ctx, hanako, srcPhone); err != nil {
		t.Fatalf("SendSamples() again = %v", err)
	}

	msgs := stored[event.Message](t, b, event.StreamInbound, event.InboundFilterAll)
	if len(msgs) != len(sent) {
		t.Fatalf("INBOUND holds %d messages, want %d (duplicates dropped)", len(msgs), len(sent))
	}
	eng := shippedEngine(t)
	byText := map[string]smstest.Sample{}
	for _, s := range smstest.Samples() {
		byText[s.Body] = s
	}
	for _, m := range msgs {
		v := eng.Screen(m)
		if _, _, err := b.PublishVerdict(ctx, &v); err != nil {
			t.Fatalf("PublishVerdict(%s) = %v", m.ID, err)
		}
	}
	verdicts := stored[event.Verdict](t, b, event.StreamVerdicts, event.VerdictFilterAll)
	if len(verdicts) != len(msgs) {
		t.Fatalf("VERDICTS holds %d verdicts, want %d", len(verdicts), len(msgs))
	}
	for i, v := range verdicts {
		m := msgs[i]
		s, ok := byText[m.Text]
		if !ok {
			t.Fatalf("message %s has a text of no sample", m.ID)
		}
		if v.MessageID != m.ID || v.Level != s.WantLevel || (s.WantCategory != "" && !hasCategory(v.Categories, s.WantCategory)) {
			t.Errorf("sample %s: verdict %s %v, want %s with %q", s.Name, v.Level, v.Categories, s.WantLevel, s.WantCategory)
		}
		if m.Household != "tanaka" || m.Person != "hanako" || v.Person != "hanako" {
			t.Errorf("sample %s: for %s/%s, want tanaka/hanako", s.Name, m.Household, m.Person)
		}
	}
	// The two the issue names, explicitly.
	for i, m := range msgs {
		switch byText[m.Text].Name {
		case "unpaid-bill":
			if m.Source != "twilio" || verdicts[i].Level != event.LevelScam {
				t.Errorf("Twilio-signed unpaid-bill SMS: source %s, verdict %s; want twilio, scam", m.Source, verdicts[i].Level)
			}
		case "code-handover":
			if m.Source != "forwarder:phone" || m.Direction != event.DirectionOut || !hasCategory(verdicts[i].Categories, event.CategoryCodeHandover) {
				t.Errorf("outgoing gift-card code: source %s %s, categories %v; want forwarder out code_handover", m.Source, m.Direction, verdicts[i].Categories)
			}
		}
	}
}

func hasCategory(cs []event.Category, c event.Category) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

// TestAcknowledgementOnBus: a trusted contact's reply lands on the ack
// subjects of ALERTS.
func TestAcknowledgementOnBus(t *testing.T) {
	b := natstest.Embedded(t)
	_, client := busEnv(t, b, nil)
	params := sampleParams(t, "ordinary")
	params.Set("From", son)
	params.Set("To", "+815012340000")
	r, err := client.PostTwilio(context.Background(), params)
	if err != nil || r.Status != 200 {
		t.Fatalf("PostTwilio() = %v, %v; want 200", r, err)
	}
	acks := stored[event.Alert](t, b, event.StreamAlerts, event.AlertAckFilter)
	if len(acks) != 2 || acks[0].Status != event.AlertAcknowledged || acks[0].Recipient != "ichiro" {
		t.Errorf("ALERTS acks = %+v, want two acknowledgements by ichiro", acks)
	}
	if n := len(stored[event.Message](t, b, event.StreamInbound, event.InboundFilterAll)); n != 0 {
		t.Errorf("INBOUND holds %d messages, want 0", n)
	}
}

// TestNATSOutage stops the NATS server while the listener runs: requests
// are answered 503, and once NATS is back the sender's retry is published
// exactly once.
func TestNATSOutage(t *testing.T) {
	storeDir := t.TempDir()
	srv := natstest.RunServer(t, &server.Options{StoreDir: storeDir})
	addr := srv.ClientURL()
	cfg := natstest.Config(t)
	cfg.URL = bus.URLList{addr}
	b := natstest.Open(t, cfg, nil)

	_, client := busEnv(t, b, func(c *sms.Config) { c.RequestTimeout = config.Duration(2 * time.Second) })
	ctx := context.Background()
	params := sampleParams(t, "unpaid-bill")

	srv.Shutdown()
	srv.WaitForShutdown()

	r, err := client.PostTwilio(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	wantTwiML(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	body := []byte(`{"direction":"out","from":"090-1234-5678","to":"+818072639154","body":"番号です AQ4T-7VNT3K-M8PRW","source_id":"out-1"}`)
	if r, err := client.PostSource(ctx, srcSMSC, body); err != nil || r.Status != http.StatusServiceUnavailable {
		t.Fatalf("forwarder during the outage = %v %v, want 503", r, err)
	}

	// Restart on the same port and store, as an operator would.
	host, p := splitHostPort(t, addr)
	natstest.RunServer(t, &server.Options{Host: host, Port: p, StoreDir: storeDir})

	// The senders retry until they get 200.
	retry := func(post func() (*smstest.Response, error)) *smstest.Response {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			r, err := post()
			if err == nil && r.Status == http.StatusOK {
				return r
			}
			if time.Now().After(deadline) {
				t.Fatalf("no 200 within 30s after the restart: %v %v", r, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	retry(func() (*smstest.Response, error) { return client.PostTwilio(ctx, params) })
	retry(func() (*smstest.Response, error) { return client.PostSource(ctx, srcSMSC, body) })
	// And a sender that retries once more (it lost our 200) is a duplicate.
	wantTwiML(t, retry(func() (*smstest.Response, error) { return client.PostTwilio(ctx, params) }), http.StatusOK)

	msgs := stored[event.Message](t, b, event.StreamInbound, event.InboundFilterAll)
	ids := map[string]int{}
	for _, m := range msgs {
		ids[m.ID]++
	}
	s, _ := smstest.SampleByName("unpaid-bill")
	for _, id := range []string{event.SMSID("twilio", s.TwilioSID()), event.SMSID("smsc", "out-1")} {
		if ids[id] != 1 {
			t.Errorf("INBOUND holds message %s %d times, want once", id, ids[id])
		}
	}
	if len(msgs) != 2 {
		t.Errorf("INBOUND holds %d messages, want 2", len(msgs))
	}
	// Close while the restarted server still runs (cleanups run in reverse
	// order and would stop it first).
	natstest.Close(t, b)
}

func splitHostPort(t testing.TB, raw string) (string, int) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatalf("no port in %s", raw)
	}
	return u.Hostname(), port
}
