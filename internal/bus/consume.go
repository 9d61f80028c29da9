package bus

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/errkind"
)

// Handler processes one delivery. The consume loop owns acknowledgement;
// a handler never acks. Its result decides what happens:
//
//   - nil: the message is acknowledged. A handler that publishes a result
//     must have it acknowledged by the stream (the Publish methods wait)
//     before returning nil; because results carry message ids derived from
//     the input, a redelivery after a lost ack republishes a duplicate that
//     the stream drops, so plain Ack gives exactly one result per input
//     within the duplicate window.
//   - an [errkind.Permanent] error: the message is copied to DEADLETTER
//     with the error's text and terminated.
//   - any other error: the message is delivered again after a backoff (or
//     the delay given to [errkind.Temporary]); on its last allowed delivery
//     it is dead-lettered instead.
//
// A panic is recovered and dead-lettered. Error texts end up in logs and
// dead-letter headers, so they must carry ids, never message content,
// phone numbers or addresses. ctx carries the per-message deadline
// ([ConsumerSpec.HandlerTimeout]); on shutdown it stays valid for
// [ConsumerSpec.ShutdownGrace] so in-flight work can finish.
type Handler func(ctx context.Context, d *Delivery) error

// Metadata describes one delivery.
type Metadata struct {
	Stream       string
	Consumer     string
	StreamSeq    uint64
	ConsumerSeq  uint64
	NumDelivered uint64 // 1 on the first delivery
	NumPending   uint64 // messages matching the consumer not yet delivered
	Timestamp    time.Time
}

// Delivery is one message handed to a [Handler]. It is valid only during
// the handler call and must not be retained.
type Delivery struct {
	msg  jetstream.Msg
	meta Metadata
	// replay deliveries come from an ordered consumer and have nothing to
	// acknowledge.
	replay bool
}

// Data returns the payload. It must not be modified.
func (d *Delivery) Data() []byte { return d.msg.Data() }

// Subject returns the subject the message was published on.
func (d *Delivery) Subject() string { return d.msg.Subject() }

// Header returns the message headers. They must not be modified.
func (d *Delivery) Header() nats.Header { return d.msg.Headers() }

// Metadata returns the stream position and delivery count.
func (d *Delivery) Metadata() Metadata { return d.meta }

// InProgress tells the server the handler is still working, resetting the
// ack timer. The loop already does this every AckWait/3 while a handler
// runs; call it directly only before a single step that might outlast
// that. It is a no-op during [Bus.Replay].
func (d *Delivery) InProgress() error {
	if d.replay {
		return nil
	}
	return d.msg.InProgress()
}

// DefaultBackoff returns the delays before redelivering a temporarily
// failed message, indexed by the number of deliveries so far (the last
// entry is repeated): 1s, 2s, 5s, 15s, 30s, 1m.
func DefaultBackoff() []time.Duration {
	return []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute}
}

// Consume-loop defaults.
const (
	DefaultAckWait     = 30 * time.Second
	DefaultMaxDeliver  = 8
	DefaultConcurrency = 1
	// MaxRetryAfter caps a delay given to [errkind.Temporary].
	MaxRetryAfter = time.Hour
)

// ConsumerSpec describes a durable consumer and how the loop runs it.
// Zero fields take defaults.
type ConsumerSpec struct {
	// Stream is the stream to consume, e.g. [event.StreamInbound].
	Stream string
	// Durable is the consumer name shared by every replica of the stage,
	// e.g. "screen". Letters, digits, '-' and '_' only.
	Durable string
	// Stage names the stage in dead-letter subjects, logs and observer
	// calls; default Durable.
	Stage string
	// FilterSubjects restricts the consumer; empty means the whole stream.
	FilterSubjects []string
	// AckWait is how long the server waits for an outcome before
	// redelivering; while a handler runs the loop extends it every
	// AckWait/3. Default 30s.
	AckWait time.Duration
	// MaxDeliver is the number of deliveries a message gets. A message
	// that fails on its last one is dead-lettered; one that comes back
	// after it without an outcome (handler overran its deadline, worker
	// crashed) is dead-lettered without calling the handler. Default 8.
	MaxDeliver int
	// MaxAckPending limits unacknowledged messages across all replicas;
	// zero leaves the server default (1000).
	MaxAckPending int
	// Backoff is the redelivery delay after a temporary failure, indexed by
	// delivery count, the last entry repeated. Default [DefaultBackoff].
	Backoff []time.Duration
	// HandlerTimeout is the per-message deadline. It must be shorter than
	// AckWait; default two thirds of AckWait.
	HandlerTimeout time.Duration
	// Concurrency is the number of handler goroutines; messages are not
	// handled in order. Default 1.
	Concurrency int
	// ShutdownGrace is how long in-flight handlers may run after the loop
	// is asked to stop before their context is cancelled; default
	// HandlerTimeout.
	ShutdownGrace time.Duration
}

