package imap_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/natstest"
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

// scriptedOpts make the scripted server misbehave on UID FETCH BODY[].
type scriptedOpts struct {
	// glitches is how many body fetches misbehave (-1: all).
	glitches int
	// omit answers a misbehaving fetch without the mail (a server glitch,
	// or UID sent after the literal, which go-imap cannot match);
	// otherwise an unsolicited flag update carrying the UID comes first (a
	// phone marked the mail read), which go-imap hands to the command in
	// place of the answer, dropping the real one.
	omit bool
	// gone makes UID 1 disappear from a search by UID after the first
	// body fetch (expunged meanwhile).
	gone bool
	// noSummary answers the resync's summary fetch (INTERNALDATE, size,
	// Message-ID) without the mail.
	noSummary bool
}

// scripted is a minimal IMAP server with one mail (UID 1, UIDVALIDITY 7).
func scripted(t *testing.T, raw []byte, o scriptedOpts) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fetches := 0
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				w := func(s string) { _, _ = io.WriteString(c, s) }
				w("* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n")
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					tag, rest, _ := strings.Cut(strings.TrimRight(line, "\r\n"), " ")
					up := strings.ToUpper(rest)
					mu.Lock()
					n := fetches
					mu.Unlock()
					switch {
					case strings.HasPrefix(up, "CAPABILITY"):
						w("* CAPABILITY IMAP4rev1 IDLE\r\n" + tag + " OK done\r\n")
					case strings.HasPrefix(up, "LOGIN"), strings.HasPrefix(up, "NOOP"):
						w(tag + " OK done\r\n")
					case strings.HasPrefix(up, "EXAMINE"), strings.HasPrefix(up, "SELECT"):
						w("* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n" + tag + " OK [READ-ONLY] done\r\n")
					case strings.HasPrefix(up, "UID SEARCH"):
						if o.gone && n > 0 && !strings.Contains(up, ":*") {
							w("* SEARCH\r\n" + tag + " OK done\r\n")
							continue
						}
						w("* SEARCH 1\r\n" + tag + " OK done\r\n")
					case strings.HasPrefix(up, "UID FETCH") && strings.Contains(up, "BODY.PEEK[]"):
						mu.Lock()
						fetches++
						mu.Unlock()
						if o.glitches < 0 || n < o.glitches {
							if o.omit {
								w(tag + " OK done\r\n")
								continue
							}
							w("* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n")
						}
						w(fmt.Sprintf("* 1 FETCH (UID 1 INTERNALDATE \"01-Jan-2026 09:00:00 +0900\" RFC822.SIZE %d BODY[] {%d}\r\n%s)\r\n", len(raw), len(raw), raw))
						w(tag + " OK done\r\n")
					case strings.HasPrefix(up, "UID FETCH") && o.noSummary:
						w(tag + " OK done\r\n")
					case strings.HasPrefix(up, "UID FETCH"):
						w("* 1 FETCH (UID 1 INTERNALDATE \"01-Jan-2026 09:00:00 +0900\")\r\n" + tag + " OK done\r\n")
					case strings.HasPrefix(up, "IDLE"):
						w("+ idling\r\n")
						if _, err := br.ReadString('\n'); err != nil {
							return
						}
						w(tag + " OK done\r\n")
					case strings.HasPrefix(up, "LOGOUT"):
						w("* BYE bye\r\n" + tag + " OK done\r\n")
						return
					default:
						w(tag + " BAD unknown\r\n")
					}
				}
			})
		}
	})
	return ln.Addr().String()
}

// scriptedWorker runs a worker on a scripted server whose checkpoint is
// before UID 1.
func scriptedWorker(t *testing.T, raw []byte, o scriptedOpts) (*running, *recorder, imap.CheckpointStore) {
	return scriptedWorkerFrom(t, raw, o, imap.Checkpoint{UIDValidity: 7})
}

func scriptedWorkerFrom(t *testing.T, raw []byte, o scriptedOpts, cp imap.Checkpoint) (*running, *recorder, imap.CheckpointStore) {
	addr := scripted(t, raw, o)
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	acct := imap.Account{Mailbox: imap.Mailbox{ID: testMailbox, Host: host, Port: p, TLS: imap.TLSNone, AllowPlaintext: true,
		Username: "u", Password: config.SecretFromFile(pw), Inbox: []string{"INBOX"}, Sent: []string{}},
		Household: testHousehold, Person: testPerson}
	store := imap.NewMemoryStore()
	key := imap.CheckpointKey{Mailbox: testMailbox, Folder: "INBOX"}
	if _, err := store.Save(context.Background(), key, cp, 0); err != nil {
		t.Fatal(err)
	}
	pub := newRecorder(nil)
	return startWorker(t, testConfig(), []imap.Account{acct}, pub, store), pub, store
}

