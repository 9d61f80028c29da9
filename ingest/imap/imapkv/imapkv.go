package imapkv

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/scamscreen/scamscreen/ingest/imap"
)

// KV wraps a jetstream.KeyValue as an [imap.KV].
type KV struct {
	kv jetstream.KeyValue
}

var _ imap.KV = (*KV)(nil)

// New returns kv as an [imap.KV].
func New(kv jetstream.KeyValue) *KV { return &KV{kv: kv} }

// Get implements [imap.KV].
func (k *KV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := k.kv.Get(ctx, key)
	if err != nil {
		return nil, 0, translate(key, err)
	}
	return e.Value(), e.Revision(), nil
}

// Create implements [imap.KV].
func (k *KV) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := k.kv.Create(ctx, key, value)
	return rev, translate(key, err)
}

// Update implements [imap.KV].
func (k *KV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	rev, err := k.kv.Update(ctx, key, value, revision)
	return rev, translate(key, err)
}

// Put implements [imap.KV].
func (k *KV) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := k.kv.Put(ctx, key, value)
	return rev, translate(key, err)
}

func translate(key string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jetstream.ErrKeyNotFound), errors.Is(err, jetstream.ErrKeyDeleted):
		return fmt.Errorf("%s: %w: %w", key, imap.ErrKeyNotFound, err)
	case errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyExists):
		return fmt.Errorf("%s: %w: %w", key, imap.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", key, err)
}
