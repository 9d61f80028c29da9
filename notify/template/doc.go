// Package template turns a verdict into the words of an alert, in Japanese
// and English: a short, calm warning for the protected person; for a
// trusted contact what arrived, why it is a lure (the rules' plain-language
// explanations) and what to do now, taken from the seed article — call the
// person on the number you already know, never the number in the message;
// if a code was handed over, Amazon customer service at once, "resend" an
// e-mail gift card, keep the messages, police #9110, consumer hotline 188.
//
// What a contact sees follows the consent the protected person gave
// (notify.Consent): the category only; the masked sender and the reasons;
// or also a masked excerpt of the lure's own words. Links in excerpts are
// defanged, phone numbers, codes and addresses partly hidden.
//
// SMS texts are measured in segments ([Segments]: GSM-7 160/153, UCS-2
// 70/67); a contact's SMS is kept within its budget by dropping the
// excerpt, then reasons, the sender, secondary advice and the categories,
// never the lead, the action line or the acknowledgement. E-mail and
// webhooks get the full text.
//
// The package is pure: no I/O, no clock (times come in the input). It
// imports event, notify and the standard library.
package template
