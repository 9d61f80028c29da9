package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

// Duration is a time.Duration that is written in configs as Go writes
// durations ("1h30m", "500ms") or with days and weeks ("90d", "2w",
// "1d12h"). A day is always 24 hours. Numbers may have a fraction ("1.5d");
// what is left below a nanosecond is dropped, as time.ParseDuration does.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// durationUnits maps unit names to nanoseconds.
var durationUnits = map[string]int64{
	"ns": 1,
	"us": int64(time.Microsecond), "µs": int64(time.Microsecond), "μs": int64(time.Microsecond),
	"ms": int64(time.Millisecond),
	"s":  int64(time.Second),
	"m":  int64(time.Minute),
	"h":  int64(time.Hour),
	"d":  int64(day),
	"w":  int64(week),
}

// ParseDuration parses a duration such as "90d", "2w", "1d12h" or "1h30m".
// A leading sign is allowed; "0" needs no unit.
func ParseDuration(s string) (Duration, error) {
	orig := s
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if s == "0" {
		return 0, nil
	}
	if s == "" {
		return 0, fmt.Errorf("invalid duration %q: want a number and a unit, such as 30s, 5m, 2h, 90d or 2w", orig)
	}
	total := new(big.Rat)
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num := s[:i]
		if num == "" || num == "." || strings.Count(num, ".") > 1 {
			return 0, fmt.Errorf("invalid duration %q: want a number and a unit, such as 30s, 5m, 2h, 90d or 2w", orig)
		}
		s = s[i:]
		j := 0
		for j < len(s) && !(s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
			j++
		}
		unit := s[:j]
		s = s[j:]
		if unit == "" {
			return 0, fmt.Errorf("invalid duration %q: missing unit after %s (ns, us, ms, s, m, h, d or w)", orig, num)
		}
		ns, ok := durationUnits[unit]
		if !ok {
			return 0, fmt.Errorf("invalid duration %q: unknown unit %q (ns, us, ms, s, m, h, d or w)", orig, unit)
		}
		v, ok := new(big.Rat).SetString(num)
		if !ok {
			return 0, fmt.Errorf("invalid duration %q: bad number %q", orig, num)
		}
		total.Add(total, v.Mul(v, new(big.Rat).SetInt64(ns)))
	}
	n := new(big.Int).Quo(total.Num(), total.Denom())
	if neg {
		n.Neg(n)
	}
	if !n.IsInt64() {
		return 0, fmt.Errorf("invalid duration %q: out of range (about ±292 years)", orig)
	}
	return Duration(n.Int64()), nil
}

// String formats d's whole days as weeks when they are a whole number of
// weeks and as days otherwise, then the rest as Go does without zero parts:
// "90d" stays "90d", 14 days are "2w", 36 hours "1d12h", 90 minutes "1h30m".
// ParseDuration reads it back to the same value.
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	u := uint64(d)
	if d < 0 {
		b.WriteByte('-')
		u = -u // two's complement: right for math.MinInt64 too.
	}
	if days := u / uint64(day); days > 0 {
		if days%7 == 0 {
			b.WriteString(strconv.FormatUint(days/7, 10))
			b.WriteByte('w')
		} else {
			b.WriteString(strconv.FormatUint(days, 10))
			b.WriteByte('d')
		}
		u %= uint64(day)
	}
	if u > 0 {
		rest := time.Duration(u).String() // u < one day, so it fits.
		if strings.HasSuffix(rest, "m0s") {
			rest = rest[:len(rest)-2]
		}
		if strings.HasSuffix(rest, "h0m") {
			rest = rest[:len(rest)-2]
		}
		b.WriteString(rest)
	}
	return b.String()
}

// MarshalText implements encoding.TextMarshaler (and so JSON).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (and so JSON).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes d as a string such as "1d12h".
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML reads a duration scalar, reporting a bad one with its line.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return NodeError(n, "want a duration such as 30s, 5m, 2h, 90d or 2w")
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return NodeError(n, "%v", err)
	}
	*d = v
	return nil
}
