// Package twilio is the SMS and voice channel: it sends alert texts with
// Twilio's Messages resource and places calls that speak them (ja-JP text
// to speech) with the Calls resource. It is the only scamscreen package
// that imports twilio-go's REST client, and it fences off the SDK's
// surprises:
//
//   - Credentials come only from notify.TwilioConfig's secrets (an
//     environment variable or a file named in the configuration); the
//     SDK's TWILIO_ACCOUNT_SID/TWILIO_AUTH_TOKEN fallback and its
//     TWILIO_EDGE/TWILIO_REGION host rewriting are never used.
//   - The SDK takes no context: each call gets its own HTTP client whose
//     transport binds the caller's context, bounded by the configured
//     timeout, to the request (cancellation and deadline). The SDK leaves
//     error answers' bodies open; the transport reads and closes them.
//   - The SDK has no base URL option: the same transport sends requests to
//     the configured api_base_url (a proxy, or notifytest's fake Twilio).
//   - Twilio's error messages carry phone numbers: errors are rebuilt from
//     the status, the Twilio code and the redacted message
//     (notify.SendError), never from the SDK's text, which also holds the
//     account SID in URLs.
//
// Errors: 4xx answers (invalid number 21211, unsubscribed 21610,
// authentication 20003) are permanent; 429, 5xx, timeouts and network
// failures are temporary, with Twilio's Retry-After when it sends one. A
// timeout after the request was written is marked unsure, and the next
// attempt first asks Twilio ([SMS.Reconcile], [Voice.Reconcile]) whether
// the message or call exists, because Twilio has no idempotency key. Of
// the matches created within the attempt's send window (from its start,
// less the clock skew allowed, to the delivery record's deadline), the
// earliest is taken; a later text with the same words, or any later call,
// to the same number is never taken for the attempt's.
//
// Imports: notify, twilio-go (client, rest/api/v2010), zap and the
// standard library.
package twilio
