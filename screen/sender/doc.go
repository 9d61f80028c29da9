// Package sender judges who a message claims to be from against who sent
// it.
//
// Lures borrow a brand's name — in the display name ("Amazon.co.jp
// <info@amaz0n-security.top>"), the subject, the body, or an SMS that says
// it is from a carrier — while the address, the Authentication-Results or
// the SMS sender give them away: a domain that is not the brand's, a free
// mailbox, DMARC failing, a Reply-To elsewhere, an international number or
// a personal mobile number. The opposite matters as much: mail from the
// brand's real domain with a passing DKIM signature is the brand, and a
// real Amazon order confirmation must not be flagged for saying "Amazon".
//
// The engine finds brand names in the text (it scans once for every
// keyword) and passes them in as claims; this package only decides. It is
// pure: no DNS, no network.
package sender
