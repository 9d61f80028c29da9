package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/scamscreen/scamscreen/internal/config"
)

// QuietHours is a daily window, in the recipient's time zone, in which
// non-urgent alerts wait. It is written "22:00-07:00"; a window that ends
// before it starts wraps past midnight. The zero value is no window.
type QuietHours struct {
	start, end int // minutes after midnight
	set        bool
}

// ParseQuietHours reads "HH:MM-HH:MM". An empty string is no window. Start
// and end must differ.
func ParseQuietHours(s string) (QuietHours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return QuietHours{}, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM, such as 22:00-07:00", s)
	}
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if err1 != nil || err2 != nil {
		return QuietHours{}, fmt.Errorf("quiet hours %q: want HH:MM-HH:MM with hours 00-24 and minutes 00-59", s)
	}
	if start == end {
		return QuietHours{}, fmt.Errorf("quiet hours %q: start and end are the same", s)
	}
	return QuietHours{start: start, end: end, set: true}, nil
}

// MustQuietHours is [ParseQuietHours] for constants in tests and examples;
// it panics on a bad value.
func MustQuietHours(s string) QuietHours {
	q, err := ParseQuietHours(s)
	if err != nil {
		panic(err)
	}
	return q
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(m) != 2 || len(h) == 0 || len(h) > 2 {
		return 0, fmt.Errorf("bad clock")
	}
	hh, err := strconv.Atoi(h)
	if err != nil || hh < 0 || hh > 24 {
		return 0, fmt.Errorf("bad hour")
	}
	mm, err := strconv.Atoi(m)
	if err != nil || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("bad minute")
	}
	return hh*60 + mm, nil
}

// IsSet reports whether q is a window.
func (q QuietHours) IsSet() bool { return q.set }

// String formats q as "HH:MM-HH:MM", or "" when unset.
func (q QuietHours) String() string {
	if !q.set {
		return ""
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d", q.start/60, q.start%60, q.end/60, q.end%60)
}

// Until reports whether t falls inside the window in loc, and if so when
// the window ends: the first instant at or after t whose wall clock in loc
// is the end time. Wall-clock times that a daylight-saving change skips are
// resolved as package time does (normalised forward).
func (q QuietHours) Until(t time.Time, loc *time.Location) (time.Time, bool) {
	if !q.set {
		return time.Time{}, false
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	minute := lt.Hour()*60 + lt.Minute()
	var inside bool
	if q.start < q.end {
		inside = minute >= q.start && minute < q.end
	} else {
		inside = minute >= q.start || minute < q.end
	}
	if !inside {
		return time.Time{}, false
	}
	y, mo, d := lt.Date()
	end := time.Date(y, mo, d, q.end/60, q.end%60, 0, 0, loc)
	if !end.After(t) {
		end = time.Date(y, mo, d+1, q.end/60, q.end%60, 0, 0, loc)
	}
	return end, true
}

// MarshalText writes q as "HH:MM-HH:MM".
func (q QuietHours) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText reads "HH:MM-HH:MM".
func (q *QuietHours) UnmarshalText(b []byte) error {
	v, err := ParseQuietHours(string(b))
	if err != nil {
		return err
	}
	*q = v
	return nil
}

// UnmarshalYAML reads "HH:MM-HH:MM", reporting a bad value with its line.
func (q *QuietHours) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return config.NodeError(n, "want quiet hours such as \"22:00-07:00\"")
	}
	v, err := ParseQuietHours(n.Value)
	if err != nil {
		return config.NodeError(n, "%v", err)
	}
	*q = v
	return nil
}

// MarshalYAML writes q as a string.
func (q QuietHours) MarshalYAML() (any, error) { return q.String(), nil }
