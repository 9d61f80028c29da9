package imap

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// CheckpointBucket is the name of the key-value bucket that holds folder
// checkpoints. It must keep every key (no MaxAge) and needs no history.
const CheckpointBucket = "scamscreen_imap"

// RecentSize is how many recently published mails a checkpoint remembers
// per folder (see [Checkpoint]).
const RecentSize = 512

// recentEntrySize is the encoded size of one remembered mail: 8 bytes of
// key hash and 4 bytes of arrival time (Unix seconds).
const recentEntrySize = 12

// maxCheckpointBytes bounds what DecodeCheckpoint accepts.
const maxCheckpointBytes = 64 << 10

// CheckpointKey names the checkpoint of one folder of one mailbox.
type CheckpointKey struct {
	Mailbox string // [Mailbox.ID]
	Folder  string // folder name as the server lists it
}

// String returns the key as it is stored: the mailbox id, a dot and a
// hash of the folder name, so any folder name (spaces, Japanese, '@')
// makes a valid key-value key.
func (k CheckpointKey) String() string {
	return k.Mailbox + "." + folderHash(k.Folder)
}

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func folderHash(folder string) string {
	sum := sha256.Sum256([]byte(folder))
	return keyEncoding.EncodeToString(sum[:])[:20]
}

// Checkpoint is how far one folder has been ingested.
//
// Every UID up to LastUID under UIDValidity has been published (or
// deliberately skipped) and acknowledged by JetStream. While LastUID is
// below FilterEnd the folder is catching up on mail that existed before
// (a first start with backfill, or a UIDVALIDITY change): UIDs up to
// FilterEnd are published only when they arrived after Horizon and are not
// among Recent.
//
// Recent and Horizon let a UIDVALIDITY resync skip mail published before,
// far beyond JetStream's duplicate window: Recent remembers the last
// [RecentSize] published mails by a hash of their Message-ID (or, without
// one, of size and arrival time) and their arrival time; Horizon is the
// latest arrival time of any mail forgotten from Recent, or the cut-off of
// the first start. A resync skips a mail that Recent knows or that arrived
// at or before Horizon, and publishes the rest. A migration that rewrites
// arrival times therefore republishes at most the mail older than what
// Recent remembers, under the same stable message ids.
type Checkpoint struct {
	UIDValidity uint32
	LastUID     uint32
	FilterEnd   uint32
	Horizon     time.Time
	Recent      []Recent
	Updated     time.Time
}

// Recent is one remembered published mail.
type Recent struct {
	Key     uint64
	Arrival time.Time // INTERNALDATE, to the second
}

// remember adds a published mail, forgetting the oldest beyond RecentSize
// and moving Horizon past it.
func (c *Checkpoint) remember(key uint64, arrival time.Time) {
	arrival = arrival.Truncate(time.Second)
	c.Recent = append(c.Recent, Recent{Key: key, Arrival: arrival})
	if n := len(c.Recent) - RecentSize; n > 0 {
		for _, r := range c.Recent[:n] {
			if r.Arrival.After(c.Horizon) {
				c.Horizon = r.Arrival
			}
		}
		c.Recent = slices.Delete(c.Recent, 0, n)
	}
}

// known reports whether a resync may skip the mail with this key and
// arrival time.
func (c *Checkpoint) known(key uint64, arrival time.Time) bool {
	if !c.Horizon.IsZero() && !arrival.After(c.Horizon) {
		return true
	}
	for _, r := range c.Recent {
		if r.Key == key {
			return true
		}
	}
	return false
}

// filtering reports whether uid is still in the filtered catch-up range.
func (c *Checkpoint) filtering(uid uint32) bool { return uid <= c.FilterEnd }

type checkpointJSON struct {
	V           int    `json:"v"`
	UIDValidity uint32 `json:"uidvalidity"`
	LastUID     uint32 `json:"last_uid"`
	FilterEnd   uint32 `json:"filter_end,omitempty"`
	Horizon     int64  `json:"horizon,omitempty"` // Unix seconds
	Recent      string `json:"recent,omitempty"`  // base64 of 12-byte entries
	Updated     string `json:"updated,omitempty"` // RFC 3339
}