func (s ConsumerSpec) withDefaults() ConsumerSpec {
	if s.Stage == "" {
		s.Stage = s.Durable
	}
	if s.AckWait == 0 {
		s.AckWait = DefaultAckWait
	}
	if s.MaxDeliver == 0 {
		s.MaxDeliver = DefaultMaxDeliver
	}
	if len(s.Backoff) == 0 {
		s.Backoff = DefaultBackoff()
	}
	if s.HandlerTimeout == 0 {
		s.HandlerTimeout = s.AckWait * 2 / 3
	}
	if s.Concurrency == 0 {
		s.Concurrency = DefaultConcurrency
	}
	if s.ShutdownGrace == 0 {
		s.ShutdownGrace = s.HandlerTimeout
	}
	return s
}

// Validate checks s with defaults applied and returns every problem.
func (s ConsumerSpec) Validate() error {
	s = s.withDefaults()
	var errs []error
	if s.Stream == "" {
		errs = append(errs, errors.New("stream is required"))
	}
	if !event.ValidToken(s.Durable) {
		errs = append(errs, fmt.Errorf("durable %q: use 1-64 characters from A-Z a-z 0-9 _ - (no dots)", s.Durable))
	}
	if !event.ValidToken(s.Stage) {
		errs = append(errs, fmt.Errorf("stage %q: use 1-64 characters from A-Z a-z 0-9 _ -", s.Stage))
	}
	if s.AckWait < time.Millisecond {
		errs = append(errs, fmt.Errorf("ack wait %s is too short", s.AckWait))
	}
	if s.MaxDeliver < 1 {
		errs = append(errs, fmt.Errorf("max deliver %d must be at least 1", s.MaxDeliver))
	}
	if s.MaxAckPending < 0 {
		errs = append(errs, fmt.Errorf("max ack pending %d must not be negative", s.MaxAckPending))
	}
	for i, d := range s.Backoff {
		if d < 0 {
			errs = append(errs, fmt.Errorf("backoff[%d] %s is negative", i, d))
		}
	}
	if s.HandlerTimeout <= 0 || s.HandlerTimeout >= s.AckWait {
		errs = append(errs, fmt.Errorf("handler timeout %s must be positive and shorter than ack wait %s", s.HandlerTimeout, s.AckWait))
	}
	if s.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("concurrency %d must be at least 1", s.Concurrency))
	}
	if s.ShutdownGrace < 0 {
		errs = append(errs, fmt.Errorf("shutdown grace %s must not be negative", s.ShutdownGrace))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("consumer %s: %w", s.Durable, err)
	}
	return nil
}

// backoff is the delay before the next delivery after delivery number n
// failed temporarily.
func (s ConsumerSpec) backoff(n uint64) time.Duration {
	if n == 0 {
		n = 1
	}
	i := min(n-1, uint64(len(s.Backoff)-1))
	return s.Backoff[i]
}

