package imap

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest"
	"github.com/scamscreen/scamscreen/internal/obs"
)

// logoutGrace is how long a closing folder session may take to leave IDLE
// and log out before its connection is cut.
const logoutGrace = 5 * time.Second

// Worker ingests the mail of many IMAP accounts into INBOUND. Each watched
// folder runs in its own goroutine on its own connection, waiting with
// IDLE where the server supports it and polling otherwise; a failure of
// one folder or account is logged, counted and retried with jittered
// exponential backoff and never stops the others.
//
// Create it with [New] and run it with [Worker.Run].
type Worker struct {
	cfg      Config
	accounts []Account
	pub      ingest.Publisher
	store    CheckpointStore
	locs     LocationRecorder
	log      *zap.Logger
	m        *metrics
	sem      chan struct{}
	now      func() time.Time
}

// Option configures a [Worker] with what does not belong in the
// configuration file.
type Option func(*Worker)

// WithLocations makes the worker record where each published mail lives,
// so that [Actions] can find it again. It is needed only when the scam
// action is enabled.
func WithLocations(r LocationRecorder) Option { return func(w *Worker) { w.locs = r } }

// New checks cfg and accounts and returns a Worker that publishes through
// pub and keeps checkpoints in store. Metrics are registered on reg when
// it is not nil. logger may be nil.
func New(cfg Config, accounts []Account, pub ingest.Publisher, store CheckpointStore, logger *zap.Logger, reg prometheus.Registerer, opts ...Option) (*Worker, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("imap config: %w", err)
	}
	if err := ValidateAccounts(accounts); err != nil {
		return nil, fmt.Errorf("imap accounts: %w", err)
	}
	if pub == nil || store == nil {
		return nil, errors.New("imap worker: publisher and checkpoint store are required")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	w := &Worker{
		cfg:      cfg,
		accounts: append([]Account(nil), accounts...),
		pub:      pub,
		store:    store,
		log:      logger.Named("imap"),
		m:        m,
		sem:      make(chan struct{}, cfg.MaxConcurrentSyncs),
		now:      time.Now,
	}
	for _, o := range opts {
		o(w)
	}
	if cfg.Action.enabled() && w.locs == nil {
		return nil, errors.New("imap worker: action is enabled but no location index was given (WithLocations)")
	}
	for _, a := range w.accounts {
		m.fetched.WithLabelValues(a.ID)
		m.published.WithLabelValues(a.ID, "new")
		m.published.WithLabelValues(a.ID, "duplicate")
		m.reconnects.WithLabelValues(a.ID)
	}
	return w, nil
}

// Run watches every account until ctx ends, then leaves IDLE, logs out and
// returns nil once every connection is closed. Failures of accounts and
// folders are retried, never returned.
func (w *Worker) Run(ctx context.Context) error {
	w.log.Info("imap ingest starting", zap.Int("mailboxes", len(w.accounts)), zap.Int("max_concurrent_syncs", w.cfg.MaxConcurrentSyncs))
	var wg sync.WaitGroup
	for i := range w.accounts {
		wg.Go(func() { w.runAccount(ctx, &w.accounts[i]) })
	}
	<-ctx.Done()
	wg.Wait()
	w.log.Info("imap ingest stopped")
	return nil
}

// folderSpec is a folder to watch and the direction of its mail.
type folderSpec struct {
	name string
	dir  event.Direction
}

func (w *Worker) accountLog(a *Account) *zap.Logger {
	return w.log.With(zap.String("mailbox", a.ID), obs.Household(a.Household), obs.Person(a.Person))
}

// runAccount finds the account's folders (retrying until it can) and then
// watches each in its own goroutine until ctx ends.
func (w *Worker) runAccount(ctx context.Context, a *Account) {
	log := w.accountLog(a)
	bo := newBackoff(w.cfg.ReconnectMin.Std(), w.cfg.ReconnectMax.Std())
	var folders []folderSpec
	for {
		var err error
		folders, err = w.resolveFolders(ctx, a)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		kind := kindOf(err)
		w.m.errors.WithLabelValues(a.ID, string(kind)).Inc()
		wait := bo.next(kind)
		log.Warn("cannot list folders, will retry", zap.String("kind", string(kind)), zap.Error(err), zap.Duration("retry_in", wait))
		if sleepCtx(ctx, wait) != nil {
			return
		}
	}
	names := make([]string, len(folders))
	for i, f := range folders {
		names[i] = f.name + "(" + string(f.dir) + ")"
	}
	log.Info("watching mailbox", zap.Strings("folders", names))
	var wg sync.WaitGroup
	for _, f := range folders {
		wg.Go(func() { w.runFolder(ctx, a, f) })
	}
	wg.Wait()
}

