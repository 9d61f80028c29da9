// Package sms is the SMS ingest worker: an HTTP listener that takes the
// SMS a protected person receives (and sends) from Twilio's
// inbound-message webhook, from forwarder apps on the person's Android
// phone, and from SMSC feeds, and publishes each one to INBOUND as an
// [event.Message] through an [ingest.Publisher].
//
// # Endpoints
//
//	POST /sms/twilio            Twilio inbound messages (form-encoded)
//	POST /sms/inbound/{source}  forwarders and SMSC feeds (JSON)
//	POST /sms/inbound           the same; the source is named by the
//	                            X-Scamscreen-Source header, or is the only
//	                            configured one
//	GET  /healthz               200 "ok" while the listener serves
//
// # Twilio
//
// Requests are authenticated with X-Twilio-Signature by twilio-go's
// RequestValidator, over the URL Twilio called: [Config.PublicURL]
// followed by the path and query this listener receives. Parameters
// Twilio adds in future are signed and tolerated; a parameter given twice
// is refused (400), because the validator signs only the first value.
// MessageSid (or SmsSid) is the stable id, [event.SMSID]("twilio", sid).
// "To" must be a protected person's number ([Directory]); the message is
// incoming. The answer is 200 with an empty TwiML document
// (<?xml version="1.0" encoding="UTF-8"?><Response></Response>, text/xml),
// and errors carry the same document with their status.
//
// A message from a trusted contact's number to a number that is nobody's
// (the Twilio number notify sends alerts from) is an acknowledgement: the
// listener publishes an [event.Alert] with status acknowledged, recipient
// the contact, ProviderID the MessageSid, on [event.AlertAckSubject] of
// every person the contact watches over ([OwnerLister]), through the
// [AckPublisher], and answers with empty TwiML. The semantic, interpreted
// by notify: any reply from a trusted contact acknowledges the person's
// open urgent alerts. The reply's text is not kept.
//
// Twilio does not retry a 4xx or 5xx answer; it logs it (error 11200 and
// friends) and calls the number's fallback URL if one is configured. So
// Twilio is never rate limited, and an operator should set a fallback URL
// (a second replica) for the 503 that a NATS outage causes.
//
// # Behind a reverse proxy
//
// Terminate TLS at the proxy (or set [Config.TLS]), forward to Listen on
// loopback, and set public_url to the externally visible base URL,
// including any path prefix the proxy strips: with
// https://example.jp/scamscreen/sms/twilio forwarded to
// http://127.0.0.1:8088/sms/twilio, public_url is
// https://example.jp/scamscreen. The proxy must pass the path and query
// through unchanged and must not re-encode the form body. Configure the
// URL in Twilio without a fragment.
//
// # scamscreen's JSON schema (format "scamscreen")
//
// One message, or up to [MaxBatch] under "messages":
//
//	{"direction": "in", "from": "+815031842976", "to": "090-1234-5678",
//	 "body": "...", "time": "2026-11-30T09:12:04+09:00", "source_id": "8812"}
//
//	{"messages": [{...}, {...}]}
//
// direction is "in" (the person received it: "to" is the person) or "out"
// (the person sent it: "from" is the person). from, to and body are
// required; numbers in E.164 or Japanese national form, full-width digits
// allowed; the other party may be an alphanumeric sender id. time is RFC
// 3339 or epoch milliseconds (number or string); absent means the time of
// arrival. source_id, when given, must be unique within the source: the id
// is [event.SMSID](source name, source_id). Without it the id is derived
// from direction, sender, recipient, time and body, so the same SMS sent
// twice is one message (and two identical texts without a time are one).
// Unknown fields are ignored.
//
// Authentication is by HMAC-SHA256 or bearer token ([AuthConfig]). HMAC:
// X-Scamscreen-Timestamp is the Unix time in seconds, and
// X-Scamscreen-Signature the hex HMAC-SHA256, keyed with the source's
// secret, of the timestamp, a dot, and the body exactly as sent
// (optionally prefixed "sha256="). Timestamps more than the replay window
// (default 5 minutes) from the listener's clock are refused.
//
// A batch is all or nothing: every message must be valid and belong to a
// protected person, or the request is refused (400 or 404, with the index
// of the first offending message) and nothing is published; then all are
// published, and if one publish fails the answer is 503. A sender simply
// retries the whole request: ids are stable, so the messages already
// published are dropped as duplicates. A message of a batch keeps its own
// JSON object as its original; a single message keeps the whole body.
//
// The answer to an accepted request is 200 with
//
//	{"status": "ok", "messages": [{"id": "sms-...", "duplicate": false}]}
//
// and to a refused one the status with {"error": "<reason>", "message":
// "<short text>", "index": n}. Reasons: method_not_allowed (405),
// not_found and unknown_source (404), rate_limited (429, Retry-After),
// too_large (413), bad_signature, stale_timestamp and bad_token (403),
// malformed, missing_field, bad_time, bad_batch and missing_number (400),
// unknown_number (404), unavailable (503, Retry-After: JetStream did not
// acknowledge in time; retry), internal (500).
//
// # Forwarder formats
//
// "smsgateway" is the webhook JSON of SMS Gateway for Android: event
// sms:received is an incoming message (sender, recipient, message,
// receivedAt), sms:sent an outgoing one when it carries the message text;
// other events (delivery reports, pings, data SMS, MMS) are answered 200
// {"status": "ignored"} and counted. The request is authenticated by
// X-Signature, the hex HMAC-SHA256 of the body followed by X-Timestamp.
// Its messageId is derived from the content and not unique, so the id is
// derived as above. A null recipient (no READ_PHONE_STATE permission) is
// the source's device_number.
//
// "template" is a forwarder that fills a JSON template, such as "Incoming
// SMS to URL forwarder"; [TemplateConfig] maps its fields. It signs the
// body alone (X-Signature), so it has no replay window unless a timestamp
// header is configured; a replayed request yields the same ids, which
// JetStream drops inside its duplicate window.
//
// # Guarantees
//
//   - Nothing lost: a request is answered 200 only after JetStream
//     acknowledged every message it carries (a duplicate counts as
//     acknowledged). When NATS is unavailable the answer is 503 so that
//     the sender retries; JetStream drops the copies a retry produces
//     inside its duplicate window.
//   - A message for a number that is no protected person's is answered
//     404, counted (scamscreen_sms_unknown_numbers_total), and never
//     published.
//   - Answers and logs never contain message text or phone numbers (logs
//     use message ids and obs.Phone hashes), nor stack traces; a panic in
//     a handler is answered 500 and logged with its stack.
//
// Imports: event, ingest, internal/config, internal/errkind, internal/obs,
// twilio-go's client package (RequestValidator only), zap, Prometheus,
// golang.org/x/time/rate and the standard library. Never internal/bus,
// nats or another stage: the CLI passes a Publisher, an AckPublisher and a
// Directory.
package sms
