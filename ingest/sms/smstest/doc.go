// Package smstest helps tests and the demo talk to the SMS listener of
// package sms the way real senders do: it signs Twilio webhooks with
// Twilio's documented algorithm (written independently of twilio-go, so a
// test that passes proves the listener agrees with Twilio, not with
// itself), signs forwarder requests (SMS Gateway for Android, template
// forwarders, scamscreen's own HMAC scheme), builds their payloads, posts
// them with a [Client], and bundles sample SMS written for scamscreen.
//
// Imports: package sms (for its constants), event, and the standard
// library. It is test-quality code shipped for the demo; production code
// must not depend on it.
package smstest
