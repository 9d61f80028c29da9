package bus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/errkind"
)

// Headers the bus sets on payloads it encodes, so tools can tell what a
// message is without decoding it.
const (
	// HeaderType is "message", "verdict", "alert" or "alert_job".
	HeaderType = "Scamscreen-Type"
	// HeaderVersion is the payload's schema version ([event.Version]).
	HeaderVersion = "Scamscreen-V"
)

// ErrNoMsgID reports a publish without a message id: every publish is
// deduplicated by its id, so there is no publish without one.
var ErrNoMsgID = errors.New("message id is empty")

// Publish publishes data on subject with Nats-Msg-Id set to msgID and waits
// for the stream's acknowledgement. It returns the stream sequence and
// whether the stream dropped the message as a duplicate of an earlier one
// with the same id (then seq is that earlier message's sequence).
//
// An attempt that times out, or finds no stream leader (a cluster
// election), is sent again with the same id up to RequestAttempts times,
// which JetStream deduplicates, so a retry never stores a message twice.
// Errors that retrying cannot fix (no id, payload over the server's
// max_payload) are [errkind.Permanent]. hdr is not modified.
func (b *Bus) Publish(ctx context.Context, subject, msgID string, data []byte, hdr nats.Header) (seq uint64, dup bool, err error) {
	if msgID == "" {
		return 0, false, errkind.Permanent(fmt.Errorf("publish on %s: %w", subject, ErrNoMsgID))
	}
	return b.publish(ctx, subject, msgID, data, cloneHeader(hdr, 1))
}

// publish is Publish for a header the bus owns; the header gains
// Nats-Msg-Id.
func (b *Bus) publish(ctx context.Context, subject, msgID string, data []byte, hdr nats.Header) (seq uint64, dup bool, err error) {
	m := &nats.Msg{Subject: subject, Data: data, Header: hdr}
	ack, err := b.publishMsg(ctx, m, msgID)
	if err != nil {
		return 0, false, fmt.Errorf("publish %s: %w", msgID, err)
	}
	return ack.Sequence, ack.Duplicate, nil
}

func (b *Bus) publishMsg(ctx context.Context, m *nats.Msg, msgID string) (*jetstream.PubAck, error) {
	var ack *jetstream.PubAck
	err := b.retry(ctx, func(ctx context.Context) error {
		var err error
		ack, err = b.js.PublishMsg(ctx, m, jetstream.WithMsgID(msgID))
		if errors.Is(err, nats.ErrMaxPayload) {
			return errkind.Permanent(fmt.Errorf("%d bytes: %w", len(m.Data), err))
		}
		return err
	})
	return ack, err
}

// retry runs f with a deadline of RequestTimeout per attempt, up to
// RequestAttempts times while it fails in a way that may mean a lost
// request or a missing leader (see retryable), and returns its last
// error. Only idempotent operations may be retried: publishes carry a
// message id, creates fall back to binding what exists.
func (b *Bus) retry(ctx context.Context, f func(ctx context.Context) error) error {
	return b.retryFor(ctx, b.cfg.RequestTimeout, f)
}

// retryFor is retry with a deadline of timeout per attempt.
func (b *Bus) retryFor(ctx context.Context, timeout time.Duration, f func(ctx context.Context) error) error {
	attempts := max(b.cfg.RequestAttempts, 1)
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, timeout)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (after %d attempts: %w)", ctx.Err(), attempt, err)
		}
		if !retryable(err) || attempt >= attempts {
			return err
		}
		if reconnecting(err) {
			// Nothing was sent (the client keeps no reconnect buffer):
			// wait for the connection, as a buffered publish would
			// have, so that a node failing over costs a pause, not an
			// error.
			if err := b.awaitConnected(ctx, b.cfg.RequestTimeout); err != nil {
				return err
			}
			continue
		}
		if err := sleep(ctx, time.Duration(attempt)*100*time.Millisecond); err != nil {
			return err
		}
	}
}

