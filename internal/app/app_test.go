package app_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/scamscreen/scamscreen/internal/app"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// blocker runs until its context ends and records why.
type blocker struct {
	mu    sync.Mutex
	cause error
	ran   chan struct{}
}

func newBlocker() *blocker { return &blocker{ran: make(chan struct{})} }

func (b *blocker) Run(ctx context.Context) error {
	close(b.ran)
	<-ctx.Done()
	b.mu.Lock()
	b.cause = context.Cause(ctx)
	b.mu.Unlock()
	return ctx.Err()
}

func (b *blocker) Cause() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cause
}

// recorder records the order in which cleanup steps ran.
type recorder struct {
	mu    sync.Mutex
	names []string
}

func (r *recorder) step(name string, err error) func(context.Context) error {
	return func(context.Context) error {
		r.mu.Lock()
		r.names = append(r.names, name)
		r.mu.Unlock()
		return err
	}
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.names)
}

func TestFirstFailureCancelsTheRest(t *testing.T) {
	boom := errors.New("imap login refused")
	g := app.New(app.Options{})
	a, c := newBlocker(), newBlocker()
	g.Add("screen", a)
	g.Add("notify", c)
	g.Add("ingest.imap", app.Func(func(context.Context) error {
		<-a.ran // fail once the others are running
		<-c.ran
		return boom
	}))
	err := g.Run(context.Background())
	if !errors.Is(err, boom) || err.Error() != "ingest.imap: imap login refused" {
		t.Errorf("Run() = %v, want ingest.imap: %v", err, boom)
	}
	for _, b := range []*blocker{a, c} {
		if !errors.Is(b.Cause(), boom) {
			t.Errorf("component cancelled with cause %v, want %v", b.Cause(), boom)
		}
	}
}

func TestCleanShutdownOnContext(t *testing.T) {
	g := app.New(app.Options{})
	var r recorder
	a := newBlocker()
	g.Add("a", a)
	g.Add("b", app.Func(func(ctx context.Context) error {
		<-ctx.Done()
		return errors.Join(errors.New("drain"), ctx.Err()) // wraps Canceled: still clean
	}))
	g.Add("c", app.Func(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	}))
	g.OnStop("close", r.step("close", nil))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	<-a.ran
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() after cancel = %v, want nil", err)
	}
	if diff := cmp.Diff([]string{"close"}, r.got()); diff != "" {
		t.Errorf("cleanups mismatch (-want +got):\n%s", diff)
	}
}

func TestCleanupsRunLIFOEvenWhenAComponentFails(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	g := app.New(app.Options{Logger: zap.New(core)})
	var r recorder
	stepErr := errors.New("flush refused")
	g.OnStop("nats.server", r.step("nats.server", nil))
	g.OnStop("nats.conn", r.step("nats.conn", stepErr))
	g.OnStop("admin", r.step("admin", nil))
	g.Add("screen", app.Func(func(context.Context) error { return errors.New("rule pack invalid") }))

	err := g.Run(context.Background())
	if diff := cmp.Diff([]string{"admin", "nats.conn", "nats.server"}, r.got()); diff != "" {
		t.Errorf("cleanup order mismatch (-want +got):\n%s", diff)
	}
	want := "screen: rule pack invalid\nstop nats.conn: flush refused"
	if err == nil || err.Error() != want || !errors.Is(err, stepErr) {
		t.Errorf("Run() = %v, want %q", err, want)
	}
	failed := logs.FilterMessage("cleanup step failed").All()
	if len(failed) != 1 || failed[0].ContextMap()["step"] != "nats.conn" {
		t.Errorf("logged failing steps %v, want one for nats.conn", failed)
	}
}

func TestHangingCleanupIsCutOff(t *testing.T) {
	g := app.New(app.Options{ShutdownTimeout: 200 * time.Millisecond})
	var r recorder
	release := make(chan struct{})
	defer close(release) // lets the abandoned step return before goleak looks.
	g.OnStop("logger", r.step("logger", nil))
	g.OnStop("hang", func(context.Context) error {
		<-release // ignores its context
		return nil
	})
	g.OnStop("first", r.step("first", nil))
	g.Add("c", app.Func(func(ctx context.Context) error { <-ctx.Done(); return nil }))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.Run(ctx)
	want := "stop hang: still running after shutdown timeout 200ms\nstop logger: skipped after shutdown timeout 200ms"
	if err == nil || err.Error() != want {
		t.Errorf("Run() = %v, want %q", err, want)
	}
	if diff := cmp.Diff([]string{"first"}, r.got()); diff != "" {
		t.Errorf("cleanups run mismatch (-want +got):\n%s", diff)
	}
}

func TestCleanupGetsBoundedContext(t *testing.T) {
	g := app.New(app.Options{ShutdownTimeout: 50 * time.Millisecond})
	g.OnStop("drain", func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("no deadline")
		}
		if ctx.Err() != nil {
			return errors.New("already done")
		}
		<-ctx.Done() // a step that honours its context ends at the deadline
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.Run(ctx) // no components: straight to cleanup
	if err == nil || !strings.HasPrefix(err.Error(), "stop drain: ") {
		t.Errorf("Run() = %v, want stop drain: <deadline>", err)
	}
}

