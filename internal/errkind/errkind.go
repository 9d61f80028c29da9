package errkind

import (
	"context"
	"errors"
	"time"
)

// Kind is how a failure should be handled.
type Kind int

// Kinds, in the order [Classify] decides them.
const (
	// KindNone is the kind of a nil error.
	KindNone Kind = iota
	// KindTemporary means retrying later may succeed. Unclassified errors
	// are temporary.
	KindTemporary
	// KindPermanent means retrying cannot succeed.
	KindPermanent
	// KindCanceled means the work was abandoned because its context was
	// cancelled; the failure says nothing about the work itself.
	KindCanceled
)

var kindNames = [...]string{"none", "temporary", "permanent", "canceled"}

// String returns the lower-case name of k, used as an error category in
// logs, metrics and dead-letter headers.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "unknown"
	}
	return kindNames[k]
}

// classified is implemented by the wrappers of this package so that
// errors.As finds the outermost one, whichever type it is.
type classified interface {
	error
	kind() Kind
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }
func (e *permanentError) kind() Kind    { return KindPermanent }

type temporaryError struct {
	err        error
	retryAfter time.Duration
}

func (e *temporaryError) Error() string { return e.err.Error() }
func (e *temporaryError) Unwrap() error { return e.err }
func (e *temporaryError) kind() Kind    { return KindTemporary }

// Permanent marks err as permanent: processing the same input again cannot
// succeed, so the message goes to the dead-letter stream at once. It returns
// nil when err is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// Temporary marks err as temporary: a later attempt may succeed. A positive
// retryAfter is the delay the remote side asked for (for example an HTTP
// Retry-After) and replaces the consumer's own backoff for this attempt;
// zero or less means "use the backoff". It returns nil when err is nil.
func Temporary(err error, retryAfter time.Duration) error {
	if err == nil {
		return nil
	}
	if retryAfter < 0 {
		retryAfter = 0
	}
	return &temporaryError{err: err, retryAfter: retryAfter}
}

// Classify returns the kind of err: the outermost classification made by
// [Permanent] or [Temporary] if there is one, else [KindCanceled] for an
// error that is or wraps [context.Canceled], else [KindTemporary]. A nil
// error is [KindNone].
func Classify(err error) Kind {
	if err == nil {
		return KindNone
	}
	var c classified
	if errors.As(err, &c) {
		return c.kind()
	}
	if errors.Is(err, context.Canceled) {
		return KindCanceled
	}
	return KindTemporary
}

// IsPermanent reports whether err is classified as permanent.
func IsPermanent(err error) bool { return Classify(err) == KindPermanent }

// IsTemporary reports whether err should be retried later: it is classified
// as temporary or not classified at all, and is not a cancellation
// (maddy's IsTemporaryOrUnspec).
func IsTemporary(err error) bool { return Classify(err) == KindTemporary }

// RetryAfter returns the delay given to [Temporary] by the outermost
// classification of err, and whether there was one. It is false for
// permanent, cancelled, unclassified and nil errors and for temporary
// errors made without a delay.
func RetryAfter(err error) (time.Duration, bool) {
	var c classified
	if !errors.As(err, &c) {
		return 0, false
	}
	t, ok := c.(*temporaryError)
	if !ok || t.retryAfter <= 0 {
		return 0, false
	}
	return t.retryAfter, true
}
