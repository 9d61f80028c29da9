package urls

// Look-alike matching of one label against the brand tokens.
//
// A label matches a token when:
//   - the label, a hyphen-separated part of it, or the label with its
//     hyphens removed has the token's skeleton ("arnazon", "ama-zon",
//     "аmazon", "amaz0n");
//   - for tokens of five letters or more, one of those is one typo from the
//     token as written ("amazom", "rakuetn"), keeping the first letter;
//     five-letter tokens allow only a transposition or an extra letter.
//     Only for registrable domains, not subdomain labels or path words;
//   - the token is embedded in one of those and what surrounds it is made
//     of filler words and digits ("amazonsecure", "rakutencardjp",
//     "amazon-co-jp-login"); a token shorter than five letters may be
//     preceded only by "my" ("myjcb", not "helpline").
//
// When a hyphen-separated part matches, every other part must be a
// companion: a filler word or words, something with a digit, two letters or
// fewer, a vowel-less jumble, or another token. That keeps
// "apple-pie-recipes" and "amazon-adsystem" clean while catching
// "amazon-xk3q". The longest matching token wins, exact before embedded
// before fuzzy.

// match scores.
const (
	scoreFuzzy    = 1
	scoreEmbedded = 2
	scoreExact    = 3
)

// matchLabel returns the brand whose token label imitates.
func (a *Analyzer) matchLabel(label string, fuzzy bool) (int32, bool) {
	var sk skeleton
	sk.build(label)
	if sk.runes > maxLabel || sk.ns == 0 {
		return 0, false
	}
	best, bestScore := int32(-1), 0
	consider := func(t int32, rank int) {
		// Longer tokens first ("rakutencard" over "rakuten"), then exact
		// over embedded over fuzzy.
		score := len(a.tokens[t].skel)*4 + rank
		if score > bestScore {
			best, bestScore = t, score
		}
	}
	s, l := sk.skel(), sk.liteBytes()
	hyphens := false
	// Each hyphen-separated part.
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '-' {
			j++
		}
		if j < len(s) {
			hyphens = true
		}
		if j > i {
			if t, score := a.matchPart(&sk, i, j, fuzzy); t >= 0 && a.companions(&sk, i, j) {
				consider(t, score)
			}
		}
		i = j + 1
	}
	// The label without hyphens.
	if hyphens {
		var nh skeleton
		for k := 0; k < len(l) && nh.nl < maxLabel; k++ {
			if l[k] != '-' {
				nh.lite[nh.nl] = l[k]
				nh.nl++
			}
		}
		nh.runes = nh.nl
		nh.finish()
		if t, score := a.matchPart(&nh, 0, nh.ns, fuzzy); t >= 0 {
			consider(t, score)
		}
	}
	if best < 0 {
		return 0, false
	}
	return a.tokens[best].brand, true
}

// matchPart matches the skeleton bytes sk.sk[i:j] (no hyphens) against the
// tokens and returns the best token and its score, or -1.
func (a *Analyzer) matchPart(sk *skeleton, i, j int, fuzzy bool) (int32, int) {
	p := sk.sk[i:j]
	if t, ok := a.exact[string(p)]; ok {
		return t, scoreExact
	}
	best, bestScore := int32(-1), 0
	// Embedded with filler around it.
	for pos := 0; pos+3 <= len(p); pos++ {
		for _, t := range a.prefix[prefixKey(p[pos], p[pos+1])] {
			ts := a.tokens[t].skel
			if len(ts) > len(p)-pos || string(p[pos:pos+len(ts)]) != ts {
				continue
			}
			if len(ts) <= bestScore {
				continue
			}
			pre0, pre1 := i, i+pos
			suf0, suf1 := i+pos+len(ts), j
			if len(ts) < minFuzzy && pos > 0 && string(sk.lite[sk.off[pre0]:sk.off[pre1]]) != "my" {
				// A short token after a word is usually a compound word
				// ("helpline", "hotline"): only "myjcb"-style prefixes count.
				continue
			}
			if a.around(sk, pre0, pre1) && a.around(sk, suf0, suf1) {
				best, bestScore = t, len(ts)
			}
		}
	}
	if best >= 0 {
		return best, scoreEmbedded
	}
	// One typo, judged on the lite form: the skeleton's merges (i and l,
	// 0 and o) would make ordinary words such as "salon" look one edit away
	// from a token ("saison").
	lite := sk.lite[sk.off[i]:sk.off[j]]
	if fuzzy && len(lite) >= minFuzzy && !commonWord(lite) {
		for n := len(lite) - 1; n <= len(lite)+1; n++ {
			if n < minFuzzy || n >= len(a.byLen) {
				continue
			}
			for _, t := range a.byLen[n] {
				if fuzzyMatch(lite, a.tokens[t].lite) && (best < 0 || len(a.tokens[t].lite) > len(a.tokens[best].lite)) {
					best = t
				}
			}
		}
		if best >= 0 {
			return best, scoreFuzzy
		}
	}
	return -1, 0
}