// checkOnlyWhole fails the test when anything but raw was published.
func checkOnlyWhole(t *testing.T, pub *recorder, raw []byte) {
	t.Helper()
	for _, p := range pub.all() {
		if p.msg.Raw == nil || !bytes.Equal(p.msg.Raw.Inline, raw) {
			t.Errorf("published a message of %d bytes, want the mail (%d bytes)", len(p.msg.Raw.Inline), len(raw))
		}
	}
}

// A FETCH answer without the body must not be published as an empty
// message (the same id for every such mail), nor let the checkpoint move
// past the mail: it is fetched again, and if that fails too, the batch
// fails where it is.
func TestFetchWithoutBody(t *testing.T) {
	raw := mail(1, "the lure")
	t.Run("fetched-again", func(t *testing.T) {
		_, pub, store := scriptedWorker(t, raw, scriptedOpts{glitches: 1})
		waitCheckpoint(t, store, testMailbox, "INBOX", func(cp imap.Checkpoint) bool { return cp.LastUID == 1 })
		if pub.count() != 1 {
			t.Errorf("published %d messages, want the mail once", pub.count())
		}
		checkOnlyWhole(t, pub, raw)
	})
	t.Run("never-sent", func(t *testing.T) {
		r, pub, store := scriptedWorker(t, raw, scriptedOpts{glitches: -1})
		waitFor(t, waitLong, "two failed fetches", func() bool {
			return r.counter("scamscreen_imap_errors_total", "kind", "fetch") >= 2
		})
		checkOnlyWhole(t, pub, raw)
		if pub.count() != 0 {
			t.Errorf("published %d messages, want none", pub.count())
		}
		if cp, _, _ := store.Load(context.Background(), imap.CheckpointKey{Mailbox: testMailbox, Folder: "INBOX"}); cp.LastUID != 0 {
			t.Errorf("checkpoint LastUID = %d, but UID 1 was never published: lost", cp.LastUID)
		}
	})
	// go-imap's memory server answers BODY[] of a mail whose header block
	// it cannot parse with an empty body: the mail is held, not lost.
	t.Run("empty-body", func(t *testing.T) {
		srv := startServer(t, imaptest.Options{})
		acct := account(t, srv, testMailbox)
		acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
		pub := newRecorder(nil)
		store := imap.NewMemoryStore()
		r := startWorker(t, testConfig(), []imap.Account{acct}, pub, store)
		waitSessions(t, r, 1)
		good := mail(1, "good")
		if _, err := srv.Append(testUser, "INBOX", good); err != nil {
			t.Fatal(err)
		}
		bad := []byte("From: a@example.com\r\nthis is not a header line\r\nSubject: x\r\n\r\nbody\r\n")
		if _, err := srv.Append(testUser, "INBOX", bad); err != nil {
			t.Fatal(err)
		}
		waitFor(t, waitLong, "two failed fetches", func() bool {
			return r.counter("scamscreen_imap_errors_total", "kind", "fetch") >= 2
		})
		checkOnlyWhole(t, pub, good)
		if cp := waitCheckpoint(t, store, testMailbox, "INBOX", nil); cp.LastUID != 1 {
			t.Errorf("checkpoint LastUID = %d, want 1 (the good mail, not the one never read)", cp.LastUID)
		}
	})
}

