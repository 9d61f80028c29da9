package app

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultShutdownTimeout is used when [Options.ShutdownTimeout] is zero.
const DefaultShutdownTimeout = 30 * time.Second

// Component is a long-lived part of a process. Run blocks until ctx is done
// or the component fails. On cancellation it should stop promptly and return
// nil or ctx's error; any other error counts as a failure.
type Component interface {
	Run(ctx context.Context) error
}

// Func adapts a function to a [Component].
type Func func(ctx context.Context) error

// Run calls f(ctx).
func (f Func) Run(ctx context.Context) error { return f(ctx) }

// Starter is implemented by components that take a while to become useful
// (bind a port, connect, catch up). The channel is closed once the component
// is serving. Components that do not implement it count as started as soon
// as their Run is called.
type Starter interface {
	Started() <-chan struct{}
}

// Options configure a [Group]. The zero value is usable.
type Options struct {
	// Logger receives lifecycle entries; nil means no logging.
	Logger *zap.Logger
	// ShutdownTimeout bounds, separately, how long components get to return
	// once cancelled and how long the cleanup steps get in total.
	// Zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// PanicError is returned for a component or cleanup step that panicked.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the goroutine's stack at the panic
}

// Error describes the panic without its value, which may hold the
// message being worked on (a mail, an SMS): a runtime error's own text, or
// the value's type. The value itself stays in Value for the caller.
func (e *PanicError) Error() string { return "panic: " + panicText(e.Value) }

func panicText(v any) string {
	if re, ok := v.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("a %T", v)
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Group runs components together and shuts them down in order. Create it
// with [New], then [Group.Add] components and [Group.OnStop] cleanups, then
// call [Group.Run] once. Its methods are safe for concurrent use.
type Group struct {
	logger  *zap.Logger
	timeout time.Duration

	mu       sync.Mutex
	phase    phase
	comps    []namedComponent
	steps    []step
	startedN bool // every component has started

	started chan struct{} // closed when startedN becomes true
}

type phase int

const (
	phaseNew      phase = iota // components and steps may be added
	phaseRunning               // Run was called
	phaseStopping              // shutdown began: not ready any more
	phaseCleanup               // cleanup steps are running or done
)

type namedComponent struct {
	name string
	c    Component
}

type step struct {
	name string
	fn   func(ctx context.Context) error
}

// New returns an empty Group.
func New(opts Options) *Group {
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	return &Group{logger: opts.Logger, timeout: opts.ShutdownTimeout, started: make(chan struct{})}
}

// Add registers a component under a short name used in logs and errors
// (ingest.imap, screen, admin). It panics if called after Run: the set of
// components is fixed when the process starts.
func (g *Group) Add(name string, c Component) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.phase != phaseNew {
		panic("app: Add called after Run")
	}
	g.comps = append(g.comps, namedComponent{name: name, c: c})
}

// OnStop registers a cleanup step. Steps run after every component has
// returned, the last registered first (like defer), within the shutdown
// timeout; each gets a context that ends at that deadline. A failing step
// is logged by name and does not stop the others. A step registered while
// the cleanup is already under way runs at once, in the caller's goroutine.
func (g *Group) OnStop(name string, fn func(ctx context.Context) error) {
	g.mu.Lock()
	if g.phase != phaseCleanup {
		g.steps = append(g.steps, step{name: name, fn: fn})
		g.mu.Unlock()
		return
	}
	g.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	if err := callStep(ctx, step{name: name, fn: fn}); err != nil {
		g.logger.Error("cleanup step failed", zap.String("step", name), zap.Error(err))
	}
}

// Ready reports whether every component has started (see [Starter]) and
// shutdown has not begun. Serve it from a readiness probe.
func (g *Group) Ready() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.startedN && g.phase == phaseRunning
}

// Started is closed once every component has started; it is never closed
// if shutdown begins first. It makes a Group a [Starter] itself.
func (g *Group) Started() <-chan struct{} { return g.started }

type result struct {
	name string
	err  error
}

// Run starts every component and blocks until all have returned and the
// cleanup steps have run. Shutdown begins when ctx is done or a component
// fails; a component that returns nil early is logged and the others keep
// running. Run returns nil after a clean shutdown, or every failure joined,
// the first failing component's first: component errors are prefixed with
// the component's name, cleanup errors with "stop" and the step's name.
// Errors a component returns because it was cancelled are not failures.
//
// Run may be called only once.
func (g *Group) Run(ctx context.Context) error {
	g.mu.Lock()
	if g.phase != phaseNew {
		g.mu.Unlock()
		return errors.New("app: Run called twice")
	}
	g.phase = phaseRunning
	comps := slices.Clone(g.comps)
	g.mu.Unlock()

	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	results := make(chan result, len(comps)) // buffered: a late component never blocks.
	for _, c := range comps {
		go func() { results <- result{name: c.name, err: g.runComponent(cctx, c)} }()
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		g.watchStarted(cctx, comps)
	}()

	errs := g.wait(cctx, cancel, comps, results)
	cancel(nil)
	<-watched
	g.mu.Lock()
	g.phase = phaseCleanup
	steps := g.steps
	g.steps = nil
	g.mu.Unlock()
	errs = append(errs, g.cleanup(ctx, steps)...)
	g.logger.Info("stopped", zap.Int("errors", len(errs)))
	return errors.Join(errs...)
}

