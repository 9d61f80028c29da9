// Package mailparse turns the raw bytes of an RFC 822 / MIME e-mail into an
// [event.Message] for screening. The IMAP ingest worker and the
// `scamscreen check` command share it, so a mail screens the same way
// wherever it comes from.
//
// Japanese mail is the main customer: ISO-2022-JP, Shift_JIS (and its
// cp932 / windows-31j / MS932 variants), EUC-JP and UTF-8 all occur, and
// so do mislabelled charsets (ISO-2022-JP declared, Shift_JIS sent), missing
// charsets, raw 8-bit subjects and encoded words split across folded lines.
// The package therefore owns the whole decoding path: a lenient header
// reader, a MIME splitter working on sub-slices of the input, its own
// transfer decoders (base64 and quoted-printable that decode what they can)
// and a charset layer that always sees the undecoded bytes, so a wrong label
// can be detected and repaired by a cheap scorer (escape sequences mean
// ISO-2022-JP, valid UTF-8 means UTF-8, otherwise Shift_JIS, EUC-JP or
// windows-1252, whichever reads most plausibly). go-message's charset table
// decodes the long tail of other labels; go-message's Entity reader is not
// used because it converts charsets through a process-global hook before the
// bytes can be inspected and gives up on a part at the first bad base64 byte.
//
// Invariants:
//   - Parse is pure: no I/O beyond the given slice, no logging, no global
//     mutable state. It is safe for concurrent use.
//   - Parse always returns a non-nil message with Channel "email" and
//     Raw{Size, SHA256, Type}; it never sets ID, Direction or Raw.Inline
//     (the caller decides those).
//   - Every string in the returned message is valid UTF-8.
//   - Errors and ParseError never contain message content (no header lines,
//     no charset labels, no addresses): only fixed phrases and part numbers
//     such as "part 1.2: bad base64, decoded what could be" (see issues.go).
//   - Memory is bounded: the input is not copied as a whole (parts are
//     sub-slices; only files with classic-Mac CR line ends are rewritten
//     once, and a base64-encoded attached message is decoded once), the
//     text kept is capped (see [MaxTextBytes]), attachment sizes are
//     counted from the encoded bytes by a count-only decoder that allocates
//     nothing, and nesting depth, part count, header size, header value
//     length and link count are capped.
//
// Imports: event, go-message/charset, golang.org/x/text (encoding, japanese),
// golang.org/x/net/html (with its atom table) and the standard library.
// Nothing else of ours.
package mailparse
