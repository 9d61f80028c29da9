package sms_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/sms"
	"github.com/scamscreen/scamscreen/ingest/sms/smstest"
	"github.com/scamscreen/scamscreen/internal/config"
)

// printPub stands in for the bus: it prints what would be published.
type printPub struct{ mu sync.Mutex }

func (p *printPub) PublishMessage(_ context.Context, m *event.Message) (uint64, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Printf("published %s message of %s/%s from %s\n", m.Direction, m.Household, m.Person, m.Source)
	return 1, false, nil
}

// Example runs the listener the way the demo does and posts the bundled
// samples to it: incoming ones Twilio-signed, the outgoing one from a
// forwarder in scamscreen's JSON.
func Example() {
	dir, _ := os.MkdirTemp("", "sms-example")
	defer os.RemoveAll(dir)
	write := func(name, value string) config.Secret {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, []byte(value), 0o600)
		return config.SecretFromFile(p)
	}

	cfg := sms.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.PublicURL = "https://sms.example.jp" // what Twilio would call
	cfg.Twilio.AuthToken = write("twilio", "3f9c2b7a1d4e6f8091a2b3c4d5e6f7a8")
	cfg.Sources = []sms.SourceConfig{{
		Name: "hanako-phone", Format: sms.FormatScamscreen,
		Auth: sms.AuthConfig{Kind: sms.AuthHMAC, Secret: write("hmac", "k8Xq2PzL0vR7sW4yN1mB6cT9")},
	}}
	people, err := sms.NewDirectory([]sms.Entry{{Number: "090-1234-5678", Owner: sms.Owner{Household: "tanaka", Person: "hanako"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := sms.New(cfg, people, &printPub{}, sms.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	<-srv.Started()

	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	c := &smstest.Client{
		BaseURL:         "http://" + srv.Addr().String(),
		PublicURL:       cfg.PublicURL,
		TwilioAuthToken: "3f9c2b7a1d4e6f8091a2b3c4d5e6f7a8",
		HTTPClient:      hc,
	}
	sent, err := c.SendSamples(ctx, "090-1234-5678", smstest.Source{
		Name: "hanako-phone", Format: sms.FormatScamscreen, HMACSecret: "k8Xq2PzL0vR7sW4yN1mB6cT9",
	})
	for _, s := range sent {
		fmt.Printf("%s via %s: %d\n", s.Sample.Name, s.Via, s.Status)
	}
	fmt.Println("error:", err)
	cancel()
	fmt.Println("run:", <-done)
	// Output:
	// published in message of tanaka/hanako from twilio
	// published in message of tanaka/hanako from twilio
	// published in message of tanaka/hanako from twilio
	// published in message of tanaka/hanako from twilio
	// published out message of tanaka/hanako from forwarder:hanako-phone
	// unpaid-bill via twilio: 200
	// account-lock via twilio: 200
	// relative-new-number via twilio: 200
	// ordinary via twilio: 200
	// code-handover via hanako-phone: 200
	// error: <nil>
	// run: <nil>
}