// wait collects component results until all have returned, cancelling the
// rest at the first failure, and gives up on stragglers after the timeout.
func (g *Group) wait(cctx context.Context, cancel context.CancelCauseFunc, comps []namedComponent, results <-chan result) []error {
	var errs []error
	running := make(map[string]int, len(comps))
	for _, c := range comps {
		running[c.name]++
	}
	stopping := cctx.Done()
	var deadline <-chan time.Time
	for len(running) > 0 {
		select {
		case r := <-results:
			if running[r.name]--; running[r.name] == 0 {
				delete(running, r.name)
			}
			switch {
			case r.err == nil:
				if cctx.Err() == nil {
					g.logger.Warn("component stopped before shutdown", zap.String("component", r.name))
				}
			case cctx.Err() != nil && (errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded)):
				// Stopped because it was told to.
			default:
				err := fmt.Errorf("%s: %w", r.name, r.err)
				g.logger.Error("component failed", zap.String("component", r.name), zap.Error(r.err))
				errs = append(errs, err)
				cancel(err)
			}
		case <-stopping:
			stopping = nil
			g.setPhase(phaseStopping)
			g.logger.Info("shutting down", zap.NamedError("cause", context.Cause(cctx)), zap.Duration("timeout", g.timeout))
			t := time.NewTimer(g.timeout)
			defer t.Stop()
			deadline = t.C
		case <-deadline:
			names := make([]string, 0, len(running))
			for n := range running {
				names = append(names, n)
			}
			slices.Sort(names)
			err := fmt.Errorf("components still running after %v: %s", g.timeout, strings.Join(names, ", "))
			g.logger.Error("components did not stop in time", zap.Strings("components", names), zap.Duration("timeout", g.timeout))
			return append(errs, err)
		}
	}
	return errs
}

func (g *Group) setPhase(p phase) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.phase < p {
		g.phase = p
	}
}

// runComponent runs one component, turning a panic into a *PanicError.
func (g *Group) runComponent(ctx context.Context, c namedComponent) (err error) {
	defer func() {
		if r := recover(); r != nil {
			pe := &PanicError{Value: r, Stack: debug.Stack()}
			g.logger.Error("component panicked", zap.String("component", c.name),
				zap.String("panic", panicText(r)), zap.ByteString("stack", pe.Stack))
			err = pe
		}
	}()
	g.logger.Debug("component starting", zap.String("component", c.name))
	return c.c.Run(ctx)
}

// watchStarted waits for every Starter to start, then marks the Group
// started, unless ctx ends first.
func (g *Group) watchStarted(ctx context.Context, comps []namedComponent) {
	for _, c := range comps {
		s, ok := c.c.(Starter)
		if !ok {
			continue
		}
		select {
		case <-s.Started():
		case <-ctx.Done():
			return
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.phase == phaseRunning {
		g.startedN = true
		close(g.started)
		g.logger.Info("started", zap.Int("components", len(comps)))
	}
}

// cleanup runs steps last-first within one shared deadline. Steps that are
// still running at the deadline are abandoned; steps not yet begun are
// skipped.
func (g *Group) cleanup(parent context.Context, steps []step) []error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), g.timeout)
	defer cancel()
	var errs []error
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if ctx.Err() != nil {
			g.logger.Error("cleanup step skipped", zap.String("step", s.name), zap.Duration("timeout", g.timeout))
			errs = append(errs, fmt.Errorf("stop %s: skipped after shutdown timeout %v", s.name, g.timeout))
			continue
		}
		done := make(chan error, 1) // buffered: an abandoned step never blocks.
		go func() { done <- callStep(ctx, s) }()
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			err = fmt.Errorf("still running after shutdown timeout %v", g.timeout)
		}
		if err != nil {
			g.logger.Error("cleanup step failed", zap.String("step", s.name), zap.Error(err))
			errs = append(errs, fmt.Errorf("stop %s: %w", s.name, err))
		}
	}
	return errs
}

// callStep runs one cleanup step, turning a panic into a *PanicError.
func callStep(ctx context.Context, s step) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return s.fn(ctx)
}