func (s ConsumerSpec) consumerConfig() jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		Durable:       s.Durable,
		Description:   "scamscreen stage " + s.Stage,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.AckWait,
		// The loop counts deliveries and dead-letters on its own, so the
		// server never gives up on a message: a message the loop could not
		// dead-letter (DEADLETTER unreachable) keeps coming back instead of
		// silently stopping. No BackOff either: it would override AckWait;
		// the loop paces retries with NakWithDelay.
		MaxDeliver:    -1,
		MaxAckPending: s.MaxAckPending,
	}
	switch len(s.FilterSubjects) {
	case 0:
	case 1:
		cfg.FilterSubject = s.FilterSubjects[0]
	default:
		cfg.FilterSubjects = s.FilterSubjects
	}
	return cfg
}

// Consume runs a consume loop on the durable consumer described by spec,
// creating or updating it, and calls h for every message with
// spec.Concurrency goroutines. It blocks until ctx is done or the Bus is
// closed, then stops pulling, hands buffered messages back to the server
// at once, lets in-flight handlers finish (up to spec.ShutdownGrace, then
// cancels their context) and returns nil. It returns an error when the
// consumer cannot be created at start or the connection is closed under it.
// Losing the consumer later (a deleted consumer, a cluster failover) makes
// the loop recreate it.
func (b *Bus) Consume(ctx context.Context, spec ConsumerSpec, h Handler) error {
	if h == nil {
		return errors.New("consume: nil handler")
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	spec = spec.withDefaults()
	if err := b.startLoop(); err != nil {
		return err
	}
	defer b.loops.Done()

	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() { // Close stops the loop too; exits when the loop returns
		select {
		case <-b.closing:
			stop()
		case <-stopCtx.Done():
		}
	}()

	// Handlers keep running through a graceful stop; their base context is
	// cancelled only when the grace period is over.
	hbase, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()

	l := &loop{
		b:     b,
		spec:  spec,
		h:     h,
		log:   b.log.With(zap.String("stage", spec.Stage), zap.String("stream", spec.Stream), zap.String("consumer", spec.Durable)),
		obs:   b.opts.observer,
		hbase: hbase,
		stop:  stopCtx,
	}
	work := make(chan received)
	var wg sync.WaitGroup
	for range spec.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				l.handle(r)
			}
		}()
	}

	err := l.pull(stopCtx, work)
	close(work)

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	grace := time.NewTimer(spec.ShutdownGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		l.log.Warn("shutdown grace over, cancelling handlers", zap.Duration("grace", spec.ShutdownGrace))
		cancelHandlers()
		<-done
	}
	return err
}

// Pull settings. A small client buffer keeps messages waiting in the
// server rather than here, so a slow handler does not see buffered messages
// time out. A short idle heartbeat makes a lost pull request (its server
// killed, or nats.go v1.55.0 skipping a re-pull when the previous request
// is answered before its sender has marked it done) show up as a missed
// heartbeat within 2 s, after which the iterator pulls again; with the
// default heartbeat that stall lasts 30 s.
const (
	pullExpiry    = 10 * time.Second
	pullHeartbeat = time.Second
)

func pullOptions(buffer int) []jetstream.PullMessagesOpt {
	return []jetstream.PullMessagesOpt{
		jetstream.PullMaxMessages(buffer),
		jetstream.PullExpiry(pullExpiry),
		jetstream.PullHeartbeat(pullHeartbeat),
	}
}

// received is a message with the time the puller took it from the
// iterator.
type received struct {
	msg jetstream.Msg
	at  time.Time
}

type loop struct {
	b     *Bus
	spec  ConsumerSpec
	h     Handler
	log   *zap.Logger
	obs   Observer
	hbase context.Context // handlers' base context; cancelled after the grace
	stop  context.Context // done when the loop should stop pulling
}

