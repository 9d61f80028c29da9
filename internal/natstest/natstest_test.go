package natstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/scamscreen/scamscreen/internal/natstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEmbeddedIsReadyAndIsolated(t *testing.T) {
	a, b := natstest.Embedded(t), natstest.Embedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, x := range []interface{ Ready(context.Context) error }{a, b} {
		if err := x.Ready(ctx); err != nil {
			t.Fatalf("Ready() = %v", err)
		}
	}
	if _, _, err := a.Publish(ctx, "scamscreen.verdict.h.p", "vd-1", []byte("{}"), nil); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(b.Conn())
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, "VERDICTS")
	if err != nil {
		t.Fatal(err)
	}
	if n := s.CachedInfo().State.Msgs; n != 0 {
		t.Errorf("second embedded server's VERDICTS holds %d messages, want 0 (separate stores)", n)
	}
}

func TestRunServer(t *testing.T) {
	s := natstest.RunServer(t, nil)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatalf("Connect(%s) = %v", s.ClientURL(), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		t.Errorf("AccountInfo() on RunServer = %v, want JetStream enabled", err)
	}
}
