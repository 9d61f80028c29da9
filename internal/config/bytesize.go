package config

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ByteSize is a size in bytes, written in configs as a plain number of bytes
// ("1048576") or with a unit: decimal kB/KB, MB, GB, TB, PB (powers of 1000)
// or binary KiB, MiB, GiB, TiB, PiB (powers of 1024). Units are case-
// insensitive, may follow a space, and "B" alone means bytes. A fraction is
// allowed when the result is a whole number of bytes ("1.5MiB").
type ByteSize int64

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

// ParseByteSize parses a size such as "256KiB", "1MiB", "2GB" or "1048576".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, rawUnit := t[:i], strings.TrimPrefix(t[i:], " ")
	unit := strings.ToLower(rawUnit)
	if num == "" || num == "." || strings.Count(num, ".") > 1 {
		return 0, fmt.Errorf("invalid size %q: want a number of bytes or a number and a unit, such as 256KiB, 1MiB or 2GB", s)
	}
	mult, ok := sizeUnits[unit]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB)", s, rawUnit)
	}
	v, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("invalid size %q: bad number %q", s, num)
	}
	v.Mul(v, new(big.Rat).SetInt64(mult))
	if !v.IsInt() {
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	}
	if !v.Num().IsInt64() {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return ByteSize(v.Num().Int64()), nil
}

// String formats b with the largest unit that divides it exactly: 1048576
// is "1MiB", 2000000000 "2GB", 1000 "1KB", 1500 "1500".
func (b ByteSize) String() string {
	if b == 0 {
		return "0"
	}
	sign, u := "", uint64(b)
	if b < 0 {
		sign, u = "-", -u
	}
	for _, x := range [...]struct {
		name string
		n    uint64
	}{
		{"PiB", 1 << 50}, {"PB", 1e15}, {"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30},
		{"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3},
	} {
		if u%x.n == 0 {
			return sign + strconv.FormatUint(u/x.n, 10) + x.name
		}
	}
	return sign + strconv.FormatUint(u, 10)
}

// MarshalText implements encoding.TextMarshaler (and so JSON).
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (and so JSON).
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalYAML writes b as a string such as "256KiB".
func (b ByteSize) MarshalYAML() (any, error) { return b.String(), nil }

// UnmarshalYAML reads a size scalar (a number or a string with a unit),
// reporting a bad one with its line.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return NodeError(n, "want a size such as 256KiB, 1MiB, 2GB or 1048576")
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return NodeError(n, "%v", err)
	}
	*b = v
	return nil
}