// pull feeds work until ctx is done. It returns nil on a requested stop.
func (l *loop) pull(ctx context.Context, work chan<- received) error {
	for attempt := 0; ; attempt++ {
		cons, err := l.b.js.CreateOrUpdateConsumer(ctx, l.spec.Stream, l.spec.consumerConfig())
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// A rejection (no such stream, an invalid configuration) will
			// not go away; a timeout or a missing leader will.
			var apiErr *jetstream.APIError
			if attempt == 0 && errors.As(err, &apiErr) && apiErr.Code != 503 {
				return fmt.Errorf("consumer %s on %s: %w", l.spec.Durable, l.spec.Stream, err)
			}
			l.log.Warn("consumer unavailable, retrying", zap.Error(err))
			if sleep(ctx, l.spec.backoff(uint64(min(attempt, 3)))) != nil {
				return nil
			}
			continue
		}
		it, err := cons.Messages(pullOptions(l.spec.Concurrency)...)
		if err != nil {
			return fmt.Errorf("consumer %s messages: %w", l.spec.Durable, err)
		}
		if attempt > 0 {
			l.log.Info("consumer ready after retrying", zap.Int("attempts", attempt+1))
		}
		stopDrain := context.AfterFunc(ctx, it.Drain)
		err = l.iterate(ctx, it, work)
		stopDrain()
		it.Stop()
		if err != nil || ctx.Err() != nil {
			return err
		}
		if sleep(ctx, l.spec.backoff(1)) != nil {
			return nil
		}
	}
}

// iterate reads it until it closes. After a stop has been requested,
// messages still buffered are handed back without delay.
func (l *loop) iterate(ctx context.Context, it jetstream.MessagesContext, work chan<- received) error {
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				if ctx.Err() != nil {
					return nil
				}
				if l.b.nc.IsClosed() {
					return fmt.Errorf("consumer %s: %w", l.spec.Durable, nats.ErrConnectionClosed)
				}
				l.log.Warn("consumer iterator closed, recreating")
				return nil
			}
			switch {
			case ctx.Err() != nil:
			case errors.Is(err, jetstream.ErrNoHeartbeat):
				l.log.Debug("consumer heartbeat missed, pulling again")
			default:
				l.log.Warn("consumer pull error", zap.Error(err))
			}
			continue
		}
		if ctx.Err() != nil {
			l.release(msg)
			continue
		}
		select {
		case work <- received{msg: msg, at: time.Now()}:
		case <-ctx.Done():
			l.release(msg)
		}
	}
}

// release hands an unprocessed message back for immediate redelivery.
func (l *loop) release(msg jetstream.Msg) {
	start := time.Now()
	if err := msg.Nak(); err != nil {
		l.log.Debug("release message", zap.Error(err))
	}
	l.obs.Handled(l.spec.Stage, OutcomeReleased, time.Since(start))
}

func (l *loop) handle(r received) {
	start := r.at
	md, err := r.msg.Metadata()
	if err != nil {
		// Only a message that did not come from JetStream lacks metadata.
		l.log.Error("delivery without metadata, retrying later", zap.String("subject", r.msg.Subject()), zap.Error(err))
		_ = r.msg.NakWithDelay(l.spec.backoff(uint64(len(l.spec.Backoff))))
		l.obs.Handled(l.spec.Stage, OutcomeRetry, time.Since(start))
		return
	}
	d := &Delivery{msg: r.msg, meta: Metadata{
		Stream:       md.Stream,
		Consumer:     md.Consumer,
		StreamSeq:    md.Sequence.Stream,
		ConsumerSeq:  md.Sequence.Consumer,
		NumDelivered: md.NumDelivered,
		NumPending:   md.NumPending,
		Timestamp:    md.Timestamp,
	}}
	l.obs.Lag(l.spec.Stage, md.NumPending)
	if time.Since(r.at) > l.spec.AckWait/3 {
		_ = r.msg.InProgress() // waited for a free handler
	}

	if md.NumDelivered > uint64(l.spec.MaxDeliver) {
		l.deadLetter(d, CategoryMaxDeliveries,
			fmt.Sprintf("delivered %d times, the last ones without an outcome (handler overran its deadline or the worker stopped)", md.NumDelivered-1),
			nil, start)
		return
	}

	hctx, cancel := context.WithTimeout(l.hbase, l.spec.HandlerTimeout)
	stopBeat := heartbeat(hctx, r.msg, l.spec.AckWait/3)
	err, panicked := l.call(hctx, d)
	stopBeat()
	cancel()
	l.settle(d, err, panicked, start)
}

