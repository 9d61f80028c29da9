package bus

import (
	"time"

	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
)

// RawBucket is the object store bucket that holds raw originals too large
// to travel inline ([Config.RawInlineLimit]). Objects are named by message
// id and kept as long as INBOUND keeps messages.
const RawBucket = "scamscreen_raw"

// StreamAction says what [Bus.EnsureStreams] did to one stream.
type StreamAction string

// Stream actions.
const (
	StreamCreated   StreamAction = "created"
	StreamUpdated   StreamAction = "updated"
	StreamUnchanged StreamAction = "unchanged"
)

// StreamStatus reports what [Bus.EnsureStreams] did to one stream.
type StreamStatus struct {
	Name   string
	Action StreamAction
}

// StreamConfig returns the JetStream configuration the bus applies for
// spec: file storage, limits retention, discard old, and the limits from
// the configuration.
func (b *Bus) StreamConfig(spec event.StreamSpec) jetstream.StreamConfig {
	l := b.cfg.Streams.Limits(spec.Name)
	return jetstream.StreamConfig{
		Name:        spec.Name,
		Description: spec.Description,
		Subjects:    slices.Clone(spec.Subjects),
		Retention:   jetstream.LimitsPolicy,
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxAge:      time.Duration(l.MaxAge),
		MaxBytes:    l.MaxBytes,
		Replicas:    l.Replicas,
		Duplicates:  time.Duration(l.Duplicates),
		MaxMsgs:     -1,
		MaxMsgSize:  -1,
	}
}

// EnsureStreams creates every stream in [event.Streams] that does not
// exist and updates those whose managed settings (subjects, description,
// retention, storage, discard, max age, max bytes, replicas, duplicate
// window) differ from the configuration. Settings it does not manage (an
// operator's placement or compression) are kept. A stream already as
// configured is left alone, so calling it again is a no-op. The raw-original
// object store ([RawBucket]), when it exists, gets the TTL (INBOUND's
// max_age) and replicas of the configuration too. [Open] calls it.
func (b *Bus) EnsureStreams(ctx context.Context) ([]StreamStatus, error) {
	out := make([]StreamStatus, 0, len(event.Streams))
	for _, spec := range event.Streams {
		want := b.StreamConfig(spec)
		action, err := b.ensureStream(ctx, want)
		if err != nil {
			return out, err
		}
		out = append(out, StreamStatus{Name: spec.Name, Action: action})
		if action != StreamUnchanged {
			b.log.Info("stream "+string(action),
				zap.String("stream", spec.Name),
				zap.Duration("max_age", want.MaxAge),
				zap.Int64("max_bytes", want.MaxBytes),
				zap.Int("replicas", want.Replicas),
				zap.Duration("duplicates", want.Duplicates))
		}
	}
	if err := b.syncRawStore(ctx); err != nil {
		return out, err
	}
	return out, nil
}

func (b *Bus) ensureStream(ctx context.Context, want jetstream.StreamConfig) (StreamAction, error) {
	var s jetstream.Stream
	err := b.retry(ctx, func(ctx context.Context) error {
		var err error
		s, err = b.js.Stream(ctx, want.Name)
		return err
	})
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		err := b.retry(ctx, func(ctx context.Context) error {
			_, err := b.js.CreateStream(ctx, want)
			return err
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Created by another replica, or by an attempt whose reply was
			// lost; compare with what is there.
			return b.ensureStream(ctx, want)
		}
		if err != nil {
			return "", fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		return StreamCreated, nil
	}
	if err != nil {
		return "", fmt.Errorf("stream %s: %w", want.Name, err)
	}
	have := s.CachedInfo().Config
	if have.Storage != want.Storage || have.Retention != want.Retention {
		return "", fmt.Errorf("stream %s has %s storage and %s retention; scamscreen needs %s and %s, which cannot be changed in place: move the data and delete the stream",
			want.Name, have.Storage, have.Retention, want.Storage, want.Retention)
	}
	if managedEqual(have, want) {
		return StreamUnchanged, nil
	}
	upd := have
	upd.Description = want.Description
	upd.Subjects = want.Subjects
	upd.Discard = want.Discard
	upd.MaxAge = want.MaxAge
	upd.MaxBytes = want.MaxBytes
	upd.Replicas = want.Replicas
	upd.Duplicates = want.Duplicates
	if err := b.retry(ctx, func(ctx context.Context) error {
		_, err := b.js.UpdateStream(ctx, upd)
		return err
	}); err != nil {
		return "", fmt.Errorf("update stream %s: %w", want.Name, err)
	}
	return StreamUpdated, nil
}

func managedEqual(have, want jetstream.StreamConfig) bool {
	hs, ws := slices.Clone(have.Subjects), slices.Clone(want.Subjects)
	slices.Sort(hs)
	slices.Sort(ws)
	return slices.Equal(hs, ws) &&
		have.Description == want.Description &&
		have.Discard == want.Discard &&
		have.MaxAge == want.MaxAge &&
		have.MaxBytes == want.MaxBytes &&
		have.Replicas == want.Replicas &&
		have.Duplicates == want.Duplicates
}

// KeyValue binds to the key-value bucket, creating it with cfg when it
// does not exist (cfg.Bucket is set to bucket; zero Storage means file and
// zero Replicas the configured stream replicas). An existing bucket is used
// as it is, whatever its configuration.
func (b *Bus) KeyValue(ctx context.Context, bucket string, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	var kv jetstream.KeyValue
	bind := func(ctx context.Context) error {
		var err error
		kv, err = b.js.KeyValue(ctx, bucket)
		return err
	}
	err := b.retry(ctx, bind)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("key-value bucket %s: %w", bucket, err)
	}
	cfg.Bucket = bucket
	if cfg.Replicas == 0 {
		cfg.Replicas = b.cfg.Streams.Replicas
	}
	err = b.retry(ctx, func(ctx context.Context) error {
		var err error
		kv, err = b.js.CreateKeyValue(ctx, cfg)
		return err
	})
	if errors.Is(err, jetstream.ErrBucketExists) {
		err = b.retry(ctx, bind) // created concurrently, or by a lost attempt
	}
	if err != nil {
		return nil, fmt.Errorf("create key-value bucket %s: %w", bucket, err)
	}
	return kv, nil
}

