// Package app runs the long-lived parts of a scamscreen process together and
// takes them down in order: the lifecycle that `scamscreen run`, `demo` and
// the end-to-end tests share (alertmanager's app package, in our shape).
//
// A process is a [Group] of components, each a Run(ctx) error that blocks
// until ctx ends or it fails (ingesters, workers, the admin endpoint), plus a
// stack of named cleanup steps registered with [Group.OnStop] (drain the NATS
// connection, stop the embedded server). [Group.Run] starts every component,
// and when the first one fails or the caller's context ends it cancels the
// rest, waits for them, then runs the cleanup steps last-registered first.
//
// Imports: the standard library and zap only; no other scamscreen package.
//
// Invariants:
//   - No signal handling: main owns signals and cancels the context it
//     passes to Run, so a Group can be embedded in tests.
//   - Shutdown is bounded even when the caller passes
//     context.Background(): components get [Options.ShutdownTimeout] to
//     return after cancellation, and the cleanup steps together get the same
//     again. Anything still running after that is reported and abandoned.
//   - A panic in a component or a cleanup step becomes a [*PanicError] for
//     that component or step; it never crashes the process.
//   - Every goroutine the Group starts has returned when Run returns, except
//     those of components or steps that ignored the timeout, which are
//     reported by name.
package app