// runFolder keeps a session on one folder open, reconnecting after
// failures, until ctx ends.
func (w *Worker) runFolder(ctx context.Context, a *Account, f folderSpec) {
	log := w.accountLog(a).With(zap.String("folder", f.name))
	bo := newBackoff(w.cfg.ReconnectMin.Std(), w.cfg.ReconnectMax.Std())
	for {
		start := time.Now()
		err := w.session(ctx, a, f, log)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = &opError{kind: kindClosed, err: errors.New("session ended")}
		}
		if time.Since(start) > w.cfg.ReconnectMax.Std() {
			bo.reset() // it worked for a while: start again from the short wait
		}
		kind := kindOf(err)
		w.m.errors.WithLabelValues(a.ID, string(kind)).Inc()
		w.m.reconnects.WithLabelValues(a.ID).Inc()
		wait := bo.next(kind)
		log.Warn("folder session failed, will reconnect", zap.String("kind", string(kind)), zap.Error(err), zap.Duration("retry_in", wait))
		if sleepCtx(ctx, wait) != nil {
			return
		}
	}
}

// acquire takes a sync slot, or fails when ctx ends.
func (w *Worker) acquire(ctx context.Context) error {
	select {
	case w.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Worker) release() { <-w.sem }

// resolveFolders returns the folders to watch: the configured ones, and
// for an absent list the ones found by SPECIAL-USE or well-known names.
func (w *Worker) resolveFolders(ctx context.Context, a *Account) ([]folderSpec, error) {
	var out []folderSpec
	add := func(names []string, dir event.Direction) {
		for _, n := range names {
			out = append(out, folderSpec{name: n, dir: dir})
		}
	}
	if a.Inbox != nil && a.Sent != nil {
		add(a.Inbox, event.DirectionIn)
		add(a.Sent, event.DirectionOut)
		return out, nil
	}
	if err := w.acquire(ctx); err != nil {
		return nil, err
	}
	defer w.release()
	cn, err := dialer{cfg: &w.cfg, acct: a}.dial(ctx, logoutGrace)
	if err != nil {
		return nil, err
	}
	defer cn.logout()
	list, err := cn.list()
	if err != nil {
		return nil, err
	}
	inbox, sent := a.Inbox, a.Sent
	if inbox == nil {
		inbox = []string{"INBOX"}
		if j := findFolder(list, goimap.MailboxAttrJunk, junkNames); j != "" && !strings.EqualFold(j, "INBOX") {
			inbox = append(inbox, j)
		}
	}
	if sent == nil {
		if s := findFolder(list, goimap.MailboxAttrSent, sentNames); s != "" && !contains(inbox, s) {
			sent = []string{s}
		}
	}
	add(inbox, event.DirectionIn)
	add(sent, event.DirectionOut)
	return out, nil
}

// Well-known folder names, compared case-insensitively with the last
// level of a folder's name, for servers without SPECIAL-USE.
var (
	junkNames = []string{"Junk", "Spam", "Junk E-mail", "Junk Email", "Bulk Mail", "迷惑メール"}
	sentNames = []string{"Sent", "Sent Items", "Sent Messages", "Sent Mail", "送信済み", "送信済みメール", "送信済みアイテム", "送信箱"}
)

func findFolder(list []*goimap.ListData, attr goimap.MailboxAttr, names []string) string {
	for _, d := range list {
		for _, at := range d.Attrs {
			if strings.EqualFold(string(at), string(attr)) {
				return d.Mailbox
			}
		}
	}
	for _, n := range names {
		for _, d := range list {
			leaf := d.Mailbox
			if d.Delim != 0 {
				if i := strings.LastIndex(leaf, string(d.Delim)); i >= 0 {
					leaf = leaf[i+1:]
				}
			}
			if strings.EqualFold(leaf, n) {
				return d.Mailbox
			}
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// list returns the selectable folders with their attributes, asking for
// SPECIAL-USE attributes when the server has them.
func (cn *conn) list() ([]*goimap.ListData, error) {
	caps := cn.c.Caps()
	var opts *goimap.ListOptions
	if caps.Has(goimap.CapSpecialUse) && (caps.Has(goimap.CapListExtended) || caps.Has(goimap.CapIMAP4rev2)) {
		opts = &goimap.ListOptions{ReturnSpecialUse: true}
	}
	var out []*goimap.ListData
	err := cn.guard(func() error {
		var err error
		out, err = cn.c.List("", "*", opts).Collect()
		return err
	})
	if err != nil {
		return nil, &opError{kind: kindProtocol, err: fmt.Errorf("list: %w", err)}
	}
	sel := out[:0]
	for _, d := range out {
		skip := false
		for _, at := range d.Attrs {
			if at == goimap.MailboxAttrNoSelect || at == goimap.MailboxAttrNonExistent {
				skip = true
			}
		}
		if !skip {
			sel = append(sel, d)
		}
	}
	return sel, nil
}

// backoff is jittered exponential backoff.
type backoff struct {
	min, max, cur time.Duration
}

func newBackoff(lo, hi time.Duration) *backoff { return &backoff{min: lo, max: hi} }

func (b *backoff) reset() { b.cur = 0 }

// next returns the wait before the next attempt: doubling from min up to
// max, with "full jitter" in [d/2, d). Authentication and configuration
// failures wait the longest at once: repeating a bad login quickly can get
// an account locked.
func (b *backoff) next(kind errKind) time.Duration {
	switch {
	case kind == kindAuth || kind == kindConfig:
		b.cur = b.max
	case b.cur == 0:
		b.cur = b.min
	default:
		b.cur = min(b.cur*2, b.max)
	}
	half := b.cur / 2
	return half + rand.N(b.cur-half+1)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
