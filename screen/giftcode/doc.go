// Package giftcode recognises gift-card and e-money codes in text the
// protected person sends: the moment a lure succeeds.
//
// A gift-card code is bearer money, and fraudsters redeem it within minutes,
// so an outgoing SMS or e-mail carrying one is the strongest escalation
// scamscreen knows (category code_handover): the family must call Amazon at
// once and, for an e-mail-type card, "resend" it to invalidate the code.
//
// Formats: Amazon claim codes (4-6-4, 4-6-5 and 4-6-6 groups, or 14-16
// characters mixing letters and digits), Apple gift cards (16 characters
// starting with X), Google Play (16 or 20 characters, often in groups of 4),
// WebMoney (16 letters and digits) and BitCash (16 hiragana). Formats that
// could be something else (a bare run of letters and digits, 16 kana) count
// only next to gift-card words. Find works on text folded by package
// normalize and is pure; codes are personal data and money: use [Mask]
// before showing one anywhere.
package giftcode
