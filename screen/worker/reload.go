package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/fsnotify/fsnotify"
	"go.uber.org/zap"
)

// Reloader rebuilds the engine when asked (SIGHUP) or when a file of the
// rule directory changes, and swaps it into the worker. A build that fails
// is logged and counted; the running engine stays.
type Reloader struct {
	// Build loads the rule packs and builds a new engine.
	Build func() (Screener, error)
	// Dir is the rule directory to watch; empty watches nothing (the
	// built-in packs cannot change).
	Dir string
	// Signal delivers reload requests (SIGHUP from main).
	Signal <-chan struct{}
	// Debounce groups the events of one edit (editors write several
	// times); default 300ms.
	Debounce time.Duration

	Worker *Worker
	Logger *zap.Logger
}

// Run watches until ctx is cancelled.
func (r *Reloader) Run(ctx context.Context) error {
	debounce := r.Debounce
	if debounce == 0 {
		debounce = 300 * time.Millisecond
	}
	var events <-chan fsnotify.Event
	var errs <-chan error
	if r.Dir != "" {
		w, err := fsnotify.NewWatcher()
		if err != nil {
			return fmt.Errorf("watch rule directory: %w", err)
		}
		defer w.Close()
		if err := w.Add(r.Dir); err != nil {
			return fmt.Errorf("watch rule directory %s: %w", r.Dir, err)
		}
		events, errs = w.Events, w.Errors
	}
	var timer <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.Signal:
			r.reload("signal")
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Op&(fsnotify.Write|fsnotify.Create|fsnotify.Remove|fsnotify.Rename) != 0 {
				timer = time.After(debounce)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			r.Logger.Warn("rule directory watch error", zap.Error(err))
		case <-timer:
			timer = nil
			r.reload("file change")
		}
	}
}

func (r *Reloader) reload(why string) {
	eng, err := r.Build()
	m := r.Worker.metrics
	if err != nil {
		// Rule-pack errors name files and lines, never message content.
		r.Logger.Error("rule packs not reloaded; keeping the running ones", zap.String("trigger", why), zap.Error(err))
		if m != nil {
			m.RulePackReload(false)
		}
		return
	}
	r.Worker.Swap(eng)
	if m != nil {
		m.RulePackReload(true)
	}
	r.Logger.Info("rule packs reloaded", zap.String("trigger", why), zap.Strings("rule_packs", eng.RulePacks()))
}
