package bus

import "time"

// Outcome is what the consume loop did with one delivery. Values are
// bounded and safe as metric labels.
type Outcome string

// Outcomes.
const (
	// OutcomeAck: the handler succeeded and the message was acknowledged.
	OutcomeAck Outcome = "ack"
	// OutcomeRetry: a temporary failure; the message was negatively
	// acknowledged with a delay and will be delivered again.
	OutcomeRetry Outcome = "retry"
	// OutcomeDeadLetter: the message was copied to DEADLETTER and
	// terminated.
	OutcomeDeadLetter Outcome = "dead_letter"
	// OutcomeReleased: the loop was shutting down; the message was handed
	// back without delay for another replica.
	OutcomeReleased Outcome = "released"
)

// Dead-letter categories, in the DeadCategory header and passed to
// [Observer.DeadLettered]. Bounded and safe as metric labels.
const (
	// CategoryPermanent: the handler returned an [errkind.Permanent] error.
	CategoryPermanent = "permanent"
	// CategoryMaxDeliveries: the message failed on its last allowed
	// delivery, or came back after it with no outcome (a handler that
	// overran its deadline, or a worker that crashed on it).
	CategoryMaxDeliveries = "max_deliveries"
	// CategoryPanic: the handler panicked.
	CategoryPanic = "panic"
)

// Observer receives what the consume loop does, so metrics (internal/obs)
// can count it without this package importing a metrics library. Methods
// are called from the loop's goroutines, concurrently, and must not block.
// The stage is [ConsumerSpec.Stage].
type Observer interface {
	// Handled is called once per delivery with its outcome and the time
	// from receiving the delivery to applying the outcome.
	Handled(stage string, outcome Outcome, d time.Duration)
	// DeadLettered is called once per message copied to DEADLETTER, with
	// its category (one of the Category constants).
	DeadLettered(stage string, category string)
	// Lag reports the number of messages matching the consumer that it has
	// not delivered yet, as of the last delivery.
	Lag(stage string, pending uint64)
}

// NopObserver ignores everything; it is the default [Observer].
type NopObserver struct{}

var _ Observer = NopObserver{}

// Handled does nothing.
func (NopObserver) Handled(string, Outcome, time.Duration) {}

// DeadLettered does nothing.
func (NopObserver) DeadLettered(string, string) {}

// Lag does nothing.
func (NopObserver) Lag(string, uint64) {}

// Option configures a [Bus] with what does not belong in the configuration
// file.
type Option func(*options)

type options struct {
	observer Observer
}

// WithObserver makes the consume loops report to o.
func WithObserver(o Observer) Option {
	return func(opts *options) {
		if o != nil {
			opts.observer = o
		}
	}
}
