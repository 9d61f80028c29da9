// Package notify decides nothing and sends nothing by itself: it is the
// vocabulary every part of scamscreen's alerting shares. It holds the
// [Channel] interface that each integration (twilio, smtp, webhook, console)
// implements, the [Delivery] a channel is handed, the classification of
// delivery failures ([SendError]), the configuration of providers and of the
// people who are told ([Config], [PersonConfig], [Directory]), the delivery
// record that makes a send happen once ([Deliverer]), and the signed
// acknowledgement links with their small HTTP server ([AckSigner],
// [AckServer]).
//
// The shape follows Prometheus Alertmanager's notify package: one tiny
// interface per integration, one subpackage per integration, shared helpers
// here, and the stages (route → dedupe/group → quiet hours → deliver with
// retry → record) spelled out in notify/worker. Unlike Alertmanager it knows
// acknowledgements, escalation and per-recipient consent.
//
// Imports: event, internal/config, internal/errkind, zap (the
// acknowledgement server's logger), go.yaml.in/yaml/v3 (quiet hours in the
// configuration) and the standard library. It never imports a provider
// SDK, NATS or another stage.
//
// Invariants:
//   - An error that leaves this package or a channel never contains a
//     secret, a phone number, an e-mail address or message text: provider
//     messages are passed through [Redact], and [SendError.Error] is built
//     from classified fields only.
//   - Every failure is classified with internal/errkind: a provider's 4xx
//     answer (invalid number, unsubscribed, authentication) is permanent,
//     429, 5xx, timeouts and network errors are temporary, with the delay
//     the provider asked for when it gave one.
//   - A [Deliverer] writes the outcome of a send to its record before it
//     returns, so a caller that acknowledges only afterwards sends nothing
//     twice when a job is delivered again.
package notify