// heartbeat calls InProgress every interval until stopped or ctx is done.
// It stops at the handler's deadline so that a handler that overruns it
// lets the message go to another worker.
func heartbeat(ctx context.Context, msg jetstream.Msg, interval time.Duration) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = msg.InProgress()
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { close(done); <-exited }
}

// panicError is what a recovered handler panic becomes. Its text names the
// panic only when it is a runtime error (an index out of range, a nil
// dereference), whose text cannot contain message content.
type panicError struct {
	text  string
	stack []byte
}

func (e *panicError) Error() string { return e.text }

func (l *loop) call(ctx context.Context, d *Delivery) (err error, panicked bool) {
	defer func() {
		if r := recover(); r != nil {
			text := fmt.Sprintf("handler panic (a %T)", r)
			if re, ok := r.(runtime.Error); ok {
				text = "handler panic: " + re.Error()
			}
			err, panicked = errkind.Permanent(&panicError{text: text, stack: debug.Stack()}), true
		}
	}()
	return l.h(ctx, d), false
}

// settle applies the outcome of one handler call. It is the only place
// that acknowledges.
func (l *loop) settle(d *Delivery, err error, panicked bool, start time.Time) {
	kind := errkind.Classify(err)
	switch {
	case kind == errkind.KindNone:
		if aerr := d.msg.Ack(); aerr != nil {
			l.fieldsLog(d).Warn("ack failed; the message will be redelivered", zap.Error(aerr))
		}
		l.obs.Handled(l.spec.Stage, OutcomeAck, time.Since(start))
	case panicked:
		var pe *panicError
		errors.As(err, &pe)
		l.deadLetter(d, CategoryPanic, err.Error(), err, start, zap.ByteString("stack", pe.stack))
	case kind == errkind.KindPermanent:
		l.deadLetter(d, CategoryPermanent, err.Error(), err, start)
	case kind == errkind.KindCanceled && l.hbase.Err() != nil:
		// Shutdown cut the handler short: another replica takes it now.
		l.fieldsLog(d).Info("handler cancelled by shutdown, message released", zap.Error(err))
		if nerr := d.msg.Nak(); nerr != nil {
			l.fieldsLog(d).Debug("release message", zap.Error(nerr))
		}
		l.obs.Handled(l.spec.Stage, OutcomeReleased, time.Since(start))
	case d.meta.NumDelivered >= uint64(l.spec.MaxDeliver):
		l.deadLetter(d, CategoryMaxDeliveries,
			fmt.Sprintf("failed on delivery %d of %d: %s", d.meta.NumDelivered, l.spec.MaxDeliver, err.Error()), err, start)
	default:
		delay := l.spec.backoff(d.meta.NumDelivered)
		if ra, ok := errkind.RetryAfter(err); ok {
			delay = min(ra, MaxRetryAfter)
		}
		l.fieldsLog(d).Warn("handler failed, will retry", zap.Duration("retry_in", delay), zap.Stringer("kind", kind), zap.Error(err))
		if nerr := d.msg.NakWithDelay(delay); nerr != nil {
			l.fieldsLog(d).Warn("nak failed; the message will be redelivered after ack wait", zap.Error(nerr))
		}
		l.obs.Handled(l.spec.Stage, OutcomeRetry, time.Since(start))
	}
}

func (l *loop) fieldsLog(d *Delivery) *zap.Logger {
	return l.log.With(
		zap.Uint64("stream_seq", d.meta.StreamSeq),
		zap.Uint64("deliveries", d.meta.NumDelivered),
		zap.String("subject", d.Subject()))
}

