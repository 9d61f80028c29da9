package imapkv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imapkv"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestJetStreamSemantics runs the checkpoint store and the location index
// on a real JetStream bucket: compare-and-swap conflicts and missing keys
// must come out as the errors package imap expects.
func TestJetStreamSemantics(t *testing.T) {
	b := natstest.Embedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := b.KeyValue(ctx, imap.CheckpointBucket, jetstream.KeyValueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	store := imap.NewKVStore(imapkv.New(kv))
	key := imap.CheckpointKey{Mailbox: "hanako-mail", Folder: "迷惑メール"}
	if _, rev, err := store.Load(ctx, key); err != nil || rev != 0 {
		t.Fatalf("Load(missing) = rev %d, %v; want 0, nil", rev, err)
	}
	rev, err := store.Save(ctx, key, imap.Checkpoint{UIDValidity: 9, LastUID: 1}, 0)
	if err != nil {
		t.Fatalf("Save(create) = %v", err)
	}
	if _, err := store.Save(ctx, key, imap.Checkpoint{UIDValidity: 9, LastUID: 2}, 0); !errors.Is(err, imap.ErrConflict) {
		t.Errorf("Save(create existing) = %v, want ErrConflict", err)
	}
	rev2, err := store.Save(ctx, key, imap.Checkpoint{UIDValidity: 9, LastUID: 3}, rev)
	if err != nil {
		t.Fatalf("Save(update) = %v", err)
	}
	if _, err := store.Save(ctx, key, imap.Checkpoint{UIDValidity: 9, LastUID: 4}, rev); !errors.Is(err, imap.ErrConflict) {
		t.Errorf("Save(stale revision) = %v, want ErrConflict", err)
	}
	cp, got, err := store.Load(ctx, key)
	if err != nil || got != rev2 || cp.LastUID != 3 {
		t.Errorf("Load() = LastUID %d rev %d, %v; want 3, %d", cp.LastUID, got, err, rev2)
	}

	lkv, err := b.KeyValue(ctx, imap.LocationBucket, jetstream.KeyValueConfig{TTL: imap.LocationMaxAge})
	if err != nil {
		t.Fatal(err)
	}
	locs := imap.NewKVLocations(imapkv.New(lkv))
	want := imap.Location{Mailbox: "hanako-mail", Folder: "INBOX", UIDValidity: 9, UID: 42}
	if err := locs.Record(ctx, "em-abc", want); err != nil {
		t.Fatal(err)
	}
	if loc, ok, err := locs.Locate(ctx, "em-abc"); err != nil || !ok || loc != want {
		t.Errorf("Locate(em-abc) = %+v, %v, %v; want %+v", loc, ok, err, want)
	}
	if _, ok, err := locs.Locate(ctx, "em-missing"); err != nil || ok {
		t.Errorf("Locate(em-missing) = %v, %v; want not found, nil", ok, err)
	}
}
