package normalize

import "strings"

// Skeleton returns the look-alike skeleton of a folded Latin token: digits and
// symbols that imitate letters become those letters (0→o, 1→l, 3→e, 4→a,
// 5→s, 7→t, @→a, $→s, !→i, |→l) and letter pairs that imitate one letter are
// merged (rn→m, vv→w). "amaz0n" and "arnazon" both give "amazon". It is only
// meant for comparing a token with brand names: digits carry meaning
// everywhere else.
func Skeleton(token string) string {
	var b strings.Builder
	b.Grow(len(token))
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch c {
		case '0':
			c = 'o'
		case '1', '|':
			c = 'l'
		case '3':
			c = 'e'
		case '4', '@':
			c = 'a'
		case '5', '$':
			c = 's'
		case '7':
			c = 't'
		case '!':
			c = 'i'
		case 'r':
			if i+1 < len(token) && token[i+1] == 'n' {
				c = 'm'
				i++
			}
		case 'v':
			if i+1 < len(token) && token[i+1] == 'v' {
				c = 'w'
				i++
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