// Dead-letter headers. The payload of a dead letter is the original
// payload, byte for byte; the original's own headers are kept except the
// Nats-* ones, which belong to the original stream. A copy that would not
// fit the server's max_payload is stored without the payload (see
// HeaderDeadPayloadOmitted).
const (
	HeaderDeadStage    = "Scamscreen-Dead-Stage"
	HeaderDeadCategory = "Scamscreen-Dead-Category" // one of the Category constants
	HeaderDeadReason   = "Scamscreen-Dead-Reason"   // the error's text, at most MaxReasonLen bytes
	HeaderDeadAt       = "Scamscreen-Dead-At"       // RFC 3339, UTC
	HeaderOrigSubject  = "Scamscreen-Orig-Subject"
	HeaderOrigStream   = "Scamscreen-Orig-Stream"
	HeaderOrigSeq      = "Scamscreen-Orig-Seq"
	HeaderOrigMsgID    = "Scamscreen-Orig-Msg-Id"
	HeaderDeliveries   = "Scamscreen-Deliveries"
	// HeaderDeadPayloadOmitted is set, to the original payload's size in
	// bytes, on a dead letter stored without the payload because the copy
	// would exceed the server's max_payload. The original stays in its
	// stream (limits retention) at HeaderOrigStream and HeaderOrigSeq.
	HeaderDeadPayloadOmitted = "Scamscreen-Dead-Payload-Omitted"
)

// MaxReasonLen bounds the reason text in dead-letter headers and
// termination advisories.
const MaxReasonLen = 512

// DeadLetterID is the message id of the dead letter for a stream sequence
// taken out by stage, so that dead-lettering the same message twice (a
// lost Term) stores one copy.
func DeadLetterID(stream string, seq uint64, stage string) string {
	return "dead." + stream + "." + strconv.FormatUint(seq, 10) + "." + stage
}

// deadLetter copies d to DEADLETTER and then terminates it, keeping the
// message in progress meanwhile. A copy that fails is retried in place
// until it is stored; only a stop hands the message back, never
// terminated without its copy.
func (l *loop) deadLetter(d *Delivery, category, reason string, cause error, start time.Time, fields ...zap.Field) {
	reason = cleanReason(reason)
	household, person, _ := event.SubjectTokens(d.Subject())
	subject, err := event.DeadSubject(l.spec.Stage, household, person)
	if err != nil {
		subject, _ = event.DeadSubject(l.spec.Stage, "", "") // foreign subject tokens
	}
	// own holds the headers the bus adds; a dead letter carries them
	// whatever else has to be left out.
	own := make(nats.Header, 10)
	if id := d.Header().Get(jetstream.MsgIDHeader); id != "" {
		own.Set(HeaderOrigMsgID, id)
	}
	own.Set(HeaderDeadStage, l.spec.Stage)
	own.Set(HeaderDeadCategory, category)
	own.Set(HeaderDeadReason, reason)
	own.Set(HeaderDeadAt, time.Now().UTC().Format(time.RFC3339Nano))
	own.Set(HeaderOrigSubject, d.Subject())
	own.Set(HeaderOrigStream, d.meta.Stream)
	own.Set(HeaderOrigSeq, strconv.FormatUint(d.meta.StreamSeq, 10))
	own.Set(HeaderDeliveries, strconv.FormatUint(d.meta.NumDelivered, 10))

	log := l.fieldsLog(d).With(zap.String("category", category)).With(fields...)
	msgID := DeadLetterID(d.meta.Stream, d.meta.StreamSeq, l.spec.Stage)
	// The handler's heartbeat has stopped; keep the message ours while the
	// copy is stored, which can take several request timeouts.
	stopBeat := heartbeat(l.hbase, d.msg, l.spec.AckWait/3)
	if !l.retryDeadLetter(d, subject, msgID, own, reason, log) {
		stopBeat()
		// Only a stop gets here. The copy is not stored: the message is
		// never terminated without it, so it goes back for a later try.
		delay := l.spec.backoff(d.meta.NumDelivered)
		if nerr := d.msg.NakWithDelay(delay); nerr != nil {
			log.Warn("nak failed; the message will be redelivered after ack wait", zap.Error(nerr))
		}
		l.obs.Handled(l.spec.Stage, OutcomeReleased, time.Since(start))
		return
	}
	stopBeat()
	if cause == nil {
		log.Error("message dead-lettered", zap.String("reason", reason))
	} else {
		log.Error("message dead-lettered", zap.Error(cause))
	}
	if err := d.msg.TermWithReason(truncate(category+": "+reason, MaxReasonLen)); err != nil {
		log.Warn("term failed; the redelivery will be dead-lettered again and deduplicated", zap.Error(err))
	}
	l.obs.DeadLettered(l.spec.Stage, category)
	l.obs.Handled(l.spec.Stage, OutcomeDeadLetter, time.Since(start))
}

