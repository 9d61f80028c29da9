package sms_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scamscreen/scamscreen/ingest/sms"
)

func TestDirectory(t *testing.T) {
	d := directory(t)
	for _, tc := range []struct {
		number string
		want   sms.Owner
		ok     bool
	}{
		{hanakoE164, sms.Owner{Household: "tanaka", Person: "hanako"}, true},
		{jiro, sms.Owner{Household: "tanaka", Person: "jiro"}, true},
		{sonE164, sms.Owner{Household: "tanaka", Person: "hanako", Contact: "ichiro"}, true},
		{hanako, sms.Owner{}, false}, // Lookup takes E.164 only
		{stranger, sms.Owner{}, false},
	} {
		got, ok := d.Lookup(tc.number)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v, %v", tc.number, got, ok, tc.want, tc.ok)
		}
	}
	want := []sms.Owner{
		{Household: "tanaka", Person: "hanako", Contact: "ichiro"},
		{Household: "tanaka", Person: "jiro", Contact: "ichiro"},
	}
	if d := cmp.Diff(want, d.Owners(sonE164)); d != "" {
		t.Errorf("Owners(son) (-want +got):\n%s", d)
	}
	if o := d.Owners(stranger); len(o) != 0 {
		t.Errorf("Owners(stranger) = %v, want none", o)
	}
}

func TestNewDirectoryErrors(t *testing.T) {
	p := sms.Owner{Household: "tanaka", Person: "hanako"}
	q := sms.Owner{Household: "tanaka", Person: "jiro"}
	c := sms.Owner{Household: "tanaka", Person: "jiro", Contact: "ichiro"}
	for _, tc := range []struct {
		name    string
		entries []sms.Entry
		want    string // in the error; "" for success
	}{
		{"same entry twice", []sms.Entry{{hanako, p}, {hanakoE164, p}}, ""},
		{"contact of two people", []sms.Entry{{son, c}, {son, sms.Owner{Household: "tanaka", Person: "hanako", Contact: "ichiro"}}}, ""},
		{"not a number", []sms.Entry{{"Amazon", p}}, "entry 0: not a phone number"},
		{"bad household", []sms.Entry{{hanako, sms.Owner{Household: "a.b", Person: "x"}}}, "household"},
		{"no person", []sms.Entry{{hanako, sms.Owner{Household: "h"}}}, "person"},
		{"bad contact", []sms.Entry{{hanako, sms.Owner{Household: "h", Person: "p", Contact: "*"}}}, "contact"},
		{"protected twice", []sms.Entry{{hanako, p}, {"+81 90 1234 5678", q}}, "entry 1: the number of entry 0 is also protected for two people"},
		{"person and contact", []sms.Entry{{hanako, p}, {hanako, c}}, "entry 1: the number of entry 0 is also a protected person's and a trusted contact's"},
		{"contact then person", []sms.Entry{{son, c}, {son, p}}, "entry 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sms.NewDirectory(tc.entries)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("NewDirectory() = %v, want success", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("NewDirectory() = %v, want an error with %q", err, tc.want)
			case err != nil && (strings.Contains(err.Error(), "1234") || strings.Contains(err.Error(), "3333")):
				t.Errorf("NewDirectory() error %q names a number", err)
			}
		})
	}
}
