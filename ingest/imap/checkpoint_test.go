package imap

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckpointRoundTrip(t *testing.T) {
	base := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	cp := Checkpoint{UIDValidity: 1732, LastUID: 99, FilterEnd: 120, Horizon: base, Updated: base.Add(time.Minute)}
	for i := range RecentSize + 10 {
		cp.remember(uint64(i)*0x9e3779b97f4a7c15, base.Add(time.Duration(i)*time.Second))
	}
	data, err := EncodeCheckpoint(cp)
	if err != nil {
		t.Fatalf("EncodeCheckpoint() = %v", err)
	}
	got, err := DecodeCheckpoint(data)
	if err != nil {
		t.Fatalf("DecodeCheckpoint() = %v", err)
	}
	if diff := cmp.Diff(cp, got); diff != "" {
		t.Errorf("DecodeCheckpoint(EncodeCheckpoint(cp)) (-want +got):\n%s", diff)
	}
	if len(got.Recent) != RecentSize {
		t.Errorf("len(Recent) = %d, want %d", len(got.Recent), RecentSize)
	}
	// The ten forgotten mails moved the horizon to the newest of them.
	if want := base.Add(9 * time.Second); !got.Horizon.Equal(want) {
		t.Errorf("Horizon = %v, want %v", got.Horizon, want)
	}
	if len(data) > 10<<10 {
		t.Errorf("encoded checkpoint is %d bytes; keep it small, it is written after every batch", len(data))
	}
}

func TestCheckpointKnown(t *testing.T) {
	h := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cp := Checkpoint{Horizon: h}
	cp.remember(42, h.Add(time.Hour))
	for _, c := range []struct {
		name    string
		key     uint64
		arrival time.Time
		want    bool
	}{
		{"remembered", 42, h.Add(time.Hour), true},
		{"remembered, arrival rewritten", 42, h.Add(1000 * time.Hour), true},
		{"at the horizon", 7, h, true},
		{"before the horizon", 7, h.Add(-time.Hour), true},
		{"new", 7, h.Add(time.Second), false},
	} {
		if got := cp.known(c.key, c.arrival); got != c.want {
			t.Errorf("%s: known(%d, %v) = %v, want %v", c.name, c.key, c.arrival, got, c.want)
		}
	}
}

func TestDecodeCheckpointRejects(t *testing.T) {
	for _, in := range []string{
		``, `{`, `[]`, `{"v":2}`, `{"v":1,"recent":"***"}`, `{"v":1,"recent":"AAAA"}`,
		`{"v":1,"horizon":-5}`, `{"v":1,"updated":"yesterday"}`, `{"v":1,"last_uid":-1}`,
	} {
		if _, err := DecodeCheckpoint([]byte(in)); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("DecodeCheckpoint(%q) = %v, want ErrBadCheckpoint", in, err)
		}
	}
}

func FuzzDecodeCheckpoint(f *testing.F) {
	cp := Checkpoint{UIDValidity: 3, LastUID: 17, FilterEnd: 20, Horizon: time.Unix(1764460800, 0).UTC()}
	cp.remember(1, time.Unix(1764460900, 0))
	cp.remember(2, time.Unix(1764461000, 0))
	good, _ := EncodeCheckpoint(cp)
	f.Add(good)
	f.Add([]byte(`{"v":1,"uidvalidity":1,"last_uid":0}`))
	f.Add([]byte(`{"v":1,"recent":"AAAAAAAAAAEAAAAB"}`))
	f.Add([]byte(`{"v":1,"horizon":4294967295,"updated":"2026-11-30T00:00:00Z"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cp, err := DecodeCheckpoint(data)
		if err != nil {
			if !errors.Is(err, ErrBadCheckpoint) {
				t.Fatalf("DecodeCheckpoint error %v does not wrap ErrBadCheckpoint", err)
			}
			return
		}
		// What decodes must encode, and decode to the same again.
		again, err := EncodeCheckpoint(cp)
		if err != nil {
			t.Fatalf("EncodeCheckpoint(decoded) = %v", err)
		}
		cp2, err := DecodeCheckpoint(again)
		if err != nil {
			t.Fatalf("DecodeCheckpoint(EncodeCheckpoint(decoded)) = %v", err)
		}
		if diff := cmp.Diff(cp, cp2); diff != "" {
			t.Fatalf("round trip changed the checkpoint (-first +second):\n%s", diff)
		}
	})
}

func TestKVStoreCompareAndSwap(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	key := CheckpointKey{Mailbox: "hanako-mail", Folder: "送信済み メール"}
	if cp, rev, err := s.Load(ctx, key); err != nil || rev != 0 || cp.LastUID != 0 {
		t.Fatalf("Load(empty) = %+v, %d, %v; want zero, 0, nil", cp, rev, err)
	}
	rev1, err := s.Save(ctx, key, Checkpoint{UIDValidity: 1, LastUID: 5}, 0)
	if err != nil {
		t.Fatalf("Save(create) = %v", err)
	}
	if _, err := s.Save(ctx, key, Checkpoint{UIDValidity: 1, LastUID: 6}, 0); !errors.Is(err, ErrConflict) {
		t.Errorf("Save(create again) = %v, want ErrConflict", err)
	}
	rev2, err := s.Save(ctx, key, Checkpoint{UIDValidity: 1, LastUID: 7}, rev1)
	if err != nil {
		t.Fatalf("Save(update) = %v", err)
	}
	if _, err := s.Save(ctx, key, Checkpoint{UIDValidity: 1, LastUID: 8}, rev1); !errors.Is(err, ErrConflict) {
		t.Errorf("Save(stale revision) = %v, want ErrConflict", err)
	}
	cp, rev, err := s.Load(ctx, key)
	if err != nil || rev != rev2 || cp.LastUID != 7 {
		t.Errorf("Load() = %+v, %d, %v; want LastUID 7 at revision %d", cp, rev, err, rev2)
	}
	if err := checkKVKey(checkpointKVKey(key)); err != nil {
		t.Errorf("checkpoint key of a Japanese folder name: %v", err)
	}
}

func TestHeaderMessageID(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Message-ID: <Abc@Example.COM>\r\n\r\nbody", "abc@example.com"},
		{"Subject: x\r\nmessage-id:\r\n  <folded@example.com>\r\nFrom: y\r\n\r\n", "folded@example.com"},
		{"Subject: x\n\nMessage-ID: <in-body@example.com>\n", ""},
		{"Message-Id: bare@example.com", "bare@example.com"},
		{"", ""},
		{"X-Message-ID: <no@example.com>\r\n\r\n", ""},
	} {
		if got := headerMessageID([]byte(c.in)); got != c.want {
			t.Errorf("headerMessageID(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	b := newBackoff(100*time.Millisecond, time.Second)
	var got []time.Duration
	for range 6 {
		got = append(got, b.next(kindDial))
	}
	ceil := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, d := range got {
		hi := ceil[i] * time.Millisecond
		if d < hi/2 || d > hi {
			t.Errorf("wait %d = %v, want in [%v, %v]", i, d, hi/2, hi)
		}
	}
	if d := newBackoff(100*time.Millisecond, time.Second).next(kindAuth); d < 500*time.Millisecond {
		t.Errorf("first wait after an auth failure = %v, want at least half of the maximum", d)
	}
}