func reconnecting(err error) bool {
	return errors.Is(err, nats.ErrConnectionReconnecting) || errors.Is(err, nats.ErrReconnectBufExceeded)
}

// awaitConnected waits up to d for the connection to be up again, or for
// ctx; the retry that follows reports a connection still down.
func (b *Bus) awaitConnected(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !b.nc.IsConnected() && time.Now().Before(deadline) {
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// retryable reports whether a publish or API error may be a lost request
// or reply rather than a rejection: a timeout, no responders (no stream
// leader during an election), the server saying JetStream is unavailable,
// or the connection reconnecting (the client buffers nothing meanwhile, so
// the request was not sent).
func retryable(err error) bool {
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, os.ErrDeadlineExceeded), // an object read's pipe deadline
		errors.Is(err, nats.ErrTimeout),
		errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrNoStreamResponse),
		errors.Is(err, jetstream.ErrAsyncPublishTimeout),
		errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrReconnectBufExceeded):
		return true
	case errors.As(err, &apiErr):
		return apiErr.Code == 503
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func cloneHeader(h nats.Header, extra int) nats.Header {
	out := make(nats.Header, len(h)+extra)
	for k, v := range h {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func typedHeader(kind string) nats.Header {
	h := make(nats.Header, 3) // and Nats-Msg-Id
	h[HeaderType] = []string{kind}
	h[HeaderVersion] = []string{strconv.Itoa(event.Version)}
	return h
}

// PublishMessage publishes msg to INBOUND on its
// [event.InboundSubject] with msg.ID as message id and waits for the ack.
//
// Before encoding it validates msg, sets IngestedAt to now when it is zero,
// and moves a raw original larger than RawInlineLimit into the object store
// ([RawBucket], object named by msg.ID): Raw.Object is set, Raw.Inline
// cleared, Raw.Size and Raw.SHA256 (hex) filled when empty. Storing the
// object is idempotent; if an object of that name holds different bytes,
// this one is stored beside it under msg.ID plus a digest suffix, so no
// original is ever overwritten. msg itself is not modified.
func (b *Bus) PublishMessage(ctx context.Context, msg *event.Message) (seq uint64, dup bool, err error) {
	if msg == nil {
		return 0, false, errkind.Permanent(errors.New("publish message: nil"))
	}
	if err := msg.Validate(); err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("publish: %w", err))
	}
	subject, err := event.InboundSubject(msg.Channel, msg.Household, msg.Person)
	if err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("publish message %s: %w", msg.ID, err))
	}
	m := *msg
	if m.IngestedAt.IsZero() {
		m.IngestedAt = time.Now().UTC()
	}
	if msg.Raw != nil {
		raw := *msg.Raw
		m.Raw = &raw
		if raw.Object == "" && len(raw.Inline) > b.cfg.RawInlineLimit {
			if err := b.storeRaw(ctx, m.ID, m.Raw); err != nil {
				return 0, false, fmt.Errorf("publish message %s: %w", m.ID, err)
			}
		}
	}
	data, err := event.Encode(&m)
	if err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("encode message %s: %w", m.ID, err))
	}
	return b.publish(ctx, subject, m.ID, data, typedHeader("message"))
}

// storeRaw moves r.Inline into the object store under name id.
func (b *Bus) storeRaw(ctx context.Context, id string, r *event.Raw) error {
	sum := sha256.Sum256(r.Inline)
	if r.SHA256 == "" {
		r.SHA256 = hex.EncodeToString(sum[:])
	}
	if r.Size == 0 {
		r.Size = int64(len(r.Inline))
	}
	store, err := b.ObjectStore(ctx)
	if err != nil {
		return err
	}
	name := id
	for range 2 {
		var info *jetstream.ObjectInfo
		err := b.retry(ctx, func(ctx context.Context) error {
			var err error
			info, err = store.GetInfo(ctx, name)
			return err
		})
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("raw object %s: %w", name, err)
		}
		if d, derr := jetstream.DecodeObjectDigest(info.Digest); derr == nil && bytes.Equal(d, sum[:]) && info.Size == uint64(len(r.Inline)) {
			r.Object, r.Inline = name, nil // already stored by an earlier attempt
			return nil
		}
		name = id + "." + hex.EncodeToString(sum[:8])
	}
	if err := b.retry(ctx, func(ctx context.Context) error {
		_, err := store.PutBytes(ctx, name, r.Inline)
		return err
	}); err != nil {
		return fmt.Errorf("store raw object %s: %w", name, err)
	}
	r.Object, r.Inline = name, nil
	return nil
}

