package screen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/scamscreen/scamscreen/screen/phone"
	"github.com/scamscreen/scamscreen/screen/urls"
)

// Blocklist holds fraud numbers and domains an operator knows of (from the
// police, a consumer centre, their own cases). Matches are decisive
// evidence. It is immutable once loaded.
type Blocklist struct {
	numbers map[string]struct{}
	domains map[string]struct{}
}

// LoadBlocklistFile reads a blocklist file; see [LoadBlocklist].
func LoadBlocklistFile(path string) (*Blocklist, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("blocklist: %w", err)
	}
	defer f.Close()
	b, err := LoadBlocklist(f)
	if err != nil {
		return nil, fmt.Errorf("blocklist %s: %w", path, err)
	}
	return b, nil
}

// LoadBlocklist reads one entry per line: a telephone number in any usual
// form (050-1234-5678, +63 912 345 6789) or a domain (evil.top, *.evil.top).
// Blank lines and text after '#' are ignored. Every bad line is reported.
func LoadBlocklist(r io.Reader) (*Blocklist, error) {
	b := &Blocklist{numbers: map[string]struct{}{}, domains: map[string]struct{}{}}
	sc := bufio.NewScanner(r)
	var bad []string
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if num, ok := phone.Normalize(line); ok {
			b.numbers[num] = struct{}{}
			continue
		}
		host := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(line), "*."), ".")
		if f, ok := urls.Parse(host); ok && f.Host == host && f.Path == "" && f.Domain != "" {
			b.domains[host] = struct{}{}
			continue
		}
		bad = append(bad, fmt.Sprintf("line %d: %q is neither a telephone number nor a domain", n, line))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return b, nil
}

// Len reports the number of numbers and domains.
func (b *Blocklist) Len() (numbers, domains int) {
	if b == nil {
		return 0, 0
	}
	return len(b.numbers), len(b.domains)
}

func (b *Blocklist) hasNumber(e164 string) bool {
	if b == nil {
		return false
	}
	_, ok := b.numbers[e164]
	return ok
}
