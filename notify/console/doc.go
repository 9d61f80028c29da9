// Package console is the channel that writes alerts to an io.Writer: the
// demo prints with it what would be sent, shadow mode replaces every real
// channel with it, and [Wrap] echoes another channel's sends.
//
// It shows each alert as the medium would carry it (the SMS text for sms,
// the spoken script for voice, subject and body for e-mail), with the
// recipient's name and a masked address, never the full phone number or
// address.
//
// Imports: notify, notify/template (masking) and the standard library.
package console
