package worker_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/worker"
	"github.com/scamscreen/scamscreen/notify/worker/natsbus"
)

// hookKV is a real bucket (worker.KV from natsbus) with hooks that run
// before an operation reaches it: a hook can fail the operation (its error
// is returned, the bucket is not touched) or do something else first, to
// force an interleaving. Hooks may be set while the worker runs.
type hookKV struct {
	worker.KV
	mu       sync.Mutex
	onGet    func(key string) error
	onCreate func(key string) error
	onUpdate func(key string) error
	onDelete func(key string) error
}

func (k *hookKV) hook(f *func(key string) error) func(string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return *f
}

// set replaces a hook: k.set(&k.onCreate, fn).
func (k *hookKV) set(f *func(key string) error, fn func(key string) error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	*f = fn
}

func (k *hookKV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	if h := k.hook(&k.onGet); h != nil {
		if err := h(key); err != nil {
			return nil, 0, err
		}
	}
	return k.KV.Get(ctx, key)
}

func (k *hookKV) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	if h := k.hook(&k.onCreate); h != nil {
		if err := h(key); err != nil {
			return 0, err
		}
	}
	return k.KV.Create(ctx, key, value)
}

func (k *hookKV) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	if h := k.hook(&k.onUpdate); h != nil {
		if err := h(key); err != nil {
			return 0, err
		}
	}
	return k.KV.Update(ctx, key, value, rev)
}

func (k *hookKV) Delete(ctx context.Context, key string, rev uint64) error {
	if h := k.hook(&k.onDelete); h != nil {
		if err := h(key); err != nil {
			return err
		}
	}
	return k.KV.Delete(ctx, key, rev)
}

// hookBus is the real bus with a hook after each published job and one
// before each audit record (which can fail it).
type hookBus struct {
	worker.Bus
	mu           sync.Mutex
	afterJobHook func(a *event.Alert)
	auditHook    func(a *event.Alert) error
}

func (b *hookBus) setBeforeAudit(fn func(a *event.Alert) error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.auditHook = fn
}

func (b *hookBus) PublishAlert(ctx context.Context, a *event.Alert) (uint64, bool, error) {
	b.mu.Lock()
	h := b.auditHook
	b.mu.Unlock()
	if h != nil {
		if err := h(a); err != nil {
			return 0, false, err
		}
	}
	return b.Bus.PublishAlert(ctx, a)
}

func (b *hookBus) setAfterJob(fn func(a *event.Alert)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.afterJobHook = fn
}

func (b *hookBus) PublishAlertJob(ctx context.Context, a *event.Alert) (uint64, bool, error) {
	seq, dup, err := b.Bus.PublishAlertJob(ctx, a)
	b.mu.Lock()
	h := b.afterJobHook
	b.mu.Unlock()
	if err == nil && h != nil {
		h(a)
	}
	return seq, dup, err
}

// fixtureOpts adjusts a fixture before its worker starts.
type fixtureOpts struct {
	mod    func(*notify.Config)
	signed bool
	// fail becomes the recorder's Fail.
	fail func(d *notify.Delivery) error
	// logger replaces the test logger.
	logger *zap.Logger
}

// hooked is what a fixture with hooks gives the test: the decorated
// state, timers and records buckets and bus.
type hooked struct {
	state, timers, records *hookKV
	bus                    *hookBus
}

// newHookedFixture is newFixture whose worker runs on decorated buckets
// and bus (all real underneath).
func newHookedFixture(t *testing.T, now time.Time, o fixtureOpts, people ...notify.Person) (*fixture, *hooked) {
	t.Helper()
	f := &fixture{b: natstest.Embedded(t), clk: &clock{t: now}, rec: &notifytest.Recorder{Fail: o.fail}}
	cfg := testConfig(t, nil)
	cfg.SMTP.Host, cfg.SMTP.From = "smtp.scamscreen.test", "alerts@scamscreen.test"
	cfg.Webhook.Secret = secretFile(t, notifytest.WebhookKey)
	if o.mod != nil {
		o.mod(&cfg)
	}
	f.cfg = cfg
	f.dir = directory(t, cfg, people...)
	chs := map[string]notify.Channel{}
	for _, c := range notify.Channels {
		chs[c] = f.rec
	}
	stores, err := natsbus.OpenStores(context.Background(), f.b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &hooked{
		state: &hookKV{KV: stores.State}, timers: &hookKV{KV: stores.Timers}, records: &hookKV{KV: stores.Records},
		bus: &hookBus{Bus: natsbus.Bus{Bus: f.b}},
	}
	deps := worker.Deps{
		Directory: f.dir, Channels: chs, Now: f.clk.Now, Logger: o.logger, Bus: h.bus,
		Stores: worker.Stores{Records: h.records, State: h.state, Timers: h.timers},
	}
	if o.signed {
		signer, err := notify.NewAckSignerFromConfig(cfg.Ack)
		if err != nil {
			t.Fatal(err)
		}
		deps.Signer = signer
	}
	if cfg.Shadow {
		deps.Shadow = f.rec
	}
	f.w = start(t, f.b, cfg, deps).w
	return f, h
}

// records opens the fixture's buckets unwrapped, as another process would.
func (f *fixture) stores(t *testing.T) worker.Stores {
	t.Helper()
	st, err := natsbus.OpenStores(context.Background(), f.b, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