// EncodeCheckpoint returns the JSON form of c that the stores keep.
func EncodeCheckpoint(c Checkpoint) ([]byte, error) {
	j := checkpointJSON{V: 1, UIDValidity: c.UIDValidity, LastUID: c.LastUID, FilterEnd: c.FilterEnd}
	if !c.Horizon.IsZero() {
		j.Horizon = c.Horizon.Unix()
	}
	if len(c.Recent) > RecentSize {
		return nil, fmt.Errorf("encode checkpoint: %d recent mails, at most %d", len(c.Recent), RecentSize)
	}
	if len(c.Recent) > 0 {
		buf := make([]byte, 0, len(c.Recent)*recentEntrySize)
		for _, r := range c.Recent {
			buf = binary.BigEndian.AppendUint64(buf, r.Key)
			buf = binary.BigEndian.AppendUint32(buf, unixSeconds(r.Arrival))
		}
		j.Recent = base64.StdEncoding.EncodeToString(buf)
	}
	if !c.Updated.IsZero() {
		j.Updated = c.Updated.UTC().Format(time.RFC3339)
	}
	return json.Marshal(j)
}

// unixSeconds clamps t into the 32-bit range the record uses.
func unixSeconds(t time.Time) uint32 {
	s := t.Unix()
	switch {
	case s < 0:
		return 0
	case s > 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(s)
}

// ErrBadCheckpoint reports a stored checkpoint that cannot be read.
var ErrBadCheckpoint = errors.New("bad checkpoint record")

// DecodeCheckpoint parses a record written by [EncodeCheckpoint]. Any
// input that is not such a record gives an error wrapping
// [ErrBadCheckpoint]; it never panics.
func DecodeCheckpoint(data []byte) (Checkpoint, error) {
	if len(data) > maxCheckpointBytes {
		return Checkpoint{}, fmt.Errorf("%w: %d bytes", ErrBadCheckpoint, len(data))
	}
	var j checkpointJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Checkpoint{}, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	if j.V != 1 {
		return Checkpoint{}, fmt.Errorf("%w: version %d", ErrBadCheckpoint, j.V)
	}
	c := Checkpoint{UIDValidity: j.UIDValidity, LastUID: j.LastUID, FilterEnd: j.FilterEnd}
	if j.Horizon < 0 || j.Horizon > 1<<32-1 {
		return Checkpoint{}, fmt.Errorf("%w: horizon out of range", ErrBadCheckpoint)
	}
	if j.Horizon != 0 {
		c.Horizon = time.Unix(j.Horizon, 0).UTC()
	}
	if j.Recent != "" {
		buf, err := base64.StdEncoding.DecodeString(j.Recent)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("%w: recent: %v", ErrBadCheckpoint, err)
		}
		if len(buf)%recentEntrySize != 0 || len(buf)/recentEntrySize > RecentSize {
			return Checkpoint{}, fmt.Errorf("%w: recent has %d bytes", ErrBadCheckpoint, len(buf))
		}
		c.Recent = make([]Recent, 0, len(buf)/recentEntrySize)
		for i := 0; i < len(buf); i += recentEntrySize {
			c.Recent = append(c.Recent, Recent{
				Key:     binary.BigEndian.Uint64(buf[i:]),
				Arrival: time.Unix(int64(binary.BigEndian.Uint32(buf[i+8:])), 0).UTC(),
			})
		}
	}
	if j.Updated != "" {
		t, err := time.Parse(time.RFC3339, j.Updated)
		if err != nil {
			return Checkpoint{}, fmt.Errorf("%w: updated: %v", ErrBadCheckpoint, err)
		}
		c.Updated = t.UTC()
	}
	return c, nil
}

// ErrConflict reports a compare-and-swap that lost: the stored record has
// another revision than the caller read (another process wrote it).
var ErrConflict = errors.New("checkpoint changed concurrently")

// CheckpointStore keeps one [Checkpoint] per folder with compare-and-swap
// semantics. Implementations must be safe for concurrent use.
type CheckpointStore interface {
	// Load returns the checkpoint of key and its revision; revision 0 and
	// a zero Checkpoint mean none is stored.
	Load(ctx context.Context, key CheckpointKey) (cp Checkpoint, revision uint64, err error)
	// Save stores cp if the stored revision is still revision (0: none
	// stored yet) and returns the new revision, or fails with an error
	// wrapping [ErrConflict].
	Save(ctx context.Context, key CheckpointKey, cp Checkpoint, revision uint64) (uint64, error)
}

// KV is the part of a key-value bucket the stores need, with the
// semantics of a JetStream key-value bucket. Package imapkv adapts a
// jetstream.KeyValue to it; [NewMemoryKV] is an in-memory one.
type KV interface {
	// Get returns the value and revision of key, or an error wrapping
	// [ErrKeyNotFound].
	Get(ctx context.Context, key string) (value []byte, revision uint64, err error)
	// Create stores value under a key that does not exist yet, or fails
	// with an error wrapping [ErrConflict].
	Create(ctx context.Context, key string, value []byte) (revision uint64, err error)
	// Update stores value if key's revision is still revision, or fails
	// with an error wrapping [ErrConflict].
	Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error)
	// Put stores value unconditionally.
	Put(ctx context.Context, key string, value []byte) (uint64, error)
}