// ObjectStore binds to the raw-original object store ([RawBucket]),
// creating it when it does not exist: file storage, the INBOUND replicas,
// and objects kept as long as INBOUND keeps messages. An existing store is
// brought in line with that configuration (see [Bus.EnsureStreams]) the
// first time it is bound.
func (b *Bus) ObjectStore(ctx context.Context) (jetstream.ObjectStore, error) {
	b.rawMu.Lock()
	defer b.rawMu.Unlock()
	if b.raw != nil {
		return b.raw, nil
	}
	want := b.rawStoreConfig()
	store, err := b.bindRawStore(ctx)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		err = b.retry(ctx, func(ctx context.Context) error {
			var err error
			store, err = b.js.CreateObjectStore(ctx, want)
			return err
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			store, err = b.bindRawStore(ctx) // created concurrently, or by a lost attempt
		}
		if err != nil {
			return nil, fmt.Errorf("create object store %s: %w", RawBucket, err)
		}
		b.raw = store
		return store, nil
	}
	if err != nil {
		return nil, err
	}
	if store, err = b.alignRawStore(ctx, store); err != nil {
		return nil, err
	}
	b.raw = store
	return store, nil
}

// rawStoreConfig is the configuration the raw-original store is created
// with: originals live as long as the INBOUND messages that reference
// them, with as many replicas.
func (b *Bus) rawStoreConfig() jetstream.ObjectStoreConfig {
	l := b.cfg.Streams.Limits(event.StreamInbound)
	return jetstream.ObjectStoreConfig{
		Bucket:      RawBucket,
		Description: "raw originals too large to travel inline in INBOUND",
		TTL:         time.Duration(l.MaxAge),
		Storage:     jetstream.FileStorage,
		Replicas:    l.Replicas,
	}
}

func (b *Bus) bindRawStore(ctx context.Context) (jetstream.ObjectStore, error) {
	var store jetstream.ObjectStore
	err := b.retry(ctx, func(ctx context.Context) error {
		var err error
		store, err = b.js.ObjectStore(ctx, RawBucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", RawBucket, err)
	}
	return store, nil
}

// syncRawStore aligns the raw-original store with the configuration when
// it exists; it does not create it (the first large original does).
func (b *Bus) syncRawStore(ctx context.Context) error {
	b.rawMu.Lock()
	defer b.rawMu.Unlock()
	store, err := b.bindRawStore(ctx)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	store, err = b.alignRawStore(ctx, store)
	if err != nil {
		return err
	}
	b.raw = store
	return nil
}

// alignRawStore updates store when its TTL or replicas differ from
// [Bus.rawStoreConfig]: the TTL follows INBOUND's max_age, so raising it
// keeps the originals (the evidence) as long as their messages, and more
// replicas protect them as the messages are. Settings it does not manage
// (an operator's max bytes, placement, compression, metadata) are kept.
func (b *Bus) alignRawStore(ctx context.Context, store jetstream.ObjectStore) (jetstream.ObjectStore, error) {
	want := b.rawStoreConfig()
	var st jetstream.ObjectStoreStatus
	if err := b.retry(ctx, func(ctx context.Context) error {
		var err error
		st, err = store.Status(ctx)
		return err
	}); err != nil {
		return nil, fmt.Errorf("object store %s status: %w", RawBucket, err)
	}
	if st.TTL() == want.TTL && st.Replicas() == want.Replicas {
		return store, nil
	}
	upd := want
	upd.Description = st.Description()
	upd.Storage = st.Storage()
	upd.Compression = st.IsCompressed()
	if bs, ok := st.(*jetstream.ObjectBucketStatus); ok && bs.StreamInfo() != nil {
		sc := bs.StreamInfo().Config
		upd.MaxBytes = sc.MaxBytes
		upd.Placement = sc.Placement
	}
	for k, v := range st.Metadata() {
		if strings.HasPrefix(k, "_nats.") {
			continue // set by the server
		}
		if upd.Metadata == nil {
			upd.Metadata = map[string]string{}
		}
		upd.Metadata[k] = v
	}
	var out jetstream.ObjectStore
	if err := b.retry(ctx, func(ctx context.Context) error {
		var err error
		out, err = b.js.UpdateObjectStore(ctx, upd)
		return err
	}); err != nil {
		return nil, fmt.Errorf("update object store %s: %w", RawBucket, err)
	}
	b.log.Info("object store updated",
		zap.String("bucket", RawBucket),
		zap.Duration("ttl_was", st.TTL()), zap.Duration("ttl", want.TTL),
		zap.Int("replicas_was", st.Replicas()), zap.Int("replicas", want.Replicas))
	return out, nil
}
