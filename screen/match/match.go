package match

import (
	"errors"
	"sort"
)

// Hit is one occurrence: pattern Pattern ends at byte End (exclusive) of the
// scanned text and starts at End minus the pattern's length.
type Hit struct {
	Pattern int32
	Start   int32
	End     int32
}

// Automaton is a compiled pattern set.
type Automaton struct {
	classes  [256]uint8
	nclass   uint32
	trans    []uint32 // premultiplied: next = trans[state+class]; state ids are multiples of nclass
	start    uint32
	matchLim uint32   // states below this (premultiplied) have outputs
	outStart []uint32 // per match state (by index): outputs in outs[outStart[i]:outStart[i+1]]
	outs     []int32
	lens     []int32
}

// ErrEmptyPattern reports a pattern of zero bytes, which would match
// everywhere.
var ErrEmptyPattern = errors.New("empty pattern")

// Build compiles patterns. Pattern i is reported as i; duplicates are
// allowed and each reports.
func Build(patterns []string) (*Automaton, error) {
	a := &Automaton{lens: make([]int32, len(patterns))}
	// Byte classes: one per byte that occurs in a pattern, 0 for the rest.
	var used [256]bool
	for i, p := range patterns {
		if p == "" {
			return nil, ErrEmptyPattern
		}
		a.lens[i] = int32(len(p))
		for j := 0; j < len(p); j++ {
			used[p[j]] = true
		}
	}
	n := uint32(1)
	for b := 0; b < 256; b++ {
		if used[b] {
			n++
		}
	}
	if n > 256 {
		// Every byte occurs in some pattern: no class is left for "none of
		// them", so each byte is its own class.
		for b := 0; b < 256; b++ {
			a.classes[b] = uint8(b)
		}
		n = 256
	} else {
		n = 1
		for b := 0; b < 256; b++ {
			if used[b] {
				a.classes[b] = uint8(n)
				n++
			}
		}
	}
	a.nclass = n

	// Trie.
	type node struct {
		next map[uint8]int32
		fail int32
		out  []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for i, p := range patterns {
		s := int32(0)
		for j := 0; j < len(p); j++ {
			c := a.classes[p[j]]
			nx, ok := nodes[s].next[c]
			if !ok {
				nx = int32(len(nodes))
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(i))
	}

	// Breadth-first: failure links, inherited outputs, full transitions.
	N := len(nodes)
	delta := make([]int32, N*int(n))
	order := make([]int32, 0, N)
	order = append(order, 0)
	for c := uint32(0); c < n; c++ {
		if nx, ok := nodes[0].next[uint8(c)]; ok {
			delta[c] = nx
			nodes[nx].fail = 0
			order = append(order, nx)
		}
	}
	for q := 1; q < len(order); q++ {
		s := order[q]
		nodes[s].out = append(nodes[s].out, nodes[nodes[s].fail].out...)
		for c := uint32(0); c < n; c++ {
			if nx, ok := nodes[s].next[uint8(c)]; ok {
				delta[int(s)*int(n)+int(c)] = nx
				nodes[nx].fail = delta[int(nodes[s].fail)*int(n)+int(c)]
				order = append(order, nx)
			} else {
				delta[int(s)*int(n)+int(c)] = delta[int(nodes[s].fail)*int(n)+int(c)]
			}
		}
	}

	// Renumber: states with outputs first, so the scan tests one bound.
	newID := make([]uint32, N)
	var matchStates []int32
	next := uint32(0)
	for s := 0; s < N; s++ {
		if len(nodes[s].out) > 0 {
			newID[s] = next
			next++
			matchStates = append(matchStates, int32(s))
		}
	}
	a.matchLim = next * n
	for s := 0; s < N; s++ {
		if len(nodes[s].out) == 0 {
			newID[s] = next
			next++
		}
	}
	a.trans = make([]uint32, N*int(n))
	for s := 0; s < N; s++ {
		row := newID[s] * n
		for c := uint32(0); c < n; c++ {
			a.trans[row+c] = newID[delta[s*int(n)+int(c)]] * n
		}
	}
	a.start = newID[0] * n
	a.outStart = make([]uint32, len(matchStates)+1)
	for i, s := range matchStates {
		outs := append([]int32(nil), nodes[s].out...)
		sort.Slice(outs, func(x, y int) bool { return outs[x] < outs[y] })
		a.outs = append(a.outs, outs...)
		a.outStart[i+1] = uint32(len(a.outs))
	}
	return a, nil
}

// Patterns is the number of patterns compiled.
func (a *Automaton) Patterns() int { return len(a.lens) }

// States is the number of DFA states (a measure of memory: States times
// the number of byte classes words).
func (a *Automaton) States() int { return len(a.trans) / int(a.nclass) }

// Scan appends every occurrence of every pattern in text to dst, ordered by
// end position, and returns it. It allocates only when dst must grow.
func (a *Automaton) Scan(text []byte, dst []Hit) []Hit {
	s := a.start
	trans, classes, lim := a.trans, &a.classes, a.matchLim
	for i := 0; i < len(text); i++ {
		s = trans[s+uint32(classes[text[i]])]
		if s < lim {
			k := s / a.nclass
			end := int32(i + 1)
			for _, p := range a.outs[a.outStart[k]:a.outStart[k+1]] {
				dst = append(dst, Hit{Pattern: p, Start: end - a.lens[p], End: end})
			}
		}
	}
	return dst
}