// FetchRaw returns the original bytes of raw, byte for byte, whether they
// travel inline (the same slice is returned) or live in the object store
// (the store checks its SHA-256 digest while reading).
func (b *Bus) FetchRaw(ctx context.Context, raw *event.Raw) ([]byte, error) {
	if raw == nil {
		return nil, errors.New("fetch raw: message has no raw original")
	}
	if raw.Object == "" {
		return raw.Inline, nil
	}
	store, err := b.ObjectStore(ctx)
	if err != nil {
		return nil, err
	}
	// An attempt's deadline grows with the object (at least 1 MiB/s):
	// the object store reads a 25 MB mail through a pipe whose deadline is
	// the context's, and RequestTimeout alone is too short for it on a
	// loaded machine.
	timeout := b.cfg.RequestTimeout + time.Duration(raw.Size>>20)*time.Second
	var data []byte
	err = b.retryFor(ctx, timeout, func(ctx context.Context) error {
		var err error
		data, err = store.GetBytes(ctx, raw.Object)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("fetch raw object %s: %w", raw.Object, err)
	}
	if raw.Size > 0 && int64(len(data)) != raw.Size {
		return nil, fmt.Errorf("fetch raw object %s: %d bytes, message says %d", raw.Object, len(data), raw.Size)
	}
	return data, nil
}

// PublishVerdict publishes v to VERDICTS on its [event.VerdictSubject]
// with v.ID as message id, so re-screening with the same rules is dropped
// as a duplicate.
func (b *Bus) PublishVerdict(ctx context.Context, v *event.Verdict) (seq uint64, dup bool, err error) {
	if v == nil || v.ID == "" || v.MessageID == "" {
		return 0, false, errkind.Permanent(errors.New("publish verdict: id and message_id are required"))
	}
	subject, err := event.VerdictSubject(v.Household, v.Person)
	if err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("publish verdict %s: %w", v.ID, err))
	}
	data, err := event.Encode(v)
	if err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("encode verdict %s: %w", v.ID, err))
	}
	return b.publish(ctx, subject, v.ID, data, typedHeader("verdict"))
}

// PublishAlertJob publishes a delivery job to ALERTS on its
// [event.AlertJobSubject] (by a.Channel) with a.ID as message id: one job
// per verdict, recipient, channel and step, however often it is produced.
func (b *Bus) PublishAlertJob(ctx context.Context, a *event.Alert) (seq uint64, dup bool, err error) {
	if a == nil || a.ID == "" {
		return 0, false, errkind.Permanent(errors.New("publish alert job: id is required"))
	}
	subject, err := event.AlertJobSubject(a.Household, a.Person, a.Channel)
	if err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("publish alert job %s: %w", a.ID, err))
	}
	data, err := event.Encode(a)
	if err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("encode alert %s: %w", a.ID, err))
	}
	return b.publish(ctx, subject, a.ID, data, typedHeader("alert_job"))
}

// PublishAlert publishes an audit record of a to ALERTS on its
// [event.AlertSubject], with [AlertRecordID] as message id: each status
// change is recorded once, however often a redelivered job reports it.
func (b *Bus) PublishAlert(ctx context.Context, a *event.Alert) (seq uint64, dup bool, err error) {
	if a == nil || a.ID == "" || a.Status == "" {
		return 0, false, errkind.Permanent(errors.New("publish alert: id and status are required"))
	}
	subject, err := event.AlertSubject(a.Household, a.Person)
	if err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("publish alert %s: %w", a.ID, err))
	}
	data, err := event.Encode(a)
	if err != nil {
		return 0, false, errkind.Permanent(fmt.Errorf("encode alert %s: %w", a.ID, err))
	}
	return b.publish(ctx, subject, AlertRecordID(a), data, typedHeader("alert"))
}

