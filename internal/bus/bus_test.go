package bus_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

func TestOpenEmbeddedIsReady(t *testing.T) {
	b := natstest.Embedded(t)
	if err := b.Ready(ctxT(t)); err != nil {
		t.Fatalf("Ready() = %v, want nil", err)
	}
	if got := b.ClientURL(); got != "" {
		t.Errorf("ClientURL() = %q, want \"\" without embedded.listen", got)
	}
	natstest.Close(t, b)
	if err := b.Ready(ctxT(t)); err == nil {
		t.Errorf("Ready() after Close = nil, want an error")
	}
	if err := b.Consume(ctxT(t), bus.ConsumerSpec{Stream: event.StreamInbound, Durable: "screen"}, func(context.Context, *bus.Delivery) error { return nil }); !errors.Is(err, bus.ErrClosed) {
		t.Errorf("Consume() after Close = %v, want ErrClosed", err)
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	_, err := bus.Open(ctxT(t), bus.Config{}, zap.NewNop())
	if err == nil || !strings.Contains(err.Error(), "nats.embedded.store_dir") {
		t.Errorf("Open(no store dir) = %v, want an error naming nats.embedded.store_dir", err)
	}
}

func TestStoreDirLock(t *testing.T) {
	cfg := natstest.Config(t)
	first := natstest.Open(t, cfg, nil)
	if _, _, err := first.PublishMessage(ctxT(t), testMessage("sms-kept")); err != nil {
		t.Fatalf("PublishMessage() = %v", err)
	}
	kv, err := first.KeyValue(ctxT(t), "checkpoints", jetstream.KeyValueConfig{})
	if err != nil {
		t.Fatalf("KeyValue() = %v", err)
	}
	if _, err := kv.Put(ctxT(t), "imap.acct1.INBOX", []byte("42")); err != nil {
		t.Fatalf("kv.Put() = %v", err)
	}

	// A second Open on the same directory in the same process is refused.
	second, err := bus.Open(ctxT(t), cfg, natstest.Logger(t))
	if err == nil {
		natstest.Close(t, second)
		t.Fatal("second Open on a locked store dir = nil error, want ErrStoreLocked")
	}
	if !errors.Is(err, bus.ErrStoreLocked) || !strings.Contains(err.Error(), filepath.Join(cfg.Embedded.StoreDir, bus.LockFileName)) {
		t.Errorf("second Open = %v, want ErrStoreLocked naming the lock file", err)
	}
	if !strings.Contains(err.Error(), "pid") {
		t.Errorf("second Open = %v, want the holder's pid", err)
	}

	// After Close the lock is free and the data is still there.
	natstest.Close(t, first)
	third := natstest.Open(t, cfg, nil)
	js := testJS(t, third)
	if got := streamInfo(t, js, event.StreamInbound).State.Msgs; got != 1 {
		t.Errorf("INBOUND after restart has %d messages, want 1", got)
	}
	kv, err = third.KeyValue(ctxT(t), "checkpoints", jetstream.KeyValueConfig{})
	if err != nil {
		t.Fatalf("KeyValue() after restart = %v", err)
	}
	e, err := kv.Get(ctxT(t), "imap.acct1.INBOX")
	if err != nil || string(e.Value()) != "42" {
		t.Errorf("kv.Get() after restart = %v, %v, want 42", e, err)
	}
}

func TestOpenPortInUseDoesNotExit(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := natstest.Config(t)
	cfg.Embedded.Listen = l.Addr().String()
	cfg.ConnectTimeout = time.Second
	core, logs := observer.New(zap.ErrorLevel)
	_, err = bus.Open(ctxT(t), cfg, zap.New(core))
	if err == nil || !strings.Contains(err.Error(), "did not start") {
		t.Fatalf("Open(listen on a busy port) = %v, want a start error", err)
	}
	if logs.FilterField(zap.Bool("fatal", true)).Len() == 0 {
		t.Errorf("no fatal server log recorded, want the server's Fatalf logged")
	}
	// The process is alive (we got here) and the lock was released.
	cfg.Embedded.Listen = ""
	natstest.Open(t, cfg, nil)
}

func TestExternalConnection(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	pwFile := filepath.Join(dir, "password")
	wrongFile := filepath.Join(dir, "wrong")
	for path, v := range map[string]string{tokenFile: "t0ken\n", pwFile: "pa55word\n", wrongFile: "nope\n"} {
		if err := os.WriteFile(path, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		server func(*bus.Config)
		client func(*bus.Config)
		ok     bool
	}{
		{"no auth", func(*bus.Config) {}, func(*bus.Config) {}, true},
		{"token", func(c *bus.Config) { c.Token = config.SecretFromFile(tokenFile) }, func(c *bus.Config) { c.Token = config.SecretFromFile(tokenFile) }, true},
		{"token from env", func(c *bus.Config) { c.Token = config.SecretFromFile(tokenFile) }, func(c *bus.Config) { c.Token = config.SecretFromEnv("SCAMSCREEN_TEST_NATS_TOKEN") }, true},
		{"wrong token", func(c *bus.Config) { c.Token = config.SecretFromFile(tokenFile) }, func(c *bus.Config) { c.Token = config.SecretFromFile(wrongFile) }, false},
		{"missing token", func(c *bus.Config) { c.Token = config.SecretFromFile(tokenFile) }, func(*bus.Config) {}, false},
		{"user and password", func(c *bus.Config) { c.User, c.Password = "scam", config.SecretFromFile(pwFile) }, func(c *bus.Config) { c.User, c.Password = "scam", config.SecretFromFile(pwFile) }, true},
		{"wrong password", func(c *bus.Config) { c.User, c.Password = "scam", config.SecretFromFile(pwFile) }, func(c *bus.Config) { c.User, c.Password = "scam", config.SecretFromFile(wrongFile) }, false},
	}
	t.Setenv("SCAMSCREEN_TEST_NATS_TOKEN", "t0ken")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.Embedded(t, func(c *bus.Config) {
				c.Embedded.Listen = "127.0.0.1:0"
				tt.server(c)
			})
			url := srv.ClientURL()
			if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":0") {
				t.Fatalf("ClientURL() = %q, want the listener's address", url)
			}
			cfg := bus.DefaultConfig()
			cfg.URL = bus.URLList{url}
			cfg.ConnectTimeout = 2 * time.Second
			tt.client(&cfg)
			cli, err := bus.Open(ctxT(t), cfg, natstest.Logger(t))
			if !tt.ok {
				if err == nil {
					natstest.Close(t, cli)
					t.Fatalf("Open(%s) = nil error, want an authorization failure", tt.name)
				}
				for _, secret := range []string{"t0ken", "pa55word", "nope"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("Open error %q contains a secret", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(external %s) = %v", tt.name, err)
			}
			defer natstest.Close(t, cli)
			seq, _, err := cli.PublishMessage(ctxT(t), testMessage("sms-ext"))
			if err != nil || seq != 1 {
				t.Fatalf("PublishMessage over TCP = %d, %v, want seq 1", seq, err)
			}
			// The embedded side sees it: both talk to one server.
			if got := streamInfo(t, testJS(t, srv), event.StreamInbound).State.Msgs; got != 1 {
				t.Errorf("embedded INBOUND has %d messages, want 1", got)
			}
		})
	}
}

