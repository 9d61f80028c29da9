// Package smtp is the e-mail channel: it composes an alert as a plain-text
// message with go-message (Japanese subjects B-encoded in UTF-8, or
// ISO-2022-JP where the configuration asks for it and the text allows it)
// and delivers it through a relay with go-smtp's Client API.
//
// go-smtp's package-level SendMail is not used: it always tries STARTTLS
// with a nil TLS configuration and masks certificate failures as a
// missing AUTH extension. This package dials itself (with the caller's
// context), speaks STARTTLS or implicit TLS with an explicit tls.Config,
// says EHLO before anything else so a failed handshake is reported as
// such, never authenticates in the clear (except to loopback), and sends
// one message per recipient, so one refused address never blocks another.
//
// Errors: 5xx replies are permanent (550/553 invalid recipient, 535
// authentication), 4xx replies and network failures temporary; a failure
// after DATA was sent is unsure, and the repeated message keeps its
// Message-ID (derived from the alert id) so mail clients can drop the
// copy.
//
// Imports: notify, go-smtp, go-sasl, go-message, x/text, zap and the
// standard library.
package smtp
