package notify

import (
	"fmt"
	"slices"
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
// the window ends: the earliest instant after t at which the wall clock in
// loc reaches the end time. On the night a daylight-saving change sets the
// clocks back, the end time can happen twice and the first one after t
// counts (Europe/London, 22:00-01:30 on 2026-10-25: at 01:10 BST the
// window ends at 01:30 BST, not an hour later at 01:30 GMT; at 01:10 GMT,
// the second pass, it ends at 01:30 GMT). On the night the clocks go
// forward past the end time, the window ends at the change itself (the
// first instant whose wall clock is past the end time).
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
	// The end is on t's local date or the next one; a third day only
	// guards against zones that skip a whole day.
	for day := d; day <= d+2; day++ {
		for _, end := range wallInstants(y, mo, day, q.end/60, q.end%60, loc) {
			if end.After(t) {
				return end, true
			}
		}
	}
	// Not reached for real zones; keep the old answer rather than none.
	return time.Date(y, mo, d+1, q.end/60, q.end%60, 0, 0, loc), true
}

// wallOf is the wall clock of t in loc, written as a UTC time so that wall
// clocks compare as times.
func wallOf(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	y, mo, d := lt.Date()
	return time.Date(y, mo, d, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
}

// wallInstants returns, earliest first, the instants at which the wall
// clock in loc shows hh:mm on the given date (hh may be 24, the next
// day's 00:00): one on an ordinary day, two when a change back repeats
// that time, and, when a change forward skips it, the instant of the
// change, when the clock jumps past it.
func wallInstants(y int, mo time.Month, d, hh, mm int, loc *time.Location) []time.Time {
	want := time.Date(y, mo, d, hh, mm, 0, 0, time.UTC)
	// package time picks one of the zones around a repeated or skipped
	// time; the zones next to it give the other candidates.
	c := time.Date(y, mo, d, hh, mm, 0, 0, loc)
	start, end := c.ZoneBounds()
	var offsets []int
	if !start.IsZero() {
		_, off := start.Add(-time.Nanosecond).Zone()
		offsets = append(offsets, off)
	}
	_, off := c.Zone()
	offsets = append(offsets, off)
	if !end.IsZero() {
		_, off := end.Zone()
		offsets = append(offsets, off)
	}
	var out []time.Time
	for _, off := range offsets {
		x := want.Add(-time.Duration(off) * time.Second).In(loc)
		if wallOf(x, loc).Equal(want) && !slices.ContainsFunc(out, x.Equal) {
			out = append(out, x)
		}
	}
	if len(out) > 0 {
		slices.SortFunc(out, time.Time.Compare)
		return out
	}
	// Skipped: the change is the boundary of c's zone that the wall
	// clock jumps over hh:mm at.
	for _, b := range []time.Time{start, end} {
		if !b.IsZero() && wallOf(b.Add(-time.Nanosecond), loc).Before(want) && wallOf(b, loc).After(want) {
			return []time.Time{b.In(loc)}
		}
	}
	return []time.Time{c}
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
