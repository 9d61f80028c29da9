package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/internal/bus"
)

// Config returns a bus configuration for an embedded server whose store is
// a fresh t.TempDir(), with short publish timeouts suited to tests.
func Config(t testing.TB) bus.Config {
	t.Helper()
	cfg := bus.DefaultConfig()
	cfg.Embedded.StoreDir = t.TempDir()
	cfg.RequestTimeout = 2 * time.Second
	return cfg
}

// Logger returns a logger that writes warnings and errors to t's log.
func Logger(t testing.TB) *zap.Logger {
	return zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
}

// Embedded opens a [bus.Bus] on a new embedded JetStream server in
// t.TempDir(), after applying mods to [Config], and closes it when the test
// ends.
func Embedded(t testing.TB, mods ...func(*bus.Config)) *bus.Bus {
	t.Helper()
	cfg := Config(t)
	for _, m := range mods {
		m(&cfg)
	}
	return Open(t, cfg, nil)
}

// Open opens a [bus.Bus] with cfg (logging to t at warning level when
// logger is nil) and closes it when the test ends. It fails the test if
// Open fails.
func Open(t testing.TB, cfg bus.Config, logger *zap.Logger, opts ...bus.Option) *bus.Bus {
	t.Helper()
	if logger == nil {
		logger = Logger(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, cfg, logger, opts...)
	if err != nil {
		t.Fatalf("bus.Open() = %v", err)
	}
	t.Cleanup(func() { Close(t, b) })
	return b
}

// Close closes b within 30 seconds and reports an error to t. Closing an
// already closed bus is harmless, so tests may close early.
func Close(t testing.TB, b *bus.Bus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Close(ctx); err != nil {
		t.Errorf("Bus.Close() = %v", err)
	}
}

// RunServer starts a bare nats-server in this process with JetStream, a
// random loopback port, no signal handlers and no logging, using opts
// (nil for defaults) with its store in t.TempDir() unless StoreDir is set,
// and shuts it down when the test ends.
func RunServer(t testing.TB, opts *server.Options) *server.Server {
	t.Helper()
	var o server.Options
	if opts != nil {
		o = *opts
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.Port == 0 {
		o.Port = server.RANDOM_PORT
	}
	if o.StoreDir == "" {
		o.StoreDir = t.TempDir()
	}
	if o.ServerName == "" {
		o.ServerName = "natstest"
	}
	o.JetStream = true
	o.NoSigs = true
	o.NoLog = true
	o.DisableJetStreamBanner = true
	s, err := server.NewServer(&o)
	if err != nil {
		t.Fatalf("server.NewServer() = %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatalf("nats-server not ready for connections after 10s")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}