// AlertRecordID is the message id of an alert's audit record: the alert id,
// its status and its attempt count.
func AlertRecordID(a *event.Alert) string {
	return a.ID + "." + string(a.Status) + "." + strconv.Itoa(a.Attempts)
}

// Outgoing is one message for [Bus.PublishAll].
type Outgoing struct {
	Subject string
	MsgID   string
	Data    []byte
	Header  nats.Header
}

// BatchResult counts what [Bus.PublishAll] did.
type BatchResult struct {
	// Published counts messages acknowledged by the stream, duplicates
	// included.
	Published int
	// Duplicates counts messages the stream dropped as duplicates.
	Duplicates int
	// Retried counts messages whose asynchronous publish failed and that
	// were published again synchronously with the same id.
	Retried int
}

// DefaultWindow is the number of unacknowledged publishes [Bus.PublishAll]
// keeps in flight when given a window of zero or less.
const DefaultWindow = 256

// PublishAll publishes every message of msgs asynchronously, with at most
// window of them awaiting their acknowledgement at a time, and returns when
// all are acknowledged. A publish whose ack fails or times out is sent
// again synchronously with the same message id (deduplicated by the
// stream). It is meant for load generators and bulk re-drives, where it is
// several times faster than [Bus.Publish] in a loop. It stops at the first
// error that retrying did not fix, or when ctx is done; messages already
// sent stay published.
func (b *Bus) PublishAll(ctx context.Context, msgs iter.Seq[Outgoing], window int) (BatchResult, error) {
	if window <= 0 {
		window = DefaultWindow
	}
	type pending struct {
		out Outgoing
		fut jetstream.PubAckFuture
	}
	var res BatchResult
	settle := func(p pending) error {
		select {
		case ack := <-p.fut.Ok():
			res.Published++
			if ack.Duplicate {
				res.Duplicates++
			}
			return nil
		case err := <-p.fut.Err():
			if !retryable(err) {
				return fmt.Errorf("publish %s: %w", p.out.MsgID, err)
			}
			_, dup, err := b.Publish(ctx, p.out.Subject, p.out.MsgID, p.out.Data, p.out.Header)
			if err != nil {
				return err
			}
			res.Published++
			res.Retried++
			if dup {
				res.Duplicates++
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// ring holds the publishes awaiting their ack, oldest at head.
	ring := make([]pending, window)
	head, n := 0, 0
	for out := range msgs {
		if out.MsgID == "" {
			return res, errkind.Permanent(fmt.Errorf("publish on %s: %w", out.Subject, ErrNoMsgID))
		}
		if n == window {
			if err := settle(ring[head]); err != nil {
				return res, err
			}
			ring[head] = pending{}
			head, n = (head+1)%window, n-1
		}
		m := &nats.Msg{Subject: out.Subject, Data: out.Data, Header: cloneHeader(out.Header, 1)}
		fut, err := b.js.PublishMsgAsync(m, jetstream.WithMsgID(out.MsgID))
		if err != nil {
			if !retryable(err) { // a reconnect is retried synchronously
				return res, fmt.Errorf("publish %s: %w", out.MsgID, err)
			}
			_, dup, err := b.Publish(ctx, out.Subject, out.MsgID, out.Data, out.Header)
			if err != nil {
				return res, err
			}
			res.Published++
			res.Retried++
			if dup {
				res.Duplicates++
			}
			continue
		}
		ring[(head+n)%window] = pending{out: out, fut: fut}
		n++
	}
	for ; n > 0; n-- {
		if err := settle(ring[head]); err != nil {
			return res, err
		}
		head = (head + 1) % window
	}
	return res, nil
}