// Pauses between dead-letter copy attempts: the spec's backoff by attempt,
// at least minDeadLetterPause so a copy failing at once cannot spin.
const minDeadLetterPause = 100 * time.Millisecond

// retryDeadLetter stores the dead letter of d, retrying a failed copy
// (DEADLETTER without a leader, a timeout) with backoff until it is
// stored, so the reason of this delivery is kept: a nak would bring the
// message back past its last delivery, dead-lettered without its reason.
// The first attempt always runs and is not cut short by a stop; it
// returns false, without the copy stored, when the loop is stopping or
// the connection is closed.
func (l *loop) retryDeadLetter(d *Delivery, subject, msgID string, own nats.Header, reason string, log *zap.Logger) bool {
	for attempt := 1; ; attempt++ {
		// The copy has its own deadline, independent of shutdown.
		pctx, cancel := context.WithTimeout(context.WithoutCancel(l.stop), l.b.cfg.RequestTimeout*time.Duration(max(l.b.cfg.RequestAttempts, 1)))
		err := l.storeDeadLetter(pctx, d, subject, msgID, own, log)
		cancel()
		if err == nil {
			return true
		}
		stopping := l.stop.Err() != nil || l.hbase.Err() != nil || l.b.nc.IsClosed()
		if stopping {
			log.Error("dead letter not stored, releasing the message", zap.String("reason", reason), zap.Int("attempt", attempt), zap.Error(err))
			return false
		}
		pause := max(l.spec.backoff(uint64(attempt)), minDeadLetterPause)
		log.Error("dead letter not stored, retrying", zap.String("reason", reason), zap.Int("attempt", attempt), zap.Duration("retry_in", pause), zap.Error(err))
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-l.stop.Done():
		case <-l.hbase.Done():
		}
		t.Stop()
		if l.stop.Err() != nil || l.hbase.Err() != nil {
			log.Warn("stopping: dead letter not stored, releasing the message", zap.Int("attempts", attempt))
			return false
		}
	}
}

// storeDeadLetter publishes the dead letter of d: the payload with the
// original's headers (except Nats-*) and own. A copy the server refuses
// for good (max_payload: the headers made a message near the limit too
// big) is stored without the payload, which stays in the original's stream
// under limits retention, with HeaderDeadPayloadOmitted; if even that is
// refused (the original's headers are the bulk), with own headers only.
func (l *loop) storeDeadLetter(ctx context.Context, d *Delivery, subject, msgID string, own nats.Header, log *zap.Logger) error {
	hdr := make(nats.Header, len(d.Header())+len(own))
	for k, v := range d.Header() {
		if !strings.HasPrefix(k, "Nats-") {
			hdr[k] = append([]string(nil), v...)
		}
	}
	for k, v := range own {
		hdr[k] = v
	}
	_, _, err := l.b.publish(ctx, subject, msgID, d.Data(), hdr)
	if err == nil || !errkind.IsPermanent(err) {
		return err
	}
	log.Warn("dead letter refused with its payload, storing a reference to the original instead",
		zap.Int("payload_bytes", len(d.Data())), zap.Error(err))
	size := strconv.Itoa(len(d.Data()))
	hdr.Set(HeaderDeadPayloadOmitted, size)
	_, _, err = l.b.publish(ctx, subject, msgID, nil, hdr)
	if err == nil || !errkind.IsPermanent(err) {
		return err
	}
	log.Warn("dead letter refused with the original's headers, storing the dead-letter headers only", zap.Error(err))
	minimal := cloneHeader(own, 1)
	minimal.Set(HeaderDeadPayloadOmitted, size)
	_, _, err = l.b.publish(ctx, subject, msgID, nil, minimal)
	return err
}

// cleanReason makes s fit a header value: one line, valid UTF-8, at most
// MaxReasonLen bytes.
func cleanReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if s == "" {
		s = "no reason given"
	}
	return truncate(s, MaxReasonLen)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
