package obs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// DefaultAdminAddr is where the admin endpoint listens unless configured:
// loopback only, since /metrics and /readyz are unauthenticated.
const DefaultAdminAddr = "127.0.0.1:9090"

// Admin timings.
const (
	// ReadinessTimeout bounds one /readyz request: checks still running
	// then are reported as timed out.
	ReadinessTimeout = 2 * time.Second
	// adminShutdownTimeout bounds the graceful stop of the HTTP server.
	adminShutdownTimeout = 5 * time.Second
)

// ReadinessCheck reports whether a dependency is usable, such as the NATS
// connection. It must honour ctx.
type ReadinessCheck func(ctx context.Context) error

// Admin is the operational HTTP endpoint of a process:
//
//   - /metrics: the [Metrics] registry, in the Prometheus text format or
//     OpenMetrics when the scraper asks for it;
//   - /healthz: 200 while the process serves, for liveness probes;
//   - /readyz: runs every readiness check concurrently within
//     [ReadinessTimeout]; 200 when all pass, 503 otherwise. The body lists
//     each check by name as ok, failed or timeout, and never error text,
//     which could hold a URL with credentials or a host name; the error is
//     logged instead, when a check's state changes.
//
// Create it with [NewAdmin], add checks with [Admin.AddReadiness], then call
// [Admin.Run]. Its methods are safe for concurrent use.
type Admin struct {
	addr    string
	metrics *Metrics
	logger  *zap.Logger

	mu     sync.Mutex
	checks []namedCheck
	last   map[string]string // last logged state per check

	readinessTimeout time.Duration

	running atomic.Bool
	bound   atomic.Pointer[string]
	started chan struct{}
}

type namedCheck struct {
	name string
	fn   ReadinessCheck
}

// NewAdmin returns an Admin that will listen on addr ([DefaultAdminAddr]
// when empty) and serve m's registry. m may be nil for no /metrics.
func NewAdmin(addr string, m *Metrics, logger *zap.Logger) *Admin {
	if addr == "" {
		addr = DefaultAdminAddr
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Admin{
		addr:    addr,
		metrics: m,
		logger:  logger,
		last:    make(map[string]string),
		started: make(chan struct{}),

		readinessTimeout: ReadinessTimeout,
	}
}

// AddReadiness adds a named check to /readyz. Names should be short and
// stable (nats, imap, rules); they appear in the response.
func (a *Admin) AddReadiness(name string, fn ReadinessCheck) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checks = append(a.checks, namedCheck{name: name, fn: fn})
}

// Addr returns the address the server is bound to, or "" before [Admin.Run]
// has bound it. With a configured port 0 it holds the chosen port.
func (a *Admin) Addr() string {
	if p := a.bound.Load(); p != nil {
		return *p
	}
	return ""
}

// Started is closed once the server listens. [Admin.Addr] is set by then.
func (a *Admin) Started() <-chan struct{} { return a.started }

// Run listens and serves until ctx is done, then shuts the server down
// gracefully and returns nil. It returns at once with an error if the
// address cannot be bound, and may be called only once.
func (a *Admin) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("admin: Run called twice")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.addr)
	if err != nil {
		return fmt.Errorf("admin listen: %w", err)
	}
	bound := ln.Addr().String()
	a.bound.Store(&bound)
	close(a.started)

	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          zap.NewStdLog(a.logger.Named("http")),
	}
	a.logger.Info("admin endpoint listening", zap.String("listen", bound))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return fmt.Errorf("admin serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), adminShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-errc // Serve returns as soon as Shutdown closes the listener.
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("admin shutdown: %w", err)
	}
	return nil
}

// Handler returns the endpoint's routes, for serving it some other way.
func (a *Admin) Handler() http.Handler {
	mux := http.NewServeMux()
	if a.metrics != nil {
		reg := a.metrics.Registry()
		mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(reg,
			promhttp.HandlerFor(reg, promhttp.HandlerOpts{
				Registry:          reg,
				EnableOpenMetrics: true,
				ErrorLog:          zap.NewStdLog(a.logger.Named("metrics")),
			})))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", a.serveReady)
	return mux
}

// checkResult is the outcome of one readiness check.
type checkResult struct {
	state string // ok, failed, timeout
	err   error
}

func (a *Admin) serveReady(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	checks := append([]namedCheck(nil), a.checks...)
	a.mu.Unlock()

	results := runChecks(r.Context(), checks, a.readinessTimeout)
	var b strings.Builder
	ready := true
	for i, c := range checks {
		res := results[i]
		if res.state != "ok" {
			ready = false
		}
		fmt.Fprintf(&b, "%s: %s\n", c.name, res.state)
		a.logChange(c.name, res)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	} else if len(checks) == 0 {
		b.WriteString("ok\n")
	}
	_, _ = w.Write([]byte(b.String()))
}

// runChecks runs checks concurrently and waits for them until timeout. A
// check that ignores its context is abandoned: it finishes in the
// background and its result is dropped.
func runChecks(ctx context.Context, checks []namedCheck, timeout time.Duration) []checkResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type done struct {
		i   int
		err error
	}
	ch := make(chan done, len(checks)) // buffered: late checks never block.
	for i, c := range checks {
		go func() {
			var err error
			defer func() {
				if r := recover(); r != nil {
					err = fmt.Errorf("panic: %v", r)
				}
				ch <- done{i: i, err: err}
			}()
			err = c.fn(ctx)
		}()
	}
	results := make([]checkResult, len(checks))
	for i := range results {
		results[i] = checkResult{state: "timeout", err: context.DeadlineExceeded}
	}
	for range checks {
		select {
		case d := <-ch:
			switch {
			case d.err == nil:
				results[d.i] = checkResult{state: "ok"}
			case ctx.Err() != nil && errors.Is(d.err, ctx.Err()):
				results[d.i] = checkResult{state: "timeout", err: d.err}
			default:
				results[d.i] = checkResult{state: "failed", err: d.err}
			}
		case <-ctx.Done():
			return results
		}
	}
	return results
}

// logChange logs a check's result when it differs from the last one, so a
// probe every few seconds does not flood the log.
func (a *Admin) logChange(name string, res checkResult) {
	state := res.state
	if res.err != nil {
		state += ": " + res.err.Error()
	}
	a.mu.Lock()
	prev, seen := a.last[name]
	a.last[name] = state
	a.mu.Unlock()
	if seen && prev == state || !seen && res.state == "ok" {
		return
	}
	if res.state == "ok" {
		a.logger.Info("readiness check recovered", zap.String("check", name))
		return
	}
	a.logger.Warn("readiness check failing", zap.String("check", name), zap.String("state", res.state), zap.Error(res.err))
}
