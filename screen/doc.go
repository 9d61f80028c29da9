// Package screen is scamscreen's screening engine: it reads one message and
// says whether it is a gift-card fraud lure, how sure it is, which lure
// family it belongs to, and why, quoting the sender's own words.
//
// The engine is a pure library. It does no I/O, starts no goroutines, never
// fetches a URL and never logs content, so the screen worker, `scamscreen
// check`, replay and the benchmarks all run the same code, and a test proves
// the package links no NATS.
//
// How a message is screened:
//
//  1. Its subject, display name and body are folded (package normalize),
//     which undoes width, case, kana, look-alike and spacing disguises, and
//     Latin tokens that imitate a brand with swapped digits ("Amaz0n") are
//     restored to the brand word.
//  2. One automaton scan (package match) finds every keyword of every rule
//     and every brand name at once, so cost does not grow with the rule
//     count. Regular expressions run only where one of their literal
//     prefilter keywords occurred, and when their matches are bounded in
//     length only near those hits.
//  3. Keyword rules are decided from the hits (an AND of alternatives,
//     optionally within a window, vetoed by unless-keywords near them); the built-in
//     analysers look at URLs (package urls), the sender (package sender),
//     call-back numbers (package phone) and, in messages the person sends,
//     gift-card codes (package giftcode). Rule packs give every analyser
//     signal its weight, category and explanation.
//  4. Weights add up per category (capped), modifiers (urgency, secrecy,
//     threats) count only alongside other evidence, a lure family together
//     with a gift-card demand earns a bonus, and the total is compared with
//     the thresholds. A gift-card code leaving the person's hands is always
//     a scam verdict.
//
// An [Engine] is immutable and safe for concurrent use; a new rule pack
// means a new engine (hot reload swaps the pointer).
package screen