func TestHangingComponentIsCutOff(t *testing.T) {
	g := app.New(app.Options{ShutdownTimeout: 200 * time.Millisecond})
	var r recorder
	release := make(chan struct{})
	defer close(release)
	g.Add("stuck", app.Func(func(context.Context) error { <-release; return nil }))
	g.Add("fine", newBlocker())
	g.OnStop("close", r.step("close", nil))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := g.Run(ctx)
	if err == nil || err.Error() != "components still running after 200ms: stuck" {
		t.Errorf("Run() = %v, want stuck reported", err)
	}
	if diff := cmp.Diff([]string{"close"}, r.got()); diff != "" {
		t.Errorf("cleanups mismatch (-want +got):\n%s", diff)
	}
}

func TestPanicBecomesError(t *testing.T) {
	core, logs := observer.New(zapcore.ErrorLevel)
	g := app.New(app.Options{Logger: zap.New(core)})
	other := newBlocker()
	g.Add("other", other)
	g.Add("buggy", app.Func(func(context.Context) error {
		<-other.ran
		var m map[string]int
		m["x"] = 1 // panics
		return nil
	}))
	g.OnStop("also-buggy", func(context.Context) error { panic("cleanup bug") })

	err := g.Run(context.Background())
	var pe *app.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("Run() = %v, want a *PanicError", err)
	}
	// A runtime error keeps its text; another value, which may hold the
	// message being worked on, only its type.
	if !strings.HasPrefix(err.Error(), "buggy: panic: assignment to entry in nil map\nstop also-buggy: panic: a string") {
		t.Errorf("Run() = %q, want both panics named", err)
	}
	for _, e := range logs.All() {
		for _, f := range e.Context {
			if strings.Contains(f.String, "cleanup bug") {
				t.Errorf("log %q carries the panic value in %s", e.Message, f.Key)
			}
		}
	}
	if !strings.Contains(string(pe.Stack), "app_test") {
		t.Errorf("PanicError.Stack does not show the panicking test function")
	}
	if other.Cause() == nil {
		t.Errorf("other component was not cancelled after the panic")
	}
	if logs.FilterMessage("component panicked").FilterField(zap.String("component", "buggy")).Len() != 1 {
		t.Errorf("panic not logged with the component name")
	}
}

func TestPanicErrorUnwrap(t *testing.T) {
	inner := errors.New("x")
	if !errors.Is(&app.PanicError{Value: inner}, inner) {
		t.Errorf("PanicError{error} does not unwrap to it")
	}
	if (&app.PanicError{Value: "s"}).Unwrap() != nil {
		t.Errorf("PanicError{string}.Unwrap() != nil")
	}
}

func TestComponentReturningNilEarlyDoesNotStopOthers(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	g := app.New(app.Options{Logger: zap.New(core)})
	b := newBlocker()
	g.Add("long", b)
	g.Add("oneshot", app.Func(func(context.Context) error { return nil }))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	waitFor(t, "early stop to be logged", func() bool {
		return logs.FilterMessage("component stopped before shutdown").Len() == 1
	})
	if c := b.Cause(); c != nil {
		t.Errorf("long component cancelled (%v) after another returned nil", c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
}

// slowStarter becomes ready when told to.
type slowStarter struct {
	*blocker
	started chan struct{}
}

func (s slowStarter) Started() <-chan struct{} { return s.started }

func TestReady(t *testing.T) {
	g := app.New(app.Options{})
	s := slowStarter{blocker: newBlocker(), started: make(chan struct{})}
	g.Add("plain", newBlocker())
	g.Add("admin", s)
	if g.Ready() {
		t.Errorf("Ready() before Run = true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	<-s.ran
	if g.Ready() {
		t.Errorf("Ready() before admin started = true")
	}
	close(s.started)
	<-g.Started()
	if !g.Ready() {
		t.Errorf("Ready() after every component started = false")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if g.Ready() {
		t.Errorf("Ready() after shutdown = true")
	}
}

func TestNestedGroup(t *testing.T) {
	inner := app.New(app.Options{})
	var r recorder
	inner.Add("worker", newBlocker())
	inner.OnStop("inner", r.step("inner", nil))
	outer := app.New(app.Options{})
	outer.Add("pipeline", inner)
	outer.OnStop("outer", r.step("outer", nil))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- outer.Run(ctx) }()
	<-outer.Started() // waits for inner.Started through the Starter interface
	if !inner.Ready() || !outer.Ready() {
		t.Errorf("Ready() = %v, %v after start, want true, true", inner.Ready(), outer.Ready())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if diff := cmp.Diff([]string{"inner", "outer"}, r.got()); diff != "" {
		t.Errorf("cleanup order mismatch (-want +got):\n%s", diff)
	}
}

func TestOnStopDuringCleanupRunsAtOnce(t *testing.T) {
	g := app.New(app.Options{})
	var r recorder
	g.OnStop("last", r.step("last", nil))
	g.OnStop("registers", func(ctx context.Context) error {
		g.OnStop("late", r.step("late", nil))
		return r.step("registers", nil)(ctx)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Run(ctx); err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if diff := cmp.Diff([]string{"late", "registers", "last"}, r.got()); diff != "" {
		t.Errorf("cleanup order mismatch (-want +got):\n%s", diff)
	}
}

func TestRunTwiceAndAddAfterRun(t *testing.T) {
	g := app.New(app.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Run(ctx); err != nil {
		t.Fatalf("first Run() = %v", err)
	}
	if err := g.Run(ctx); err == nil {
		t.Errorf("second Run() = nil, want error")
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Add after Run did not panic")
		}
	}()
	g.Add("late", newBlocker())
}