const lockHelperEnv = "SCAMSCREEN_TEST_LOCK_HELPER_DIR"

// TestLockHelperProcess is not a test: TestStoreDirLockAcrossProcesses runs
// the test binary again with only this function, to open a bus from a
// second process.
func TestLockHelperProcess(t *testing.T) {
	dir := os.Getenv(lockHelperEnv)
	if dir == "" {
		t.Skip("helper for TestStoreDirLockAcrossProcesses")
	}
	cfg := bus.DefaultConfig()
	cfg.Embedded.StoreDir = dir
	b, err := bus.Open(context.Background(), cfg, zap.NewNop())
	switch {
	case errors.Is(err, bus.ErrStoreLocked):
		os.Stdout.WriteString("RESULT=locked\n")
	case err != nil:
		os.Stdout.WriteString("RESULT=error " + err.Error() + "\n")
	default:
		os.Stdout.WriteString("RESULT=opened\n")
		_ = b.Close(context.Background())
	}
}

func TestStoreDirLockAcrossProcesses(t *testing.T) {
	cfg := natstest.Config(t)
	b := natstest.Open(t, cfg, nil)
	helper := func() string {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), lockHelperEnv+"="+cfg.Embedded.StoreDir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper process: %v\n%s", err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if r, ok := strings.CutPrefix(line, "RESULT="); ok {
				return r
			}
		}
		t.Fatalf("helper process printed no result:\n%s", out)
		return ""
	}
	if got := helper(); got != "locked" {
		t.Errorf("Open from another process while this one holds the store = %q, want locked", got)
	}
	natstest.Close(t, b)
	if got := helper(); got != "opened" {
		t.Errorf("Open from another process after Close = %q, want opened", got)
	}
}

func TestOpenMissingCredentials(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		mod  func(*bus.Config)
		want string
	}{
		{"creds file", func(c *bus.Config) { c.CredsFile = filepath.Join(dir, "app.creds") }, "nats creds"},
		{"nkey seed", func(c *bus.Config) { c.NKeySeedFile = filepath.Join(dir, "seed.nk") }, "nats nkey seed"},
		{"password env", func(c *bus.Config) { c.User, c.Password = "u", config.SecretFromEnv("SCAMSCREEN_TEST_UNSET_PW") }, "SCAMSCREEN_TEST_UNSET_PW"},
		{"tls ca", func(c *bus.Config) { c.TLS.CAFile = filepath.Join(dir, "ca.pem") }, "nats tls ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := externalConfig("nats://127.0.0.1:1", tt.mod)
			_, err := bus.Open(ctxT(t), cfg, zap.NewNop())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open(%s missing) = %v, want an error mentioning %q", tt.name, err, tt.want)
			}
		})
	}
}
