// Package errkind classifies errors as permanent or temporary so that the
// one place that turns a handler result into a JetStream ack verb
// (internal/bus) can decide between "retry later" and "dead-letter now"
// without knowing where the error came from.
//
// The model is maddy's exterrors: a stage wraps an error with [Permanent]
// when retrying cannot help (an undecodable payload, a 4xx from a provider)
// or with [Temporary] when it can, optionally with the delay the remote side
// asked for (a 429 Retry-After). Everything else is unclassified and counts
// as temporary, because a queue that retries an unknown failure a bounded
// number of times loses nothing, while one that drops it loses a message.
// [context.Canceled] is the one exception: it is neither, so the bus hands
// the message back at once for another replica to take.
//
// Invariants:
//   - Every wrapper implements Unwrap, so errors.Is and errors.As see
//     through it, and Error returns the wrapped error's text unchanged.
//   - The outermost classification wins: Temporary(Permanent(err)) is
//     temporary. An explicit classification beats context.Canceled.
//   - Wrapping nil returns nil.
//
// The package imports only the standard library.
package errkind
