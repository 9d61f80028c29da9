// Package obs is scamscreen's observability: how loggers are built, the
// field helpers every package logs with, the redaction that keeps personal
// data out of logs, the Prometheus metrics, and the admin HTTP endpoint
// (/metrics, /healthz, /readyz).
//
// It exists so that log keys, metric names and label sets are defined once
// and every process exposes the same operational surface, and so the rule
// "message bodies, phone numbers and addresses are not in logs" is enforced
// by code rather than by care.
//
// Imports: the standard library, zap and the Prometheus client only. It is a
// leaf: it imports no other scamscreen package, so every package may use it.
//
// Invariants:
//   - Loggers are passed in explicitly; the package never touches zap's
//     global loggers and has no global mutable state.
//   - Personal data is logged only through [Phone], [Addr] and [Text], which
//     write a keyed hash and a length, never the value. As a safety net, a
//     logger from [NewLogger] replaces the value of any field whose key names
//     personal data (see [NewRedactingCore]) with "[REDACTED]", also inside
//     zap.Dict, zap.Object and zap.Array values and in fields added with
//     With. It cannot see into zap.Any of a plain struct (reflection) or
//     into error text, so never log those for message content.
//   - Redaction sits below the sampler and lets the core it wraps decide in
//     Check, so sampling and level filtering are unchanged by it.
//   - Metric label values are bounded sets chosen by code: channel, source
//     kind, stage, outcome, verdict, category, reason, rule pack. Never a
//     phone number, address, domain, message id or household: those are
//     personal data and would make the series count unbounded.
//   - Metrics live on a private registry per [Metrics], never on
//     prometheus.DefaultRegisterer, so tests and embedded runs can build as
//     many as they like.
package obs
