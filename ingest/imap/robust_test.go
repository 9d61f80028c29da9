package imap_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
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
