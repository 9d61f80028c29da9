// Package webhook is the signed JSON webhook channel, for a family's chat
// bot, a Slack or Mattermost channel, and an ISP helpdesk's ticketing
// system.
//
// Each alert is one POST of a [Payload] whose "text" field makes it a valid
// Slack incoming-webhook message. Requests carry X-Scamscreen-Timestamp,
// X-Scamscreen-Signature ("v1=" + hex HMAC-SHA256 over timestamp "." body,
// keyed with the target's secret, see [Sign] and [Verify]) and an
// Idempotency-Key equal to the alert id, so a receiver drops a repeated
// delivery. Redirects are not followed. Target URLs may themselves be
// credentials (Slack's are), so they never appear in errors or logs.
//
// Errors: 2xx is success; 408, 425, 429 and 5xx are temporary (with
// Retry-After); other 4xx and 3xx are permanent; network failures are
// temporary, and unsure once the request was written.
//
// Imports: event, notify, zap and the standard library.
package webhook
