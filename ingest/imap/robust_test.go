package imap_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/internal/errkind"
)

// A publish failure in the middle of a batch must keep the progress of the
// mails before it that JetStream already acknowledged: otherwise they are
// published again after every reconnect, and once the backoff outlasts
// INBOUND's duplicate window, as new messages (screened and alerted twice).
func TestMidBatchFailureKeepsProgress(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	_, uv, err := srv.Status(testUser, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	// m1..m4 wait in INBOX behind a checkpoint from before them: the first
	// catch-up fetches all four in one batch.
	key := imap.CheckpointKey{Mailbox: testMailbox, Folder: "INBOX"}
	store := imap.NewMemoryStore()
	if _, err := store.Save(context.Background(), key, imap.Checkpoint{UIDValidity: uv}, 0); err != nil {
		t.Fatal(err)
	}
	for i, s := range []string{"m1", "m2", "m3", "m4"} {
		if _, err := srv.Append(testUser, "INBOX", mail(i, s)); err != nil {
			t.Fatal(err)
		}
	}
	var m3Tries atomic.Int32
	pub := newRecorder(nil)
	pub.setFail(func(m *event.Message) error { // m3 keeps failing (bus hiccup)
		if m.Subject == "m3" {
			m3Tries.Add(1)
			return errInjected
		}
		return nil
	})
	startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
	// Three failed tries of m3 take three sessions: the second and third
	// start from whatever the first one left in the checkpoint.
	waitFor(t, waitLong, "three tries of m3", func() bool { return m3Tries.Load() >= 3 })
	cp, _, err := store.Load(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if cp.LastUID != 2 {
		t.Errorf("checkpoint LastUID = %d after m1 (uid 1) and m2 (uid 2) were acknowledged; want 2", cp.LastUID)
	}
	for _, p := range pub.all() {
		if p.dup {
			t.Errorf("%s published again after a reconnect", p.msg.Subject)
		}
	}
}

// On a server without MOVE (UIDPLUS only) the move copies, waits for the
// copy, and only then deletes that one mail. When the destination does
// not exist (the default "Junk" on a server without a junk folder) the
// mail is flagged and stays: it is never expunged after a failed copy.
// Mail the user marked \Deleted in the same folder is never expunged.
func TestMoveWithoutMoveCapability(t *testing.T) {
	for _, c := range []struct {
		name     string
		moveTo   string
		dropJunk bool
		moved    bool
	}{
		{name: "copy-then-expunge", moved: true},
		{name: "no-junk-folder", dropJunk: true},
		{name: "missing-destination", moveTo: "Scam"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, imaptest.Options{NoMove: true})
			if c.dropJunk {
				if err := srv.DeleteFolder(testUser, "Junk"); err != nil {
					t.Fatal(err)
				}
			}
			acct := account(t, srv, testMailbox)
			acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
			// The user's own \Deleted mail, waiting for their client to expunge.
			if _, err := srv.AppendAt(testUser, "INBOX", mail(0, "user's deleted mail"), time.Now(), goimap.FlagDeleted); err != nil {
				t.Fatal(err)
			}
			uid, err := srv.Append(testUser, "INBOX", mail(1, "lure"))
			if err != nil {
				t.Fatal(err)
			}
			_, uv, err := srv.Status(testUser, "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			locs := imap.NewKVLocations(imap.NewMemoryKV())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := locs.Record(ctx, "em-lure", imap.Location{Mailbox: testMailbox, Folder: "INBOX", UIDValidity: uv, UID: uid}); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig()
			cfg.Action.Mode = imap.ActionMove
			cfg.Action.MoveTo = c.moveTo
			acts, err := imap.NewActions(cfg, []imap.Account{acct}, locs, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = acts.Apply(ctx, &event.Verdict{ID: "vd-1", MessageID: "em-lure", Level: event.LevelScam, Channel: event.ChannelEmail, Direction: event.DirectionIn})
			if c.moved && err != nil {
				t.Errorf("Apply() = %v, want nil", err)
			}
			if !c.moved && !errkind.IsPermanent(err) {
				t.Errorf("Apply() = %v, want a permanent error (the mail cannot be moved)", err)
			}
			inbox, _, err := srv.Status(testUser, "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			if c.moved {
				junk, _, _ := srv.Status(testUser, "Junk")
				if inbox != 1 || junk != 1 {
					t.Errorf("after the move INBOX has %d mails and Junk %d; want 1 (the user's) and 1", inbox, junk)
				}
				return
			}
			if inbox != 2 {
				t.Fatalf("INBOX has %d mails after a move that could not be done, want 2: mail was deleted", inbox)
			}
			flags, err := srv.Flags(testUser, "INBOX", uid)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(flags, goimap.Flag("$Phishing")) || slices.Contains(flags, goimap.FlagDeleted) {
				t.Errorf("flags of the scam mail = %v, want $Phishing and not \\Deleted", flags)
			}
		})
	}
}

// A first start without backfill takes the arrival of the newest mail as
// its cut-off. When UIDNEXT-1 was expunged (the newest mail deleted, very
// common) the cut-off must come from the newest mail still there: a zero
// cut-off let a later UIDVALIDITY change publish every old mail of the
// folder, years of it, as new.
func TestFirstStartHorizonWhenNewestDeleted(t *testing.T) {
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	old := time.Now().Add(-365 * 24 * time.Hour)
	for i := range 3 {
		if _, err := srv.AppendAt(testUser, "INBOX", mail(i, "old mail"), old); err != nil {
			t.Fatal(err)
		}
	}
	c, err := srv.Client(testUser) // the user deletes the newest mail
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Store(goimap.UIDSetNum(3), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Flags: []goimap.Flag{goimap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	c.Close()

	store := imap.NewMemoryStore()
	pub := newRecorder(nil)
	r1 := startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
	cp := waitCheckpoint(t, store, testMailbox, "INBOX", nil)
	r1.stop(t)
	if cp.Horizon.IsZero() {
		t.Errorf("first-start checkpoint has no horizon: %+v", cp)
	}
	uv, err := srv.BumpUIDValidity(testUser, "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	// A mail that arrives after the change is published; the old ones
	// before it (lower UIDs) must have been skipped by then.
	uid, err := srv.Append(testUser, "INBOX", mail(9, "new mail"))
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
	waitCheckpoint(t, store, testMailbox, "INBOX", func(cp imap.Checkpoint) bool { return cp.UIDValidity == uv && cp.LastUID >= uid })
	for _, p := range pub.all() {
		if p.msg.Subject != "new mail" {
			t.Errorf("after the UIDVALIDITY change a year-old mail was published as new (%s)", p.msg.Subject)
		}
	}
	if pub.count() != 1 {
		t.Errorf("published %d mails after the UIDVALIDITY change, want 1 (the new one)", pub.count())
	}
}
