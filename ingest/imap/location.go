package imap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/scamscreen/scamscreen/event"
)

// LocationBucket is the name of the key-value bucket that maps message ids
// to where the mail lives, for [Actions]. Entries are written once per
// mail; give the bucket a MaxAge (LocationMaxAge is a good value) so it
// does not grow forever.
const LocationBucket = "scamscreen_imap_loc"

// LocationMaxAge is the suggested MaxAge of [LocationBucket]: verdicts
// normally come within seconds, and a scam action on a month-old mail
// helps nobody.
const LocationMaxAge = 30 * 24 * time.Hour

// Location is where a mail lives on its IMAP server.
type Location struct {
	Mailbox     string `json:"mailbox"`
	Folder      string `json:"folder"`
	UIDValidity uint32 `json:"uidvalidity"`
	UID         uint32 `json:"uid"`
}

// LocationRecorder records where a published mail lives.
type LocationRecorder interface {
	Record(ctx context.Context, messageID string, loc Location) error
}

// Locator finds where a published mail lives. ok is false when it is not
// known.
type Locator interface {
	Locate(ctx context.Context, messageID string) (loc Location, ok bool, err error)
}

// LocationFromMessage reads the location the worker wrote into a
// published message's headers ([HeaderMailbox] and friends).
func LocationFromMessage(msg *event.Message) (Location, bool) {
	get := func(k string) string {
		if v := msg.Headers[k]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
	uv, err1 := strconv.ParseUint(get(HeaderUIDValidity), 10, 32)
	uid, err2 := strconv.ParseUint(get(HeaderUID), 10, 32)
	loc := Location{Mailbox: get(HeaderMailbox), Folder: get(HeaderFolder), UIDValidity: uint32(uv), UID: uint32(uid)}
	if err1 != nil || err2 != nil || loc.Mailbox == "" || loc.Folder == "" || loc.UID == 0 {
		return Location{}, false
	}
	return loc, true
}

// KVLocations keeps locations in a [KV] bucket (in production
// [LocationBucket]) under "loc.<message id>". It is a LocationRecorder
// for the [Worker] and a Locator for [Actions].
type KVLocations struct {
	kv KV
}

var (
	_ LocationRecorder = (*KVLocations)(nil)
	_ Locator          = (*KVLocations)(nil)
)

// NewKVLocations returns a location index on kv.
func NewKVLocations(kv KV) *KVLocations { return &KVLocations{kv: kv} }

// Record implements [LocationRecorder].
func (l *KVLocations) Record(ctx context.Context, messageID string, loc Location) error {
	data, err := json.Marshal(loc)
	if err != nil {
		return err
	}
	if _, err := l.kv.Put(ctx, "loc."+messageID, data); err != nil {
		return fmt.Errorf("record location of %s: %w", messageID, err)
	}
	return nil
}

// Locate implements [Locator].
func (l *KVLocations) Locate(ctx context.Context, messageID string) (Location, bool, error) {
	if !event.ValidToken(messageID) {
		return Location{}, false, nil
	}
	data, _, err := l.kv.Get(ctx, "loc."+messageID)
	if errors.Is(err, ErrKeyNotFound) {
		return Location{}, false, nil
	}
	if err != nil {
		return Location{}, false, fmt.Errorf("locate %s: %w", messageID, err)
	}
	var loc Location
	if err := json.Unmarshal(data, &loc); err != nil {
		return Location{}, false, fmt.Errorf("locate %s: %w", messageID, err)
	}
	return loc, true, nil
}