// around reports whether the skeleton range sk.sk[i:j] is empty or made of
// filler words and digits, judged on the lite form (where digits and
// letters are as written) or on the skeleton.
func (a *Analyzer) around(sk *skeleton, i, j int) bool {
	if i >= j {
		return true
	}
	return segmentable(sk.lite[sk.off[i]:sk.off[j]]) || segmentable(sk.sk[i:j])
}

// companions reports whether every hyphen-separated part of sk other than
// sk.sk[i:j] is a companion word (see the file comment).
func (a *Analyzer) companions(sk *skeleton, i, j int) bool {
	s := sk.skel()
	for k := 0; k < len(s); {
		e := k
		for e < len(s) && s[e] != '-' {
			e++
		}
		if e > k && k != i {
			lite := sk.lite[sk.off[k]:sk.off[e]]
			if !a.companion(lite, s[k:e]) {
				return false
			}
		}
		k = e + 1
	}
	return true
}

func (a *Analyzer) companion(lite, skel []byte) bool {
	if len(lite) <= 2 || segmentable(lite) {
		return true
	}
	vowel := false
	for _, c := range lite {
		switch c {
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return true
		case 'a', 'e', 'i', 'o', 'u', 'y':
			vowel = true
		}
	}
	if !vowel {
		return true
	}
	_, ok := a.exact[string(skel)]
	return ok
}

// segmentable reports whether w is made entirely of filler words and
// digit runs.
func segmentable(w []byte) bool {
	if len(w) == 0 || len(w) > maxLabel {
		return len(w) == 0
	}
	var ok [maxLabel + 1]bool
	ok[0] = true
	for i := 0; i < len(w); i++ {
		if !ok[i] {
			continue
		}
		if '0' <= w[i] && w[i] <= '9' {
			k := i
			for k < len(w) && '0' <= w[k] && w[k] <= '9' {
				k++
				ok[k] = true
			}
			continue
		}
		for n := 2; n <= maxFiller && i+n <= len(w); n++ {
			if isFiller(string(w[i : i+n])) {
				ok[i+n] = true
			}
		}
	}
	return ok[len(w)]
}

// fuzzyMatch reports whether p is one typo away from the token skeleton
// tok. Typosquats keep the first letter ("amazom", "rakuetn"), so it must
// match; that also keeps "email" from gmail-like tokens and "tunes" from
// "itunes". Five-letter tokens sit among many real words one substitution
// away ("tesco" from "tepco", "alone" from "auone"), so for them only a
// transposition or one inserted letter counts; visual substitutions are
// the skeleton's job.
func fuzzyMatch(p []byte, tok string) bool {
	if len(p) == 0 || len(tok) == 0 || p[0] != tok[0] {
		return false
	}
	if len(tok) >= 6 {
		return within1(p, tok)
	}
	if len(p) == len(tok) {
		i := 0
		for i < len(p) && p[i] == tok[i] {
			i++
		}
		return i+1 < len(p) && p[i] == tok[i+1] && p[i+1] == tok[i] && string(p[i+2:]) == tok[i+2:]
	}
	return len(p) == len(tok)+1 && within1(p, tok)
}

// commonWord reports whether w is an everyday word one typo away from a
// brand token, which must not count as a look-alike on its own.
func commonWord(w []byte) bool {
	switch string(w) {
	case "apply", "ample", "applet", "apples", "goggle", "googly", "tesco", "email", "alone", "natwest":
		return true
	}
	return false
}

// prefixSlots is the size of the two-byte prefix index: 37 symbols (a-z,
// 0-9, anything else) squared.
const prefixSlots = 37 * 37

func prefixKey(a, b byte) int { return symbol(a)*37 + symbol(b) }

func symbol(c byte) int {
	switch {
	case 'a' <= c && c <= 'z':
		return int(c - 'a')
	case '0' <= c && c <= '9':
		return 26 + int(c-'0')
	}
	return 36
}
