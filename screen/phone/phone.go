package phone

import (
	"strings"
)

// Kind is the kind of line a number belongs to.
type Kind uint8

// Kinds of numbers.
const (
	Landline      Kind = iota + 1 // 0X-XXXX-XXXX, 10 digits
	Mobile                        // 070/080/090
	IPPhone                       // 050
	TollFree                      // 0120, 0800
	Navi                          // 0570 shared-cost
	Premium                       // 0990 information services
	International                 // another country (+, or the 010 prefix from Japan)
)

var kindNames = [...]string{"", "landline", "mobile", "ip_phone", "toll_free", "navi_dial", "premium", "international"}

// String returns the snake_case name of k.
func (k Kind) String() string {
	if int(k) < len(kindNames) && k > 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Number is one number found. Start and End are byte offsets into the
// folded text given to Find.
type Number struct {
	// E164 is the number in international form: "+81501234567x" for a
	// Japanese number, "+63..." for others. It is personal data: never log
	// it.
	E164       string
	Kind       Kind
	Start, End int
}

// Find appends the telephone numbers in text to dst.
func Find(text []byte, dst []Number) []Number {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if !(c >= '0' && c <= '9' || c == '+' || c == '(') {
			continue
		}
		if i > 0 && isAlnum(text[i-1]) {
			// Inside a word or a longer number: skip to the end of it.
			for i < len(text) && (isAlnum(text[i]) || text[i] == '-') {
				i++
			}
			continue
		}
		n, end, ok := scan(text, i)
		if ok {
			n.Start, n.End = i, end
			dst = append(dst, n)
		}
		if end > i {
			i = end - 1
		}
	}
	return dst
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// scan reads a candidate number at text[i:]: digits in groups separated by
// single '-', '.', ' ', or parentheses, with an optional leading '+'.
func scan(text []byte, i int) (Number, int, bool) {
	var digits [20]byte
	nd := 0
	plus := false
	j := i
	if text[j] == '+' {
		plus = true
		j++
	}
	lastSep := true // no separator may lead
	open := false
	for j < len(text) {
		c := text[j]
		switch {
		case c >= '0' && c <= '9':
			if nd == len(digits) {
				return Number{}, j, false
			}
			digits[nd] = c
			nd++
			lastSep = false
		case c == '(' && !open && (nd == 0 || lastSep || text[j-1] != '('):
			open = true
			lastSep = true
		case c == ')' && open && !lastSep:
			open = false // a separator may follow: "(03) 1234-5678"
		case (c == '-' || c == '.' || c == ' ') && !lastSep && j+1 < len(text) && (text[j+1] >= '0' && text[j+1] <= '9' || text[j+1] == '('):
			lastSep = true
		default:
			goto done
		}
		j++
	}
done:
	end := j
	for end > i && (text[end-1] == ' ' || text[end-1] == '-' || text[end-1] == '.' || text[end-1] == '(') {
		end--
	}
	if end < len(text) && isAlnum(text[end]) {
		return Number{}, end, false
	}
	d := string(digits[:nd])
	if plus {
		return international(d, end)
	}
	if strings.HasPrefix(d, "010") && nd >= 11 { // international call prefix from Japan
		return international(d[3:], end)
	}
	return domestic(d, end)
}

func international(d string, end int) (Number, int, bool) {
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return Number{}, end, false
	}
	if strings.HasPrefix(d, "81") {
		n, e, ok := domestic("0"+d[2:], end)
		return n, e, ok
	}
	return Number{E164: "+" + d, Kind: International}, end, true
}

func domestic(d string, end int) (Number, int, bool) {
	if len(d) < 10 || len(d) > 11 || d[0] != '0' || d[1] == '0' {
		return Number{}, end, false
	}
	var k Kind
	switch {
	case strings.HasPrefix(d, "0120"), strings.HasPrefix(d, "0800") && len(d) == 11:
		k = TollFree
	case strings.HasPrefix(d, "0570"):
		k = Navi
	case strings.HasPrefix(d, "0990"):
		k = Premium
	case len(d) == 11 && strings.HasPrefix(d, "050"):
		k = IPPhone
	case len(d) == 11 && (strings.HasPrefix(d, "070") || strings.HasPrefix(d, "080") || strings.HasPrefix(d, "090")):
		k = Mobile
	case len(d) == 10:
		k = Landline
	default:
		return Number{}, end, false
	}
	if k == TollFree && len(d) != 10 && !strings.HasPrefix(d, "0800") {
		return Number{}, end, false
	}
	return Number{E164: "+81" + d[1:], Kind: k}, end, true
}

// Normalize turns a number as an operator writes it in a list (domestic or
// international, with any separators) into the E164 form Find reports. ok
// is false when it is not a telephone number.
func Normalize(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '+' && b.Len() == 0:
			b.WriteByte(c)
		case c == '-' || c == ' ' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	n := Find([]byte(b.String()), nil)
	if len(n) != 1 || n[0].Start != 0 || n[0].End != b.Len() {
		return "", false
	}
	return n[0].E164, true
}
