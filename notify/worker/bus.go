package worker

import (
	"context"
	"errors"
	"time"

	"github.com/scamscreen/scamscreen/event"
)

// Bus is what the worker needs from the message bus. *bus.Bus provides the
// two publish methods as they are; Consume and PublishAck take a small
// adapter (package natsbus), because this package must not import
// internal/bus or nats.go.
type Bus interface {
	// PublishAlertJob publishes a delivery job on its
	// event.AlertJobSubject with a.ID as Nats-Msg-Id and waits for the ack.
	PublishAlertJob(ctx context.Context, a *event.Alert) (seq uint64, dup bool, err error)
	// PublishAlert publishes an audit record on event.AlertSubject with
	// an id of alert id, status and attempts.
	PublishAlert(ctx context.Context, a *event.Alert) (seq uint64, dup bool, err error)
	// Consume runs a durable consume loop until ctx is done (then returns
	// nil) and owns acknowledgement: a nil result acks, an
	// errkind.Permanent one dead-letters, any other retries with backoff
	// (or the delay of errkind.Temporary).
	Consume(ctx context.Context, c Consumer, h Handler) error
}

// Consumer describes one of the worker's durable consumers.
type Consumer struct {
	Stream         string
	Durable        string
	FilterSubjects []string
	AckWait        time.Duration
	HandlerTimeout time.Duration
	MaxDeliver     int
	Concurrency    int
}

// Msg is one delivery handed to a [Handler].
type Msg interface {
	Data() []byte
	Subject() string
	// Deliveries is 1 on the first delivery.
	Deliveries() uint64
}

// Handler processes one delivery; see [Bus.Consume] for what its result
// means.
type Handler func(ctx context.Context, m Msg) error

// KV is a key-value bucket with revisions (a JetStream KV bucket).
type KV interface {
	// Get returns the value and revision, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, uint64, error)
	// Create stores a new key, or fails with ErrExists.
	Create(ctx context.Context, key string, value []byte) (uint64, error)
	// Update replaces the value at revision rev, or fails with
	// ErrConflict.
	Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error)
	// Put stores value whatever is there.
	Put(ctx context.Context, key string, value []byte) (uint64, error)
	// Delete removes key; with rev > 0 only at that revision (else
	// ErrConflict). Deleting a missing key is not an error.
	Delete(ctx context.Context, key string, rev uint64) error
	// Keys lists the keys matching filter (NATS wildcards: "e.h.p.*",
	// ">"), an empty list when there are none.
	Keys(ctx context.Context, filter string) ([]string, error)
}

// Errors a [KV] returns.
var (
	ErrNotFound = errors.New("key not found")
	ErrExists   = errors.New("key exists")
	ErrConflict = errors.New("key changed concurrently")
)

// Stores are the worker's three buckets.
type Stores struct {
	// Records holds delivery records, by alert id.
	Records KV
	// State holds grouping and escalation state.
	State KV
	// Timers holds due work (quiet-hours releases, group summaries,
	// escalation steps), keyed so that keys sort by due time.
	Timers KV
}

// BucketSpec describes a bucket for the adapter that creates it (history
// 1, file storage).
type BucketSpec struct {
	Name        string
	TTL         time.Duration
	Description string
}

// Bucket names. Shadow mode adds [ShadowSuffix], so shadow state never
// touches the real one.
const (
	BucketRecords = "scamscreen_notify"
	BucketState   = "scamscreen_notify_state"
	BucketTimers  = "scamscreen_notify_timers"
	ShadowSuffix  = "_shadow"
	// StateTTL bounds how long grouping and escalation state and timers
	// live, whatever happens to them.
	StateTTL = 7 * 24 * time.Hour
)

// Durable consumer names.
const (
	DurableRoute   = "notify"
	DurableDeliver = "notify-deliver"
	DurableAck     = "notify-ack"
)

// Buckets returns the specs of the buckets for records, state and timers,
// in that order.
func Buckets(recordTTL time.Duration, shadow bool) [3]BucketSpec {
	sfx := ""
	if shadow {
		sfx = ShadowSuffix
	}
	return [3]BucketSpec{
		{BucketRecords + sfx, recordTTL, "notify delivery records: one per alert job, written before the job is acknowledged"},
		{BucketState + sfx, StateTTL, "notify grouping and escalation state"},
		{BucketTimers + sfx, StateTTL, "notify timers: quiet-hours releases, group summaries, escalation steps"},
	}
}
