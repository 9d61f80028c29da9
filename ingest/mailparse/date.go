package mailparse

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
)

// zoneOffsets are the zone names seen in Date headers, in seconds east of
// UTC. time.Parse would read an unknown name as UTC, which is nine hours off
// for "JST".
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
	"JST": 9 * 3600, "KST": 9 * 3600, "HKT": 8 * 3600, "SGT": 8 * 3600, "CST8": 8 * 3600,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
	"BST": 3600, "CET": 3600, "CEST": 2 * 3600, "MET": 3600, "MEST": 2 * 3600,
	"EET": 2 * 3600, "EEST": 3 * 3600, "IST": 5*3600 + 1800, "MSK": 3 * 3600,
	"AEST": 10 * 3600, "AEDT": 11 * 3600, "NZST": 12 * 3600, "NZDT": 13 * 3600,
}

var monthNames = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// parseDate reads a Date header, tolerating what mailers get wrong: a
// missing or misspelt weekday, two-digit years, missing seconds, zone names
// instead of offsets, "GMT+0900", offsets without sign or with a colon,
// asctime order, ISO 8601, comments and stray punctuation. It returns the
// instant in UTC, or the zero time when the value cannot be read.
func parseDate(v string) time.Time {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 200 {
		return time.Time{}
	}
	// The usual forms first: time.Parse is cheap when it matches.
	for _, layout := range []string{"Mon, 2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 -0700"} {
		if t, err := time.Parse(layout, v); err == nil {
			return sane(t)
		}
	}
	if t, err := mail.ParseDate(v); err == nil && !hasZoneName(v) {
		return sane(t)
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05Z07:00", "2006/01/02 15:04:05 -0700", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return sane(t)
		}
	}
	return sane(parseDateTokens(v))
}

// sane rejects dates no real mail carries and returns t in UTC.
func sane(t time.Time) time.Time {
	if t.IsZero() || t.Year() < 1970 || t.Year() > 2200 {
		return time.Time{}
	}
	return t.UTC()
}

// hasZoneName reports whether v names its zone instead of (or besides) a
// numeric offset, in which case mail.ParseDate may have guessed UTC.
func hasZoneName(v string) bool {
	s, _ := stripComments(v)
	f := strings.Fields(s)
	if len(f) == 0 {
		return false
	}
	last := f[len(f)-1]
	if last == "" || last[0] == '+' || last[0] == '-' {
		return false
	}
	_, known := zoneOffsets[strings.ToUpper(last)]
	return known && strings.ToUpper(last) != "UT" && strings.ToUpper(last) != "GMT" && strings.ToUpper(last) != "UTC"
}

// parseDateTokens is the fallback: it classifies each token instead of
// matching a layout.
func parseDateTokens(v string) time.Time {
	s, _ := stripComments(v)
	s = strings.NewReplacer(",", " ", ".", " ", "/", " ").Replace(s)
	var (
		day, year, hour, min, sec = -1, -1, -1, -1, 0
		month                     time.Month
		offset                    = 0
		haveZone                  bool
	)
	for _, tok := range strings.Fields(s) {
		// "13-Sep-2002" and "2002-09-13": split dashed dates, not offsets.
		if strings.Count(tok, "-") >= 2 && tok[0] != '-' {
			parts := strings.Split(tok, "-")
			if len(parts) == 3 {
				if n, err := strconv.Atoi(parts[0]); err == nil && n > 31 {
					year = n
					if m, err := strconv.Atoi(parts[1]); err == nil && m >= 1 && m <= 12 {
						month = time.Month(m)
					}
					if d, err := strconv.Atoi(parts[2]); err == nil {
						day = d
					}
					continue
				}
				for _, p := range parts {
					classifyDateToken(p, &day, &month, &year)
				}
				continue
			}
		}
		if strings.Contains(tok, ":") && tok[0] >= '0' && tok[0] <= '9' {
			// 23:14:55, possibly with an offset glued on.
			clock := tok
			if i := strings.IndexAny(tok, "+-"); i > 0 {
				clock = tok[:i]
				if off, ok := parseOffset(tok[i:]); ok {
					offset, haveZone = off, true
				}
			}
			f := strings.Split(clock, ":")
			if len(f) >= 2 {
				h, err1 := strconv.Atoi(f[0])
				m, err2 := strconv.Atoi(f[1])
				if err1 == nil && err2 == nil {
					hour, min = h, m
					if len(f) >= 3 {
						if sv, err := strconv.Atoi(f[2]); err == nil {
							sec = sv
						}
					}
				}
			}
			continue
		}
		if tok[0] == '+' || tok[0] == '-' {
			if off, ok := parseOffset(tok); ok {
				offset, haveZone = off, true
			}
			continue
		}
		up := strings.ToUpper(tok)
		if off, ok := zoneOffsets[up]; ok {
			if !haveZone {
				offset, haveZone = off, true
			}
			continue
		}
		if strings.HasPrefix(up, "GMT") || strings.HasPrefix(up, "UTC") {
			if off, ok := parseOffset(up[3:]); ok {
				offset, haveZone = off, true
			}
			continue
		}
		classifyDateToken(tok, &day, &month, &year)
	}
	if day < 1 || day > 31 || month == 0 || year < 0 || hour < 0 || hour > 24 || min < 0 || min > 59 || sec < 0 || sec > 60 {
		return time.Time{}
	}
	if year < 100 {
		if year < 50 {
			year += 2000
		} else {
			year += 1900
		}
	}
	t := time.Date(year, month, day, hour, min, sec, 0, time.FixedZone("", offset))
	if t.Day() != day {
		return time.Time{} // 31 February
	}
	return t
}

func classifyDateToken(tok string, day *int, month *time.Month, year *int) {
	if len(tok) >= 3 {
		if m, ok := monthNames[strings.ToLower(tok[:3])]; ok && !isDigits(tok) {
			if *month == 0 {
				*month = m
			}
			return
		}
	}
	if !isDigits(tok) {
		return // weekday or noise
	}
	n, err := strconv.Atoi(tok)
	if err != nil {
		return
	}
	switch {
	case len(tok) == 4 || n > 31:
		if *year < 0 {
			*year = n
		}
	case *day < 0:
		*day = n
	case *year < 0:
		*year = n
	}
}

// parseOffset reads "+0900", "+09:00", "+900", "+9".
func parseOffset(s string) (int, bool) {
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	d := strings.ReplaceAll(s[1:], ":", "")
	if !isDigits(d) || len(d) > 4 {
		return 0, false
	}
	var h, m int
	switch len(d) {
	case 1, 2:
		h, _ = strconv.Atoi(d)
	case 3:
		h, _ = strconv.Atoi(d[:1])
		m, _ = strconv.Atoi(d[1:])
	case 4:
		h, _ = strconv.Atoi(d[:2])
		m, _ = strconv.Atoi(d[2:])
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
