package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// ReplayFrom says where [Bus.Replay] starts. The zero value starts at the
// beginning of the stream.
type ReplayFrom struct {
	// Time starts at the first message stored at or after it.
	Time time.Time
	// Seq starts at this stream sequence; used when Time is zero.
	Seq uint64
}

// Replay reads stream from start, calling fn for every message that
// matches filters (all when empty), in stream order, until it has caught up
// with the end of the stream. It is read-only: it acknowledges nothing and
// does not touch any durable consumer, so operators can re-screen history
// while the pipeline runs. An error from fn stops the replay and is
// returned. Deliveries have NumDelivered 1 and their InProgress does
// nothing.
//
// It works like nats.go's ordered consumer (an ephemeral consumer without
// acks, recreated after the last message seen whenever a gap shows) but
// gives that consumer the stream's replication instead of one in-memory
// replica: in the three-node failover test an R1 ordered consumer could not
// be placed for over a minute after a node was killed.
func (b *Bus) Replay(ctx context.Context, stream string, filters []string, start ReplayFrom, fn Handler) error {
	var s jetstream.Stream
	err := b.retry(ctx, func(ctx context.Context) error {
		var err error
		s, err = b.js.Stream(ctx, stream)
		return err
	})
	if err != nil {
		return fmt.Errorf("replay %s: %w", stream, err)
	}
	replicas := s.CachedInfo().Config.Replicas
	target, err := b.replayTarget(ctx, s, filters, start)
	if err != nil || target == 0 {
		return err
	}
	var last uint64 // stream sequence of the last message given to fn
	for {
		done, err := b.replayOnce(ctx, stream, filters, start, replicas, target, &last, fn)
		if done || err != nil {
			return err
		}
		b.log.Info("replay consumer lost its place, resuming", zap.String("stream", stream), zap.Uint64("after_seq", last))
	}
}

// replayTarget returns the sequence of the last message that matches
// filters as the replay starts, or 0 when no message from start on matches.
// The replay ends there (or earlier, when a delivery says nothing more is
// pending). It is read from the stream rather than from the new consumer's
// pending count, which a freshly created replicated consumer reported as 0
// in the failover test.
func (b *Bus) replayTarget(ctx context.Context, s jetstream.Stream, filters []string, start ReplayFrom) (uint64, error) {
	if len(filters) == 0 {
		filters = []string{">"}
	}
	var target uint64
	for _, f := range filters {
		var m *jetstream.RawStreamMsg
		err := b.retry(ctx, func(ctx context.Context) error {
			var err error
			m, err = s.GetLastMsgForSubject(ctx, f)
			return err
		})
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("replay %s: last message on %s: %w", s.CachedInfo().Config.Name, f, err)
		}
		if start.Time.IsZero() && m.Sequence < start.Seq || !start.Time.IsZero() && m.Time.Before(start.Time) {
			continue // its last match is before the start
		}
		target = max(target, m.Sequence)
	}
	return target, nil
}

// replayOnce runs one ephemeral consumer from start (or after *last). It
// reports done when the stream end was reached, and false without error
// when the consumer must be recreated.
func (b *Bus) replayOnce(ctx context.Context, stream string, filters []string, start ReplayFrom, replicas int, target uint64, last *uint64, fn Handler) (done bool, err error) {
	var suffix [8]byte
	_, _ = rand.Read(suffix[:])
	cfg := jetstream.ConsumerConfig{
		Name:              "replay_" + hex.EncodeToString(suffix[:]),
		Description:       "scamscreen replay (read-only)",
		AckPolicy:         jetstream.AckNonePolicy,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
		InactiveThreshold: time.Minute, // removed by the server if this process dies
		Replicas:          replicas,
	}
	switch {
	case *last > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, *last+1
	case !start.Time.IsZero():
		t := start.Time
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	case start.Seq > 0:
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start.Seq
	}
	switch len(filters) {
	case 0:
	case 1:
		cfg.FilterSubject = filters[0]
	default:
		cfg.FilterSubjects = filters
	}
	var cons jetstream.Consumer
	err = b.retry(ctx, func(ctx context.Context) error {
		var err error
		cons, err = b.js.CreateConsumer(ctx, stream, cfg) // same name and config: idempotent
		return err
	})
	if err != nil {
		return false, fmt.Errorf("replay %s: %w", stream, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = b.js.DeleteConsumer(dctx, stream, cfg.Name) // else InactiveThreshold removes it
	}()
	it, err := cons.Messages(pullOptions(jetstream.DefaultMaxMessages)...)
	if err != nil {
		return false, fmt.Errorf("replay %s: %w", stream, err)
	}
	defer it.Stop()
	var consumerSeq uint64
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return false, ctx.Err()
			case errors.Is(err, jetstream.ErrMsgIteratorClosed):
				if b.nc.IsClosed() {
					return false, fmt.Errorf("replay %s: %w", stream, err)
				}
				return false, nil
			case errors.Is(err, jetstream.ErrNoHeartbeat):
				continue // the iterator pulls again
			default:
				b.log.Warn("replay pull error", zap.String("stream", stream), zap.Error(err))
				continue
			}
		}
		md, err := msg.Metadata()
		if err != nil {
			return false, fmt.Errorf("replay %s: %w", stream, err)
		}
		if md.Sequence.Consumer != consumerSeq+1 {
			return false, nil // a gap: start again after the last message
		}
		consumerSeq = md.Sequence.Consumer
		d := &Delivery{msg: msg, replay: true, meta: Metadata{
			Stream:       md.Stream,
			Consumer:     md.Consumer,
			StreamSeq:    md.Sequence.Stream,
			ConsumerSeq:  md.Sequence.Consumer,
			NumDelivered: md.NumDelivered,
			NumPending:   md.NumPending,
			Timestamp:    md.Timestamp,
		}}
		if err := fn(ctx, d); err != nil {
			return false, err
		}
		*last = md.Sequence.Stream
		if md.Sequence.Stream >= target || md.NumPending == 0 {
			return true, nil
		}
	}
}
