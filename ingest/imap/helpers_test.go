package imap_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/internal/config"
)

// TestMain fails the run if a test leaves a goroutine behind: every folder
// session, IDLE command and connection must end with the worker's context.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testUser      = "hanako@provider.example.jp"
	testPassword  = "kagi-1234"
	testHousehold = "tanaka"
	testPerson    = "hanako"
	testMailbox   = "hanako-mail"
)

// published is one message a recording publisher accepted.
type published struct {
	msg *event.Message
	at  time.Time
	dup bool
}

// recorder is an ingest.Publisher that keeps what it is given, optionally
// forwarding to another publisher (a real bus) and failing on demand.
type recorder struct {
	next ingest.Publisher // nil: accept everything, dedupe by id like JetStream

	mu     sync.Mutex
	msgs   []published
	ids    map[string]bool
	failFn func(*event.Message) error
	notify chan struct{}
}

var _ ingest.Publisher = (*recorder)(nil)

func newRecorder(next ingest.Publisher) *recorder {
	return &recorder{next: next, ids: map[string]bool{}, notify: make(chan struct{}, 1)}
}

func (r *recorder) PublishMessage(ctx context.Context, msg *event.Message) (uint64, bool, error) {
	r.mu.Lock()
	fail := r.failFn
	r.mu.Unlock()
	if fail != nil {
		if err := fail(msg); err != nil {
			return 0, false, err
		}
	}
	if err := msg.Validate(); err != nil {
		return 0, false, err
	}
	var seq uint64
	var dup bool
	if r.next != nil {
		var err error
		if seq, dup, err = r.next.PublishMessage(ctx, msg); err != nil {
			return 0, false, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.next == nil {
		dup = r.ids[msg.ID]
		seq = uint64(len(r.msgs) + 1)
	}
	r.ids[msg.ID] = true
	r.msgs = append(r.msgs, published{msg: msg, at: time.Now(), dup: dup})
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return seq, dup, nil
}

func (r *recorder) setFail(fn func(*event.Message) error) {
	r.mu.Lock()
	r.failFn = fn
	r.mu.Unlock()
}

// all returns every accepted message, duplicates included.
func (r *recorder) all() []published {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// waitCount waits until at least n messages were accepted and returns
// them.
func (r *recorder) waitCount(t testing.TB, n int, timeout time.Duration) []published {
	t.Helper()
	waitFor(t, timeout, fmt.Sprintf("%d published messages", n), func() bool { return r.count() >= n })
	return r.all()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testConfig is a Config with short waits for tests.
func testConfig() imap.Config {
	cfg := imap.DefaultConfig()
	cfg.ReconnectMin = config.Duration(10 * time.Millisecond)
	cfg.ReconnectMax = config.Duration(200 * time.Millisecond)
	cfg.PollInterval = config.Duration(time.Hour) // IDLE must deliver, unless a test polls
	cfg.CommandTimeout = config.Duration(10 * time.Second)
	cfg.DialTimeout = config.Duration(5 * time.Second)
	return cfg
}

// startServer starts an imaptest server with the test user.
func startServer(t testing.TB, opts imaptest.Options) *imaptest.Server {
	t.Helper()
	srv, err := imaptest.Start(opts)
	if err != nil {
		t.Fatalf("imaptest.Start() = %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if err := srv.AddUser(testUser, testPassword); err != nil {
		t.Fatalf("AddUser() = %v", err)
	}
	return srv
}

// account returns the test account on srv.
func account(t testing.TB, srv *imaptest.Server, id string) imap.Account {
	t.Helper()
	mb, err := srv.Mailbox(id, testUser, t.TempDir())
	if err != nil {
		t.Fatalf("Mailbox() = %v", err)
	}
	return imap.Account{Mailbox: mb, Household: testHousehold, Person: testPerson}
}

// running is a worker running in the background.
type running struct {
	w      *imap.Worker
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // what Run returned
}

// stop ends the worker and waits for Run to return.
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Run() = %v, want nil", r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("Run() did not return 30s after cancel")
	}
}

func (r *running) counter(name string, labels ...string) float64 {
	mfs, err := r.reg.Gather()
	if err != nil {
		panic(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				ok := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						ok = true
					}
				}
				if !ok {
					continue metric
				}
			}
			switch {
			case m.GetCounter() != nil:
				total += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				total += m.GetGauge().GetValue()
			}
		}
	}
	return total
}

// startWorker runs a worker until the test ends (or stop is called).
func startWorker(t testing.TB, cfg imap.Config, accounts []imap.Account, pub ingest.Publisher, store imap.CheckpointStore, opts ...imap.Option) *running {
	t.Helper()
	reg := prometheus.NewRegistry()
	var logger *zap.Logger
	if tt, ok := t.(*testing.T); ok {
		logger = zaptest.NewLogger(tt, zaptest.Level(zap.WarnLevel))
	}
	w, err := imap.New(cfg, accounts, pub, store, logger, reg, opts...)
	if err != nil {
		t.Fatalf("imap.New() = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{w: w, reg: reg, cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = w.Run(ctx)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Errorf("Run() did not return 30s after cancel")
		}
	})
	return r
}

// waitCheckpoint waits until the folder has a checkpoint (the worker has
// taken its starting point) and returns it.
func waitCheckpoint(t testing.TB, store imap.CheckpointStore, mailbox, folder string, until func(imap.Checkpoint) bool) imap.Checkpoint {
	t.Helper()
	var cp imap.Checkpoint
	var rev uint64
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, r, err := store.Load(context.Background(), imap.CheckpointKey{Mailbox: mailbox, Folder: folder})
		if err != nil {
			t.Fatalf("Load() = %v", err)
		}
		cp, rev = c, r
		if rev != 0 && (until == nil || until(cp)) {
			return cp
		}
		if time.Now().After(deadline) {
			t.Fatalf("checkpoint of %s (revision %d) never reached the wanted state: %+v", folder, rev, cp)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitSessions waits until the worker watches n folders (sessions gauge).
func waitSessions(t testing.TB, r *running, n int) {
	t.Helper()
	waitFor(t, 10*time.Second, fmt.Sprintf("%d folder sessions", n), func() bool {
		return r.counter("scamscreen_imap_sessions") >= float64(n)
	})
}

// sample returns a bundled sample mail.
func sample(t testing.TB, name string) imaptest.Sample {
	t.Helper()
	s, ok := imaptest.SampleNamed(name)
	if !ok {
		t.Fatalf("no sample %s", name)
	}
	return s
}

// mail builds a small distinct mail.
func mail(i int, subject string) []byte {
	return []byte(fmt.Sprintf("From: sender%d@example.com\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <m%d.%d@example.com>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0900\r\n\r\nbody %d\r\n",
		i, testUser, subject, i, time.Now().UnixNano(), i))
}

var errInjected = errors.New("injected publish failure")