// ErrKeyNotFound reports a key that a [KV] does not hold.
var ErrKeyNotFound = errors.New("key not found")

// KVStore is a [CheckpointStore] on a [KV] bucket (in production the
// JetStream bucket [CheckpointBucket]).
type KVStore struct {
	kv KV
}

var _ CheckpointStore = (*KVStore)(nil)

// NewKVStore returns a CheckpointStore that keeps checkpoints in kv under
// keys "cp.<mailbox id>.<folder hash>".
func NewKVStore(kv KV) *KVStore { return &KVStore{kv: kv} }

// NewMemoryStore returns a CheckpointStore held in memory, for tests and
// the demo.
func NewMemoryStore() *KVStore { return NewKVStore(NewMemoryKV()) }

func checkpointKVKey(k CheckpointKey) string { return "cp." + k.String() }

// Load implements [CheckpointStore].
func (s *KVStore) Load(ctx context.Context, key CheckpointKey) (Checkpoint, uint64, error) {
	data, rev, err := s.kv.Get(ctx, checkpointKVKey(key))
	if errors.Is(err, ErrKeyNotFound) {
		return Checkpoint{}, 0, nil
	}
	if err != nil {
		return Checkpoint{}, 0, fmt.Errorf("load checkpoint %s: %w", key, err)
	}
	cp, err := DecodeCheckpoint(data)
	if err != nil {
		return Checkpoint{}, 0, fmt.Errorf("load checkpoint %s: %w", key, err)
	}
	return cp, rev, nil
}

// Save implements [CheckpointStore].
func (s *KVStore) Save(ctx context.Context, key CheckpointKey, cp Checkpoint, revision uint64) (uint64, error) {
	data, err := EncodeCheckpoint(cp)
	if err != nil {
		return 0, err
	}
	k := checkpointKVKey(key)
	var rev uint64
	if revision == 0 {
		rev, err = s.kv.Create(ctx, k, data)
	} else {
		rev, err = s.kv.Update(ctx, k, data, revision)
	}
	if err != nil {
		return 0, fmt.Errorf("save checkpoint %s: %w", key, err)
	}
	return rev, nil
}

// MemoryKV is a [KV] held in memory. It is safe for concurrent use.
type MemoryKV struct {
	mu   sync.Mutex
	rev  uint64
	data map[string]memEntry
}

type memEntry struct {
	value []byte
	rev   uint64
}

var _ KV = (*MemoryKV)(nil)

// NewMemoryKV returns an empty MemoryKV.
func NewMemoryKV() *MemoryKV { return &MemoryKV{data: map[string]memEntry{}} }

// Get implements [KV].
func (m *MemoryKV) Get(_ context.Context, key string) ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.data[key]
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", key, ErrKeyNotFound)
	}
	return slices.Clone(e.value), e.rev, nil
}

// Create implements [KV].
func (m *MemoryKV) Create(_ context.Context, key string, value []byte) (uint64, error) {
	if err := checkKVKey(key); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.data[key]; ok {
		return 0, fmt.Errorf("%s exists: %w", key, ErrConflict)
	}
	return m.putLocked(key, value), nil
}

// Update implements [KV].
func (m *MemoryKV) Update(_ context.Context, key string, value []byte, revision uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.data[key]
	if !ok && revision != 0 || ok && e.rev != revision {
		return 0, fmt.Errorf("%s: %w", key, ErrConflict)
	}
	return m.putLocked(key, value), nil
}

// Put implements [KV].
func (m *MemoryKV) Put(_ context.Context, key string, value []byte) (uint64, error) {
	if err := checkKVKey(key); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.putLocked(key, value), nil
}

func (m *MemoryKV) putLocked(key string, value []byte) uint64 {
	m.rev++
	m.data[key] = memEntry{value: slices.Clone(value), rev: m.rev}
	return m.rev
}

// checkKVKey applies JetStream's key rules, so tests on MemoryKV catch
// keys the real bucket would refuse.
func checkKVKey(key string) error {
	if key == "" || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") {
		return fmt.Errorf("invalid key %q", key)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-/_=.", c) >= 0) {
			return fmt.Errorf("invalid key %q", key)
		}
	}
	return nil
}
