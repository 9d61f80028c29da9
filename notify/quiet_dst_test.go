package notify_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/notify"
)

// dstZones are zones whose clocks change by an hour, by half an hour, or
// at midnight, and two that never change.
var dstZones = []string{"Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Tokyo", "UTC"}

// dstDays are 2026 dates near which some of dstZones change their clocks
// (London, New York, Lord Howe, Santiago; spring and autumn).
var dstDays = []time.Time{
	time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC),
	time.Date(2026, 4, 4, 15, 0, 0, 0, time.UTC),
	time.Date(2026, 10, 3, 15, 0, 0, 0, time.UTC),
	time.Date(2026, 4, 5, 3, 0, 0, 0, time.UTC),
	time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC),
}

// wall is t's wall clock in loc written as a UTC time, so wall clocks
// compare as times.
func wall(t time.Time, loc *time.Location) time.Time {
	lt := t.In(loc)
	y, mo, d := lt.Date()
	return time.Date(y, mo, d, lt.Hour(), lt.Minute(), lt.Second(), lt.Nanosecond(), time.UTC)
}

// reaches reports whether the wall clock reaches hh:mm (24:00 is the next
// day's 00:00) when it goes from a to b: shows it, or jumps past it.
func reaches(a, b time.Time, hh, mm int) bool {
	for _, day := range []time.Time{a, b} {
		y, mo, d := day.Date()
		e := time.Date(y, mo, d, hh, mm, 0, 0, time.UTC)
		if a.Before(e) && !b.Before(e) {
			return true
		}
	}
	return false
}

// FuzzQuietHoursUntilDST checks [notify.QuietHours.Until] around clock
// changes: t is quiet exactly when its wall clock is inside the window,
// and the window then ends at the earliest instant after t at which the
// wall clock reaches the end time, never later (the autumn change
// repeats an hour, and the first end time after t counts) and never
// earlier.
func FuzzQuietHoursUntilDST(f *testing.F) {
	// Europe/London, 2026-10-25, 01:10 BST: the window ends at 01:30 BST.
	f.Add(uint8(0), uint8(1), int16(10), "22:00-01:30")
	f.Add(uint8(0), uint8(1), int16(70), "22:00-01:30") // 01:10 GMT, the second pass
	f.Add(uint8(0), uint8(1), int16(-60), "22:00-01:30")
	f.Add(uint8(0), uint8(0), int16(-60), "22:00-01:30")
	f.Add(uint8(1), uint8(2), int16(-120), "22:00-02:30")
	f.Add(uint8(1), uint8(3), int16(-120), "23:00-01:15")
	f.Add(uint8(2), uint8(4), int16(35), "21:00-01:45")
	f.Add(uint8(3), uint8(7), int16(-60), "22:00-24:00")
	f.Add(uint8(4), uint8(0), int16(0), "00:00-24:00")
	f.Add(uint8(5), uint8(0), int16(600), "12:00-13:00")
	zones := make([]*time.Location, len(dstZones))
	for i, name := range dstZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatalf("LoadLocation(%s) = %v", name, err)
		}
		zones[i] = loc
	}
	f.Fuzz(func(t *testing.T, zone, day uint8, minutes int16, window string) {
		q, err := notify.ParseQuietHours(window)
		if err != nil || !q.IsSet() {
			return
		}
		var sh, sm, eh, em int
		if _, err := fmt.Sscanf(q.String(), "%d:%d-%d:%d", &sh, &sm, &eh, &em); err != nil {
			t.Fatalf("QuietHours(%s): %v", q, err)
		}
		start, end := sh*60+sm, eh*60+em
		loc := zones[int(zone)%len(zones)]
		// Within three days either side of a change, on a minute.
		at := dstDays[int(day)%len(dstDays)].Add(time.Duration(int(minutes)%(3*24*60)) * time.Minute)

		until, quiet := q.Until(at, loc)
		lt := at.In(loc)
		m := lt.Hour()*60 + lt.Minute()
		inside := start < end && m >= start && m < end || start > end && (m >= start || m < end)
		if quiet != inside {
			t.Fatalf("QuietHours(%s).Until(%s) quiet = %v, want %v", q, lt, quiet, inside)
		}
		if !quiet {
			return
		}
		if !until.After(at) || until.Sub(at) > 26*time.Hour {
			t.Fatalf("QuietHours(%s).Until(%s) = %s, want within 26h after", q, lt, until.In(loc))
		}
		hh, mm := eh, em
		endS := fmt.Sprintf("%02d:%02d", eh, em)
		if !reaches(wall(until.Add(-time.Nanosecond), loc), wall(until, loc), hh, mm) {
			t.Fatalf("QuietHours(%s).Until(%s) = %s: the wall clock does not reach %s there", q, lt, until.In(loc), endS)
		}
		for a := at; a.Add(time.Minute).Before(until); a = a.Add(time.Minute) {
			b := a.Add(time.Minute)
			if reaches(wall(a, loc), wall(b, loc), hh, mm) {
				t.Fatalf("QuietHours(%s).Until(%s) = %s, but the wall clock reaches %s earlier, at %s", q, lt, until.In(loc), endS, b.In(loc))
			}
		}
	})
}