// UIDs that SEARCH found but FETCH never returned (a server glitch, or a
// UID sent after the literal, which go-imap cannot match) must not be
// skipped silently: the mail is fetched again, skipped only when it is
// gone, and otherwise the batch fails where it is. A resync does the same
// for a mail its summary fetch left out.
func TestFetchLeavesMailOut(t *testing.T) {
	raw := mail(1, "the lure")
	t.Run("fetched-again", func(t *testing.T) {
		_, pub, store := scriptedWorker(t, raw, scriptedOpts{glitches: 1, omit: true})
		waitCheckpoint(t, store, testMailbox, "INBOX", func(cp imap.Checkpoint) bool { return cp.LastUID == 1 })
		if pub.count() != 1 {
			t.Errorf("published %d messages, want the mail once", pub.count())
		}
		checkOnlyWhole(t, pub, raw)
	})
	t.Run("never-sent", func(t *testing.T) {
		r, pub, store := scriptedWorker(t, raw, scriptedOpts{glitches: -1, omit: true})
		waitFor(t, waitLong, "two failed fetches", func() bool {
			return r.counter("scamscreen_imap_errors_total", "kind", "fetch") >= 2
		})
		if pub.count() != 0 {
			t.Errorf("published %d messages, want none", pub.count())
		}
		if cp, _, _ := store.Load(context.Background(), imap.CheckpointKey{Mailbox: testMailbox, Folder: "INBOX"}); cp.LastUID != 0 {
			t.Errorf("checkpoint LastUID = %d, but UID 1 was never published: lost", cp.LastUID)
		}
	})
	t.Run("gone", func(t *testing.T) {
		r, pub, store := scriptedWorker(t, raw, scriptedOpts{glitches: -1, omit: true, gone: true})
		waitCheckpoint(t, store, testMailbox, "INBOX", func(cp imap.Checkpoint) bool { return cp.LastUID == 1 })
		if pub.count() != 0 {
			t.Errorf("published %d messages, want none (the mail is gone)", pub.count())
		}
		if n := r.counter("scamscreen_imap_errors_total"); n != 0 {
			t.Errorf("errors = %v, want 0", n)
		}
	})
	t.Run("resync-summary", func(t *testing.T) {
		_, pub, store := scriptedWorkerFrom(t, raw, scriptedOpts{noSummary: true},
			imap.Checkpoint{UIDValidity: 7, FilterEnd: 1, Horizon: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
		waitCheckpoint(t, store, testMailbox, "INBOX", func(cp imap.Checkpoint) bool { return cp.LastUID == 1 })
		if pub.count() != 1 {
			t.Errorf("published %d messages, want the mail once", pub.count())
		}
		checkOnlyWhole(t, pub, raw)
	})
}

// A hostile mail whose message is still over NATS's max_payload after the
// first shrink must not block its folder: every reconnect fetched it again
// and failed, and no mail after it was ever published. One poison mail is
// large (its raw original goes to the object store), the other small
// enough to travel inline while its decoded links, JSON-escaped, are not.
func TestPoisonMailDoesNotBlockFolder(t *testing.T) {
	b := natstest.Embedded(t)
	srv := startServer(t, imaptest.Options{})
	acct := account(t, srv, testMailbox)
	acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
	pub := newRecorder(b)
	r := startWorker(t, testConfig(), []imap.Account{acct}, pub, imap.NewMemoryStore())
	waitSessions(t, r, 1)
	poison := func(subject string, links int, part string) []byte {
		var h strings.Builder
		h.WriteString("From: a@example.com\r\nSubject: " + subject + "\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<html><body>\r\n")
		for i := range links {
			fmt.Fprintf(&h, "<a href=\"https://x.example/%d/%s\">%s</a>\r\n", i, part, part)
		}
		h.WriteString("</body></html>\r\n")
		return []byte(h.String())
	}
	for _, raw := range [][]byte{
		poison("poison large", 300, strings.Repeat("a", 5000)),
		poison("poison escaped", 100, strings.Repeat(">", 1000)), // 200 KB raw, 1.8 MB escaped
	} {
		if _, err := srv.Append(testUser, "INBOX", raw); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Append(testUser, "INBOX", mail(2, "the next lure")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitLong, "the mail after the poison", func() bool {
		return slices.ContainsFunc(pub.all(), func(p published) bool { return p.msg.Subject == "the next lure" })
	})
	var subjects []string
	for _, p := range pub.all() {
		subjects = append(subjects, p.msg.Subject)
		if strings.HasPrefix(p.msg.Subject, "poison") && !strings.Contains(p.msg.ParseError, "shortened") {
			t.Errorf("%s published without the shortened flag (parse error %q)", p.msg.Subject, p.msg.ParseError)
		}
	}
	if want := []string{"poison large", "poison escaped", "the next lure"}; !slices.Equal(subjects, want) {
		t.Errorf("published %q, want %q", subjects, want)
	}
}
