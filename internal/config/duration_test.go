package config_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/scamscreen/scamscreen/internal/config"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"-0", 0},
		{"0s", 0},
		{"1ns", 1},
		{"1.5ns", 1},
		{"500ms", 500 * time.Millisecond},
		{"1us", time.Microsecond},
		{"1µs", time.Microsecond},
		{"1h30m", 90 * time.Minute},
		{".5h", 30 * time.Minute},
		{"5.m", 5 * time.Minute},
		{"90d", 90 * 24 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"1.5d", 36 * time.Hour},
		{"1w2d3h4m5s", (9*24+3)*time.Hour + 4*time.Minute + 5*time.Second},
		{"12h1d", 36 * time.Hour},
		{"-1d", -24 * time.Hour},
		{"+2h", 2 * time.Hour},
		{"2562047h47m16.854775807s", math.MaxInt64},
		{"-2562047h47m16.854775808s", math.MinInt64},
	}
	for _, tt := range tests {
		got, err := config.ParseDuration(tt.in)
		if err != nil || got.Std() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", tt.in, got.Std(), err, tt.want)
		}
	}
}

func TestParseDurationErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `invalid duration "": want a number and a unit`},
		{"-", `invalid duration "-": want a number and a unit`},
		{"30", `invalid duration "30": missing unit after 30`},
		{"1h30", `missing unit after 30`},
		{"d", `invalid duration "d": want a number and a unit`},
		{"1..5h", `want a number and a unit`},
		{".h", `want a number and a unit`},
		{"1y", `unknown unit "y"`},
		{"1 h", `unknown unit " h"`},
		{"1H", `unknown unit "H"`},
		{"5 minutes", `unknown unit " minutes"`},
		{"--1h", `want a number and a unit`},
		{"2562047h47m16.854775808s", "out of range"},
		{"15251w", "out of range"},
		{"1e3s", `unknown unit "e"`},
	}
	for _, tt := range tests {
		_, err := config.ParseDuration(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDuration(%q) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestDurationString(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{time.Nanosecond, "1ns"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
		{36 * time.Hour, "1d12h"},
		{90 * 24 * time.Hour, "90d"},
		{14 * 24 * time.Hour, "2w"},
		{14*24*time.Hour + time.Minute, "2w1m"},
		{-36 * time.Hour, "-1d12h"},
		{math.MaxInt64, "106751d23h47m16.854775807s"},
		{math.MinInt64, "-106751d23h47m16.854775808s"},
	}
	for _, tt := range tests {
		d := config.Duration(tt.d)
		if got := d.String(); got != tt.want {
			t.Errorf("Duration(%d).String() = %q, want %q", int64(tt.d), got, tt.want)
		}
		back, err := config.ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v, want %d", d.String(), int64(back), err, int64(tt.d))
		}
	}
}

func TestDurationMarshal(t *testing.T) {
	type doc struct {
		D config.Duration `yaml:"d" json:"d"`
	}
	in := doc{D: config.Duration(36 * time.Hour)}
	j, err := json.Marshal(in)
	if err != nil || string(j) != `{"d":"1d12h"}` {
		t.Fatalf("json.Marshal() = %s, %v, want {\"d\":\"1d12h\"}", j, err)
	}
	var out doc
	if err := json.Unmarshal(j, &out); err != nil || out != in {
		t.Errorf("json.Unmarshal(%s) = %+v, %v, want %+v", j, out, err, in)
	}
	if err := json.Unmarshal([]byte(`{"d":"soon"}`), &out); err == nil {
		t.Errorf("json.Unmarshal(soon) = nil, want error")
	}
	y, err := yaml.Marshal(in)
	if err != nil || string(y) != "d: 1d12h\n" {
		t.Fatalf("yaml.Marshal() = %q, %v, want d: 1d12h", y, err)
	}
	out = doc{}
	if err := yaml.Unmarshal(y, &out); err != nil || out != in {
		t.Errorf("yaml.Unmarshal(%q) = %+v, %v, want %+v", y, out, err, in)
	}
}

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"1048576", 1 << 20},
		{"512B", 512},
		{"512b", 512},
		{"256KiB", 256 << 10},
		{"256kib", 256 << 10},
		{"1MiB", 1 << 20},
		{"1.5MiB", 3 << 19},
		{"2GB", 2e9},
		{"2 GB", 2e9},
		{" 2GB ", 2e9},
		{"1kB", 1000},
		{"3TiB", 3 << 40},
		{"1PB", 1e15},
		{"0.5KB", 500},
		{"8191PiB", 8191 << 50},
	}
	for _, tt := range tests {
		got, err := config.ParseByteSize(tt.in)
		if err != nil || int64(got) != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v, want %d", tt.in, int64(got), err, tt.want)
		}
	}
}

func TestParseByteSizeErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "want a number of bytes"},
		{"MiB", "want a number of bytes"},
		{"-1", "want a number of bytes"},
		{"1.2.3", "want a number of bytes"},
		{"1M", `unknown unit "M"`},
		{"1 mebibyte", `unknown unit "mebibyte"`},
		{"1  MiB", `unknown unit " MiB"`},
		{"1.0001KiB", "not a whole number of bytes"},
		{"0.1B", "not a whole number of bytes"},
		{"8192PiB", "too large"},
		{"99999999999999999999", "too large"},
	}
	for _, tt := range tests {
		_, err := config.ParseByteSize(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseByteSize(%q) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	tests := []struct {
		b    int64
		want string
	}{
		{0, "0"},
		{1, "1"},
		{1000, "1KB"},
		{1024, "1KiB"},
		{1500, "1500"},
		{1 << 20, "1MiB"},
		{3 << 19, "1536KiB"},
		{2e9, "2GB"},
		{-2048, "-2KiB"},
		{math.MaxInt64, "9223372036854775807"},
	}
	for _, tt := range tests {
		b := config.ByteSize(tt.b)
		if got := b.String(); got != tt.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", tt.b, got, tt.want)
		}
		if tt.b < 0 {
			continue // negative sizes print but do not parse.
		}
		back, err := config.ParseByteSize(b.String())
		if err != nil || back != b {
			t.Errorf("ParseByteSize(%q) = %d, %v, want %d", b.String(), int64(back), err, tt.b)
		}
	}
}

func TestByteSizeMarshal(t *testing.T) {
	type doc struct {
		B config.ByteSize `yaml:"b" json:"b"`
	}
	in := doc{B: 256 << 10}
	j, err := json.Marshal(in)
	if err != nil || string(j) != `{"b":"256KiB"}` {
		t.Fatalf("json.Marshal() = %s, %v, want {\"b\":\"256KiB\"}", j, err)
	}
	var out doc
	if err := json.Unmarshal(j, &out); err != nil || out != in {
		t.Errorf("json.Unmarshal(%s) = %+v, %v, want %+v", j, out, err, in)
	}
	y, err := yaml.Marshal(in)
	if err != nil || string(y) != "b: 256KiB\n" {
		t.Fatalf("yaml.Marshal() = %q, %v", y, err)
	}
	out = doc{}
	if err := yaml.Unmarshal([]byte("b: 1048576\n"), &out); err != nil || out.B != 1<<20 {
		t.Errorf("yaml.Unmarshal(b: 1048576) = %+v, %v, want 1MiB", out, err)
	}
}

func BenchmarkParseDuration(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := config.ParseDuration("1w2d3h4m5s"); err != nil {
			b.Fatal(err)
		}
	}
}
