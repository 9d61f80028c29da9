// Package urls finds the URLs and domains in a message and says what is
// suspicious about them, for the screening engine.
//
// It exists because links are the one part of a phishing message that the
// sender cannot word away: whatever the lure says, the victim has to be sent
// somewhere. Two steps, both pure and offline:
//
//   - [Extract] finds URLs, www hosts, bare domains (only with a real ICANN
//     top-level domain) and the domains of e-mail addresses in a text, undoing
//     the obfuscations senders use (hxxp, [.], " dot ", full-width letters,
//     the ideographic full stop, numeric IP hosts, userinfo before the host).
//     Each [Found] keeps byte offsets into the text, so the engine can quote
//     the original words.
//   - An [Analyzer], built once from the protected-brand list
//     (configs/rules/brands.yaml, read with [LoadBrands]), turns what was found
//     plus the HTML anchors of a mail into typed [Signal]s: look-alike
//     domains, brands in subdomains or paths, shorteners, free hosting,
//     link text that names another domain than its href, and so on. It never
//     weighs them; the engine does.
//
// Nothing here touches the network: no URL is fetched and no name is
// resolved (PEERS.md §3 item 13). Nothing is logged.
//
// Imports: event (for [event.Link]), golang.org/x/net/publicsuffix,
// golang.org/x/net/idna, golang.org/x/text/unicode/norm,
// go.yaml.in/yaml/v3 (only in [LoadBrands]) and the standard library.
//
// Invariants:
//   - For every Found f from Extract(text, ...): 0 <= f.Start < f.End <=
//     len(text) and f.Raw == text[f.Start:f.End]; results are in text order
//     and do not overlap.
//   - Found.Host is lower-case ASCII (A-labels for IDNs) without a port or a
//     trailing dot; Found.Domain is a suffix of it.
//   - Extract allocates nothing for a text without candidates. For each
//     URL found it allocates once inside publicsuffix (its IP check builds an
//     error value), plus the canonical URL when it differs from the text.
//     Analyze allocates nothing beyond the growth of dst for found URLs;
//     each HTML link costs what parsing its href costs.
//   - An Analyzer is immutable after [NewAnalyzer] and safe for concurrent
//     use. A host under a protected brand's genuine domain never gets a
//     signal other than known_bad_domain, or redirect for an open redirect
//     such as google.com/url?q=; a host under a domain the operator trusts
//     gets only known_bad_domain.
//   - Bad input (invalid UTF-8, huge texts, odd Unicode) never panics.
package urls
