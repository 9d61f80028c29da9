// Package natsbus runs the notify worker on JetStream. The worker takes
// interfaces (worker.Bus, worker.KV) so that its delivery, escalation and
// crash logic stays free of nats.go and can be driven by a test clock;
// this package is the one place that maps them onto internal/bus and
// JetStream key-value buckets, and so the one place that knows which
// jetstream errors mean "not found", "exists" and "conflict". The CLI and
// the worker's own integration tests both use it.
package natsbus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/worker"
)

// Bus adapts *bus.Bus to worker.Bus and notify.AckPublisher.
type Bus struct{ *bus.Bus }

var (
	_ worker.Bus          = Bus{}
	_ notify.AckPublisher = Bus{}
)

func (b Bus) Consume(ctx context.Context, c worker.Consumer, h worker.Handler) error {
	spec := bus.ConsumerSpec{
		Stream: c.Stream, Durable: c.Durable, FilterSubjects: c.FilterSubjects,
		AckWait: c.AckWait, HandlerTimeout: c.HandlerTimeout, MaxDeliver: c.MaxDeliver, Concurrency: c.Concurrency,
	}
	return b.Bus.Consume(ctx, spec, func(ctx context.Context, d *bus.Delivery) error { return h(ctx, delivery{d}) })
}

// PublishAck publishes an acknowledgement on the person's ack subject;
// repeated acknowledgements of one alert by one contact are one message
// inside the duplicate window.
func (b Bus) PublishAck(ctx context.Context, a *event.Alert) error {
	subject, err := event.AlertAckSubject(a.Household, a.Person)
	if err != nil {
		return err
	}
	data, err := event.Encode(a)
	if err != nil {
		return err
	}
	_, _, err = b.Publish(ctx, subject, "ack."+a.ID+"."+a.Recipient, data, nil)
	return err
}

type delivery struct{ d *bus.Delivery }

func (d delivery) Data() []byte       { return d.d.Data() }
func (d delivery) Subject() string    { return d.d.Subject() }
func (d delivery) Deliveries() uint64 { return d.d.Metadata().NumDelivered }

// OpenStores binds the worker's three key-value buckets, creating those
// that are missing.
func OpenStores(ctx context.Context, b *bus.Bus, cfg notify.Config) (worker.Stores, error) {
	cfg.ApplyDefaults()
	specs := worker.Buckets(cfg.Worker.RecordTTL.Std(), cfg.Shadow)
	var kvs [3]worker.KV
	for i, s := range specs {
		kv, err := b.KeyValue(ctx, s.Name, jetstream.KeyValueConfig{Description: s.Description, TTL: s.TTL, History: 1})
		if err != nil {
			return worker.Stores{}, err
		}
		kvs[i] = kvStore{kv}
	}
	return worker.Stores{Records: kvs[0], State: kvs[1], Timers: kvs[2]}, nil
}

// kvStore adapts a JetStream bucket to worker.KV.
type kvStore struct{ kv jetstream.KeyValue }

func (s kvStore) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, worker.ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return e.Value(), e.Revision(), nil
}

func (s kvStore) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := s.kv.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, worker.ErrExists
	}
	return rev, err
}

func (s kvStore) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	n, err := s.kv.Update(ctx, key, value, rev)
	// A stale revision reports as ErrKeyExists too (same API code).
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return 0, worker.ErrConflict
	}
	return n, err
}

func (s kvStore) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	return s.kv.Put(ctx, key, value)
}

func (s kvStore) Delete(ctx context.Context, key string, rev uint64) error {
	var opts []jetstream.KVDeleteOpt
	if rev > 0 {
		opts = append(opts, jetstream.LastRevision(rev))
	}
	err := s.kv.Delete(ctx, key, opts...)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return worker.ErrConflict
	}
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

func (s kvStore) Keys(ctx context.Context, filter string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l, err := s.kv.ListKeysFiltered(ctx, filter)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer func() { _ = l.Stop() }()
	var out []string
	for k := range l.Keys() {
		out = append(out, k)
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("list keys %s: %w", filter, ctx.Err())
	}
	return out, nil
}
