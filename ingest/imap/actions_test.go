package imap_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/ingest/imap"
	"github.com/scamscreen/scamscreen/ingest/imap/imaptest"
)

func TestActions(t *testing.T) {
	for _, c := range []struct {
		mode       imap.ActionMode
		wantFolder string
	}{
		{imap.ActionFlag, "INBOX"},
		{imap.ActionMove, "Junk"},
	} {
		t.Run(string(c.mode), func(t *testing.T) {
			srv := startServer(t, imaptest.Options{})
			acct := account(t, srv, testMailbox)
			acct.Inbox, acct.Sent = []string{"INBOX"}, []string{}
			cfg := testConfig()
			cfg.Action.Mode = c.mode
			locs := imap.NewKVLocations(imap.NewMemoryKV())
			pub := newRecorder(nil)
			r := startWorker(t, cfg, []imap.Account{acct}, pub, imap.NewMemoryStore(), imap.WithLocations(locs))
			waitSessions(t, r, 1)
			for _, name := range []string{"lure_unpaid_iso2022jp", "ordinary_family_iso2022jp"} {
				if _, err := srv.Append(testUser, "INBOX", sample(t, name).Raw); err != nil {
					t.Fatal(err)
				}
			}
			got := pub.waitCount(t, 2, waitLong)
			lure, family := got[0].msg, got[1].msg

			acts, err := imap.NewActions(cfg, []imap.Account{acct}, locs, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for _, v := range []*event.Verdict{
				{ID: "vd-1", MessageID: lure.ID, Level: event.LevelScam, Channel: event.ChannelEmail, Direction: event.DirectionIn},
				{ID: "vd-2", MessageID: family.ID, Level: event.LevelClean, Channel: event.ChannelEmail, Direction: event.DirectionIn},
				{ID: "vd-3", MessageID: "em-unknown", Level: event.LevelScam, Channel: event.ChannelEmail},
			} {
				if err := acts.Apply(ctx, v); err != nil {
					t.Errorf("Apply(%s) = %v, want nil", v.ID, err)
				}
			}
			n, _, _ := srv.Status(testUser, c.wantFolder)
			if c.mode == imap.ActionMove {
				if inbox, _, _ := srv.Status(testUser, "INBOX"); inbox != 1 || n != 1 {
					t.Errorf("after move: INBOX has %d mails, Junk %d; want 1 and 1", inbox, n)
				}
				return
			}
			loc, _ := imap.LocationFromMessage(lure)
			flags, err := srv.Flags(testUser, "INBOX", loc.UID)
			if err != nil {
				t.Fatal(err)
			}
			has := func(f string) bool {
				return slices.ContainsFunc(flags, func(g goimap.Flag) bool { return strings.EqualFold(string(g), f) })
			}
			if !has("$Phishing") || !has("$Junk") || has(string(goimap.FlagSeen)) {
				t.Errorf("flags of the scam mail = %v, want $Phishing and $Junk (and no \\Seen)", flags)
			}
			floc, _ := imap.LocationFromMessage(family)
			if flags, _ := srv.Flags(testUser, "INBOX", floc.UID); len(flags) != 0 {
				t.Errorf("flags of the clean mail = %v, want none", flags)
			}
		})
	}
}

func TestActionsOffByDefault(t *testing.T) {
	acts, err := imap.NewActions(imap.DefaultConfig(), nil, imap.NewKVLocations(imap.NewMemoryKV()), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acts.Enabled() {
		t.Errorf("Enabled() = true with the default config, want false")
	}
	if err := acts.Apply(context.Background(), &event.Verdict{MessageID: "em-x", Level: event.LevelScam}); err != nil {
		t.Errorf("Apply() = %v, want nil", err)
	}
}
