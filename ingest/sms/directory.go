package sms

import (
	"errors"
	"fmt"
	"slices"

	"github.com/scamscreen/scamscreen/event"
)

// Owner is who a phone number belongs to. For a protected person's own
// number Contact is empty; for a trusted contact's number Contact is the
// contact's id and Household and Person name the person they watch over.
type Owner struct {
	Household string
	Person    string
	Contact   string
}

// IsContact reports whether o is a trusted contact rather than a protected
// person.
func (o Owner) IsContact() bool { return o.Contact != "" }

// Directory maps phone numbers in E.164 form ([Normalize]) to their owners.
// The CLI builds it from the households in the configuration; tests build
// it with [NewDirectory]. Lookup must be safe for concurrent use.
type Directory interface {
	Lookup(e164 string) (Owner, bool)
}

// OwnerLister is an optional capability of a [Directory]: a trusted
// contact who watches over several people owns their number once per
// person. When the Directory implements it, a contact's reply acknowledges
// the alerts of every person they watch over; otherwise only those of the
// person Lookup returns.
type OwnerLister interface {
	Owners(e164 string) []Owner
}

// Entry is one number of a [StaticDirectory]: Number in any form
// [Normalize] accepts.
type Entry struct {
	Number string
	Owner  Owner
}

// StaticDirectory is an immutable [Directory] and [OwnerLister] built from
// a list of entries. It is safe for concurrent use.
type StaticDirectory struct {
	owners map[string][]Owner
}

var (
	_ Directory   = (*StaticDirectory)(nil)
	_ OwnerLister = (*StaticDirectory)(nil)
)

// NewDirectory builds a StaticDirectory. It fails, naming the entries by
// index and never by number, when a number cannot be normalised, an id is
// not a valid subject token, a protected number belongs to two people, or
// a number is both a protected person's and a trusted contact's. A contact
// may watch over several people; the same entry given twice is harmless.
func NewDirectory(entries []Entry) (*StaticDirectory, error) {
	d := &StaticDirectory{owners: make(map[string][]Owner, len(entries))}
	first := make(map[string]int, len(entries)) // number -> index of its first entry
	var errs []error
	for i, e := range entries {
		n, ok := Normalize(e.Number)
		if !ok {
			errs = append(errs, fmt.Errorf("entry %d: not a phone number in E.164 or Japanese national form", i))
			continue
		}
		if err := checkOwner(e.Owner); err != nil {
			errs = append(errs, fmt.Errorf("entry %d: %w", i, err))
			continue
		}
		have := d.owners[n]
		if slices.Contains(have, e.Owner) {
			continue
		}
		if len(have) > 0 && (!have[0].IsContact() || !e.Owner.IsContact()) {
			what := "a protected person's and a trusted contact's"
			if !have[0].IsContact() && !e.Owner.IsContact() {
				what = "protected for two people"
			}
			errs = append(errs, fmt.Errorf("entry %d: the number of entry %d is also %s", i, first[n], what))
			continue
		}
		if len(have) == 0 {
			first[n] = i
		}
		d.owners[n] = append(have, e.Owner)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sms directory: %w", err)
	}
	return d, nil
}

func checkOwner(o Owner) error {
	if err := event.CheckToken("household", o.Household); err != nil {
		return err
	}
	if err := event.CheckToken("person", o.Person); err != nil {
		return err
	}
	if o.Contact != "" {
		return event.CheckToken("contact", o.Contact)
	}
	return nil
}

// Lookup returns the owner of e164; for a contact of several people, the
// first one given.
func (d *StaticDirectory) Lookup(e164 string) (Owner, bool) {
	o := d.owners[e164]
	if len(o) == 0 {
		return Owner{}, false
	}
	return o[0], true
}

// Owners returns every owner of e164, in the order given.
func (d *StaticDirectory) Owners(e164 string) []Owner {
	return slices.Clone(d.owners[e164])
}
