// Package notifytest is the test kit of the notify channels, in the spirit
// of watermill's universal pub/sub tests and Alertmanager's notify/test:
//
//   - [Run] is the contract suite every channel passes: the expected wire
//     request, classification of refusals (permanent) and of rate limits,
//     outages and timeouts (temporary, with Retry-After), deadlines and
//     cancellation honoured, no secret or personal data in any error
//     ([AssertNoSecret]), and exactly one send per job across redeliveries
//     when the channel runs behind a notify.Deliverer.
//   - Fakes that speak the real protocols: [TwilioFake], an HTTP server with
//     Twilio's REST shapes (checked against the documented JSON in
//     testdata/twilio), reached through twilio-go's own client;
//     [SMTPServer], an in-process go-smtp server that records what it
//     receives, with STARTTLS or implicit TLS on a self-signed certificate;
//     [WebhookSink], which verifies each request's HMAC.
//   - [Recorder], a channel that keeps what it is given (shadow mode,
//     routing tests), and [MemStore], an in-memory notify.RecordStore.
//
// The fakes need no *testing.T, so the demo can run them too. Everything
// listens on 127.0.0.1 only.
//
// Imports: notify, notify/template, notify/webhook (signature check),
// internal/errkind, event, go-smtp, go-sasl, zap and the standard library.
// Never import it from production code paths other than the demo.
package notifytest
