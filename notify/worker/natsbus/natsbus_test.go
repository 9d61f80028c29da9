package natsbus_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/internal/natstest"
	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/worker"
	"github.com/scamscreen/scamscreen/notify/worker/natsbus"
)

// TestStoresKeepTheKVContract checks, against a real JetStream bucket,
// that every outcome the worker branches on comes back as the error the
// worker.KV contract names: the worker's exactly-once delivery and its
// escalation timers depend on telling "someone else got there first"
// from a failure.
func TestStoresKeepTheKVContract(t *testing.T) {
	b := natstest.Embedded(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := natsbus.OpenStores(ctx, b, notify.Config{})
	if err != nil {
		t.Fatalf("OpenStores() = %v", err)
	}
	kv := st.State

	if _, _, err := kv.Get(ctx, "missing"); !errors.Is(err, worker.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	rev, err := kv.Create(ctx, "group.a", []byte("1"))
	if err != nil || rev == 0 {
		t.Fatalf("Create() = %d, %v", rev, err)
	}
	if _, err := kv.Create(ctx, "group.a", []byte("2")); !errors.Is(err, worker.ErrExists) {
		t.Errorf("Create(existing) = %v, want ErrExists", err)
	}
	v, got, err := kv.Get(ctx, "group.a")
	if err != nil || string(v) != "1" || got != rev {
		t.Errorf("Get() = %q, %d, %v; want \"1\", %d", v, got, err, rev)
	}
	rev2, err := kv.Update(ctx, "group.a", []byte("2"), rev)
	if err != nil {
		t.Fatalf("Update() = %v", err)
	}
	if _, err := kv.Update(ctx, "group.a", []byte("3"), rev); !errors.Is(err, worker.ErrConflict) {
		t.Errorf("Update(stale revision) = %v, want ErrConflict", err)
	}
	if err := kv.Delete(ctx, "group.a", rev); !errors.Is(err, worker.ErrConflict) {
		t.Errorf("Delete(stale revision) = %v, want ErrConflict", err)
	}
	if _, err := kv.Put(ctx, "group.b", []byte("x")); err != nil {
		t.Fatalf("Put() = %v", err)
	}
	keys, err := kv.Keys(ctx, "group.>")
	slices.Sort(keys)
	if err != nil || !slices.Equal(keys, []string{"group.a", "group.b"}) {
		t.Errorf("Keys() = %v, %v; want [group.a group.b]", keys, err)
	}
	if err := kv.Delete(ctx, "group.a", rev2); err != nil {
		t.Errorf("Delete(current revision) = %v", err)
	}
	if _, _, err := kv.Get(ctx, "group.a"); !errors.Is(err, worker.ErrNotFound) {
		t.Errorf("Get(deleted) = %v, want ErrNotFound", err)
	}
	if err := kv.Delete(ctx, "never.there", 0); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	if keys, err := st.Timers.Keys(ctx, ">"); err != nil || len(keys) != 0 {
		t.Errorf("Keys() of an empty bucket = %v, %v; want none", keys, err)
	}
}
