package imap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	imapclient "github.com/emersion/go-imap/v2/imapclient"
	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/internal/obs"
)

// folder is the state of one watched folder during a session.
type folder struct {
	w    *Worker
	a    *Account
	spec folderSpec
	cn   *conn
	log  *zap.Logger
	key  CheckpointKey

	cp    Checkpoint
	rev   uint64
	dirty bool // cp has progress not yet saved
}

// session connects to one folder, catches up from its checkpoint and then
// waits for new mail until ctx ends (nil) or something fails (an error).
func (w *Worker) session(ctx context.Context, a *Account, spec folderSpec, log *zap.Logger) error {
	if err := w.acquire(ctx); err != nil {
		return err
	}
	held := true
	release := func() {
		if held {
			held = false
			w.release()
		}
	}
	defer release()

	cn, err := dialer{cfg: &w.cfg, acct: a}.dial(ctx, logoutGrace)
	if err != nil {
		return err
	}
	defer cn.logout()
	f := &folder{w: w, a: a, spec: spec, cn: cn, log: log, key: CheckpointKey{Mailbox: a.ID, Folder: spec.name}}
	// Whatever ends the session (a publish error, a dropped connection,
	// shutdown), keep what JetStream already acknowledged: otherwise it is
	// published again after the reconnect, as new mail once the backoff
	// outlasts the stream's duplicate window.
	defer f.saveOnExit(ctx)
	// EXAMINE opens the folder read-only: nothing this session does can
	// change the user's flags.
	var sel *goimap.SelectData
	err = cn.guard(func() error {
		var err error
		sel, err = cn.c.Select(spec.name, &goimap.SelectOptions{ReadOnly: true}).Wait()
		return err
	})
	if err != nil {
		return &opError{kind: kindSelect, err: fmt.Errorf("examine: %w", err)}
	}
	if err := f.start(ctx, sel); err != nil {
		return err
	}
	if err := f.catchUp(ctx); err != nil {
		return err
	}
	release()

	idle := cn.supportsIdle()
	w.m.sessions.Inc()
	defer w.m.sessions.Dec()
	log.Debug("folder ready", zap.Bool("idle", idle), zap.Uint32("uidvalidity", f.cp.UIDValidity), zap.Uint32("last_uid", f.cp.LastUID))
	for {
		if idle {
			err = f.waitIdle(ctx)
		} else {
			err = f.waitPoll(ctx)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if err := f.catchUp(ctx); err != nil {
			return err
		}
	}
}

// start loads the checkpoint and sets it up for a first start or a
// UIDVALIDITY change.
func (f *folder) start(ctx context.Context, sel *goimap.SelectData) error {
	cp, rev, err := f.w.store.Load(ctx, f.key)
	if err != nil {
		return &opError{kind: kindCheckpoint, err: err}
	}
	f.cp, f.rev = cp, rev
	if rev != 0 && cp.UIDValidity == sel.UIDValidity {
		return nil
	}
	highest, err := f.highestUID(sel)
	if err != nil {
		return err
	}
	now := f.w.now().UTC()
	switch {
	case rev == 0 && f.w.cfg.Backfill == 0:
		// The horizon is the arrival of the newest mail already there, on
		// the server's clock: a later resync must skip what was there
		// before, and publish whatever arrives after.
		horizon, err := f.firstHorizon(sel, highest)
		if err != nil {
			return err
		}
		f.cp = Checkpoint{UIDValidity: sel.UIDValidity, LastUID: highest, Horizon: horizon}
		f.log.Info("first start: ingesting new mail only", zap.Uint32("uidvalidity", sel.UIDValidity), zap.Uint32("last_uid", highest))
	case rev == 0:
		f.cp = Checkpoint{UIDValidity: sel.UIDValidity, FilterEnd: highest, Horizon: now.Add(-f.w.cfg.Backfill.Std())}
		f.log.Info("first start: backfilling", zap.Duration("backfill", f.w.cfg.Backfill.Std()), zap.Uint32("uidvalidity", sel.UIDValidity), zap.Uint32("filter_end", highest))
	default:
		f.log.Warn("UIDVALIDITY changed: resyncing, skipping mail published before",
			zap.Uint32("old_uidvalidity", cp.UIDValidity), zap.Uint32("uidvalidity", sel.UIDValidity), zap.Uint32("filter_end", highest))
		f.cp.UIDValidity = sel.UIDValidity
		f.cp.LastUID = 0
		f.cp.FilterEnd = highest
	}
	f.dirty = true
	return f.save(ctx)
}

// highestUID returns the highest UID in the folder now (0 when empty).
func (f *folder) highestUID(sel *goimap.SelectData) (uint32, error) {
	if sel.UIDNext > 1 {
		return uint32(sel.UIDNext) - 1, nil
	}
	if sel.NumMessages == 0 {
		return 0, nil
	}
	uids, err := f.search(&goimap.SearchCriteria{})
	if err != nil {
		return 0, err
	}
	if len(uids) == 0 {
		return 0, nil
	}
	return slices.Max(uids), nil
}

// firstHorizon returns the cut-off of a first start without backfill:
// the arrival of the newest mail in the folder. UIDNEXT-1 is often gone
// (the newest mail was deleted), and a zero horizon would let a later
// UIDVALIDITY change republish the whole folder; then the last mail by
// sequence number, the newest still there, is asked for. An empty folder
// has no old mail to hold back and keeps a zero horizon: everything after
// it is published and remembered.
func (f *folder) firstHorizon(sel *goimap.SelectData, highest uint32) (time.Time, error) {
	t, err := f.arrivalOf(highest)
	if err != nil || !t.IsZero() {
		return t, err
	}
	if sel.NumMessages == 0 {
		return time.Time{}, nil
	}
	err = f.cn.guard(func() error {
		bufs, err := f.cn.c.Fetch(goimap.SeqSetNum(sel.NumMessages), &goimap.FetchOptions{UID: true, InternalDate: true}).Collect()
		for _, b := range bufs {
			if b.InternalDate.After(t) {
				t = b.InternalDate.UTC()
			}
		}
		return err
	})
	if err != nil {
		return time.Time{}, &opError{kind: kindFetch, err: fmt.Errorf("fetch internaldate of message %d: %w", sel.NumMessages, err)}
	}
	if t.IsZero() {
		// No arrival time came back: hold back everything before now.
		t = f.w.now().UTC()
	}
	return t, nil
}

// arrivalOf returns the INTERNALDATE of uid (zero for uid 0 or a mail
// that is gone).
func (f *folder) arrivalOf(uid uint32) (time.Time, error) {
	if uid == 0 {
		return time.Time{}, nil
	}
	var t time.Time
	err := f.cn.guard(func() error {
		bufs, err := f.cn.c.Fetch(uidSet([]uint32{uid}), &goimap.FetchOptions{UID: true, InternalDate: true}).Collect()
		for _, b := range bufs {
			t = b.InternalDate.UTC()
		}
		return err
	})
	if err != nil {
		return time.Time{}, &opError{kind: kindFetch, err: fmt.Errorf("uid fetch internaldate of uid %d: %w", uid, err)}
	}
	return t, nil
}

// save stores the checkpoint if it changed, resolving a lost
// compare-and-swap by keeping the further of the two.
func (f *folder) save(ctx context.Context) error {
	if !f.dirty {
		return nil
	}
	f.cp.Updated = f.w.now().UTC()
	for attempt := 0; ; attempt++ {
		rev, err := f.w.store.Save(ctx, f.key, f.cp, f.rev)
		if err == nil {
			f.rev, f.dirty = rev, false
			return nil
		}
		if !errors.Is(err, ErrConflict) || attempt == 2 {
			return &opError{kind: kindCheckpoint, err: err}
		}
		// Another process wrote this folder's checkpoint (two replicas
		// watching one mailbox): continue from whichever got further.
		other, rev, lerr := f.w.store.Load(ctx, f.key)
		if lerr != nil {
			return &opError{kind: kindCheckpoint, err: lerr}
		}
		f.log.Warn("checkpoint written by another process; is this mailbox watched twice?")
		f.rev = rev
		if other.UIDValidity == f.cp.UIDValidity && other.LastUID >= f.cp.LastUID {
			f.cp, f.dirty = other, false
			return nil
		}
	}
}

// exitSaveTimeout bounds the checkpoint save at the end of a session.
const exitSaveTimeout = 5 * time.Second

// saveOnExit saves progress not yet saved when a session ends. It runs
// after ctx may have ended, so it uses a context of its own. LastUID only
// ever covers acknowledged mail, so saving it mid-batch is safe.
func (f *folder) saveOnExit(ctx context.Context) {
	if !f.dirty {
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exitSaveTimeout)
	defer cancel()
	if err := f.save(sctx); err != nil {
		f.log.Warn("cannot save the checkpoint at the end of the session", zap.Uint32("last_uid", f.cp.LastUID), zap.Error(err))
	}
}

// search runs UID SEARCH under the command guard.
func (f *folder) search(c *goimap.SearchCriteria) ([]uint32, error) {
	var data *goimap.SearchData
	err := f.cn.guard(func() error {
		var err error
		data, err = f.cn.c.UIDSearch(c, nil).Wait()
		return err
	})
	if err != nil {
		return nil, &opError{kind: kindFetch, err: fmt.Errorf("uid search: %w", err)}
	}
	all := data.AllUIDs()
	out := make([]uint32, len(all))
	for i, u := range all {
		out[i] = uint32(u)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// candidates returns the UIDs after the checkpoint, and whether they are
// in the filtered catch-up range.
func (f *folder) candidates() ([]uint32, bool, error) {
	if f.cp.LastUID < f.cp.FilterEnd {
		var set goimap.UIDSet
		set.AddRange(goimap.UID(f.cp.LastUID+1), goimap.UID(f.cp.FilterEnd))
		c := &goimap.SearchCriteria{UID: []goimap.UIDSet{set}}
		if !f.cp.Horizon.IsZero() {
			// SEARCH SINCE compares dates in the server's time zone; two days
			// of margin, and the exact check on INTERNALDATE below.
			c.Since = f.cp.Horizon.Add(-48 * time.Hour)
		}
		uids, err := f.search(c)
		if err != nil {
			return nil, false, err
		}
		uids = slices.DeleteFunc(uids, func(u uint32) bool { return u <= f.cp.LastUID || u > f.cp.FilterEnd })
		return uids, true, nil
	}
	var set goimap.UIDSet
	set.AddRange(goimap.UID(f.cp.LastUID+1), 0)
	uids, err := f.search(&goimap.SearchCriteria{UID: []goimap.UIDSet{set}})
	if err != nil {
		return nil, false, err
	}
	// UID SEARCH n:* answers the highest UID even when it is below n.
	uids = slices.DeleteFunc(uids, func(u uint32) bool { return u <= f.cp.LastUID })
	return uids, false, nil
}

// catchUp publishes everything after the checkpoint, in UID order, saving
// the checkpoint after each batch.
func (f *folder) catchUp(ctx context.Context) error {
	for {
		uids, filtered, err := f.candidates()
		if err != nil {
			return err
		}
		if filtered && len(uids) == 0 {
			// Nothing left in the filtered range: all of it is handled.
			f.cp.LastUID = f.cp.FilterEnd
			f.dirty = true
			if err := f.save(ctx); err != nil {
				return err
			}
			continue
		}
		if len(uids) == 0 {
			return f.save(ctx)
		}
		for batch := range slices.Chunk(uids, f.w.cfg.FetchBatch) {
			if err := f.batch(ctx, batch, filtered); err != nil {
				return err
			}
			if err := f.save(ctx); err != nil {
				return err
			}
		}
		if !filtered {
			return nil
		}
	}
}

// batch publishes one batch of UIDs. In the filtered range it first reads
// each mail's Message-ID and arrival time and drops what was published
// before or arrived before the horizon. The checkpoint advances only over
// the UIDs of the batch that were published or skipped, in order: never
// past a mail that is still to be published.
func (f *folder) batch(ctx context.Context, uids []uint32, filtered bool) error {
	p := &progress{f: f, uids: uids, pending: make(map[uint32]bool, len(uids))}
	for _, u := range uids {
		p.pending[u] = true
	}
	if filtered {
		sums, err := f.summaries(uids)
		if err != nil {
			return err
		}
		for _, s := range sums {
			// A mail without an arrival time is published: a zero time
			// would count as before the horizon.
			if p.pending[s.uid] && !s.arrival.IsZero() && f.cp.known(recentKey(s.messageID, s.size, s.arrival), s.arrival) {
				f.w.m.skipped.WithLabelValues(f.a.ID).Inc()
				p.done(s.uid)
			}
		}
	}
	var todo []uint32
	for _, u := range uids {
		if p.pending[u] {
			todo = append(todo, u)
		}
	}
	if len(todo) > 0 {
		if err := f.fetchAndPublish(ctx, todo, p); err != nil {
			return err
		}
	}
	if len(p.pending) > 0 {
		return &opError{kind: kindFetch, err: fmt.Errorf("uid fetch: %d mails of uids %d:%d not handled", len(p.pending), uids[0], uids[len(uids)-1])}
	}
	return nil
}

// progress tracks which UIDs of a batch are handled and advances the
// checkpoint over the handled ones at its start.
type progress struct {
	f       *folder
	uids    []uint32 // the batch, ascending
	next    int      // uids[:next] are covered by the checkpoint
	pending map[uint32]bool
}

// done marks uid handled (published or deliberately skipped) and moves
// LastUID as far as the batch is handled without a gap.
func (p *progress) done(uid uint32) {
	delete(p.pending, uid)
	for p.next < len(p.uids) && !p.pending[p.uids[p.next]] {
		if u := p.uids[p.next]; u > p.f.cp.LastUID {
			p.f.cp.LastUID = u
			p.f.dirty = true
		}
		p.next++
	}
}

// summary is what a resync needs to recognise a mail.
type summary struct {
	uid       uint32
	arrival   time.Time
	size      int64
	messageID string
}

var messageIDSection = &goimap.FetchItemBodySection{
	Specifier:    goimap.PartSpecifierHeader,
	HeaderFields: []string{"Message-ID"},
	Peek:         true,
}

// summaries fetches UID, INTERNALDATE, RFC822.SIZE and the Message-ID
// header of uids.
func (f *folder) summaries(uids []uint32) ([]summary, error) {
	var out []summary
	err := f.cn.guard(func() error {
		cmd := f.cn.c.Fetch(uidSet(uids), &goimap.FetchOptions{
			UID: true, InternalDate: true, RFC822Size: true,
			BodySection: []*goimap.FetchItemBodySection{messageIDSection},
		})
		bufs, err := cmd.Collect()
		if err != nil {
			return err
		}
		for _, b := range bufs {
			out = append(out, summary{
				uid:       uint32(b.UID),
				arrival:   b.InternalDate,
				size:      b.RFC822Size,
				messageID: headerMessageID(b.FindBodySection(messageIDSection)),
			})
		}
		return nil
	})
	if err != nil {
		return nil, &opError{kind: kindFetch, err: fmt.Errorf("uid fetch summaries: %w", err)}
	}
	slices.SortFunc(out, func(a, b summary) int { return int(int64(a.uid) - int64(b.uid)) })
	return out, nil
}

func uidSet(uids []uint32) goimap.UIDSet {
	var s goimap.UIDSet
	for _, u := range uids {
		s.AddNum(goimap.UID(u))
	}
	return s
}

var bodySection = &goimap.FetchItemBodySection{Peek: true}

// fetched is one mail read from the server.
type fetched struct {
	uid       uint32
	arrival   time.Time
	raw       []byte
	size      int64 // the mail's full size; more than len(raw) when cut
	truncated bool

	gotBody    bool  // the response carried BODY[]
	rfc822Size int64 // RFC822.SIZE when asked for, else -1
}

// hasBody reports whether m carries a body worth publishing. An empty
// BODY[] is a server that could not extract the mail (go-imap's memory
// server does that for a broken header block), not an empty mail.
func (m *fetched) hasBody() bool { return m.gotBody && m.size > 0 }

// fetchAndPublish fetches uids with BODY.PEEK[] (never setting \Seen),
// streaming one mail at a time, and publishes each in UID order, marking
// it done in p. A server silent for longer than the command timeout
// closes the connection.
//
// go-imap hands a FETCH response to the command by its UID, so an
// unsolicited flag update (* 1 FETCH (UID 1 FLAGS ...)) can take the place
// of the answer, whose body is then dropped; a server may also split one
// mail over several responses, or leave a mail out. Such a mail is never
// published empty: it is fetched again on its own, and if that fails too
// the batch fails with the checkpoint before it.
func (f *folder) fetchAndPublish(ctx context.Context, uids []uint32, p *progress) error {
	dog := newWatchdog(f.cn)
	defer dog.stop()
	dog.arm()
	cmd := f.cn.c.Fetch(uidSet(uids), &goimap.FetchOptions{UID: true, InternalDate: true, BodySection: []*goimap.FetchItemBodySection{bodySection}})
	var prev uint32
	arrivals := map[uint32]time.Time{}
	for {
		dog.arm()
		md := cmd.Next()
		if md == nil {
			break
		}
		m, err := f.read(md, dog)
		if err != nil {
			f.cn.abort(cmd)
			return &opError{kind: kindFetch, err: err}
		}
		dog.disarm()
		if !p.pending[m.uid] {
			continue // not asked for, or already handled
		}
		if !m.hasBody() {
			if !m.arrival.IsZero() {
				arrivals[m.uid] = m.arrival
			}
			continue // fetched again below
		}
		if m.uid <= prev {
			// Processing out of UID order would break the checkpoint's
			// promise; start over from it on a new connection.
			f.cn.abort(cmd)
			return &opError{kind: kindProtocol, err: fmt.Errorf("uid fetch: uid %d after %d", m.uid, prev)}
		}
		prev = m.uid
		if err := f.publishFetched(ctx, m, p); err != nil {
			f.cn.abort(cmd)
			return err
		}
	}
	dog.arm()
	err := cmd.Close()
	if err != nil {
		return &opError{kind: kindFetch, err: dog.explain(fmt.Errorf("uid fetch %d:%d: %w", uids[0], uids[len(uids)-1], err))}
	}
	dog.disarm()
	for _, u := range uids {
		if !p.pending[u] {
			continue
		}
		if err := f.fetchAgain(ctx, u, arrivals[u], p); err != nil {
			return err
		}
	}
	return nil
}

// publishFetched publishes one mail and marks it done.
func (f *folder) publishFetched(ctx context.Context, m *fetched, p *progress) error {
	f.w.m.fetched.WithLabelValues(f.a.ID).Inc()
	if err := f.publish(ctx, m); err != nil {
		return err
	}
	p.done(m.uid)
	return nil
}

// fetchAgain fetches one mail whose body did not come with its batch. A
// mail that is gone (expunged meanwhile) is skipped; one the server still
// lists but will not send fails the batch, leaving the checkpoint before
// it.
func (f *folder) fetchAgain(ctx context.Context, uid uint32, arrival time.Time, p *progress) error {
	dog := newWatchdog(f.cn)
	defer dog.stop()
	dog.arm()
	cmd := f.cn.c.Fetch(uidSet([]uint32{uid}), &goimap.FetchOptions{UID: true, InternalDate: true, RFC822Size: true, BodySection: []*goimap.FetchItemBodySection{bodySection}})
	var got *fetched
	answered := false
	for {
		dog.arm()
		md := cmd.Next()
		if md == nil {
			break
		}
		m, err := f.read(md, dog)
		if err != nil {
			f.cn.abort(cmd)
			return &opError{kind: kindFetch, err: err}
		}
		dog.disarm()
		if m.uid != uid {
			continue
		}
		answered = true
		if !m.arrival.IsZero() {
			arrival = m.arrival
		}
		if m.hasBody() || m.gotBody && m.rfc822Size == 0 { // a mail that really is empty
			got = m
		}
	}
	dog.arm()
	if err := cmd.Close(); err != nil {
		return &opError{kind: kindFetch, err: dog.explain(fmt.Errorf("uid fetch %d again: %w", uid, err))}
	}
	dog.disarm()
	if got != nil {
		got.arrival = arrival
		return f.publishFetched(ctx, got, p)
	}
	if !answered {
		uids, err := f.search(&goimap.SearchCriteria{UID: []goimap.UIDSet{uidSet([]uint32{uid})}})
		if err != nil {
			return err
		}
		if !slices.Contains(uids, uid) {
			f.log.Debug("mail gone before it could be fetched", zap.Uint32("uid", uid))
			p.done(uid)
			return nil
		}
		return &opError{kind: kindFetch, err: fmt.Errorf("uid fetch %d: the server lists the mail but does not return it", uid)}
	}
	return &opError{kind: kindFetch, err: fmt.Errorf("uid fetch %d: the server answered without the mail's body", uid)}
}

// read collects one message of a FETCH response, reading at most
// MaxMessageSize bytes of its body into memory.
func (f *folder) read(md *imapclient.FetchMessageData, dog *watchdog) (*fetched, error) {
	m := &fetched{rfc822Size: -1}
	limit := int64(f.w.cfg.MaxMessageSize)
	for {
		item := md.Next()
		if item == nil {
			break
		}
		switch it := item.(type) {
		case imapclient.FetchItemDataUID:
			m.uid = uint32(it.UID)
		case imapclient.FetchItemDataInternalDate:
			m.arrival = it.Time
		case imapclient.FetchItemDataRFC822Size:
			m.rfc822Size = it.Size
		case imapclient.FetchItemDataBodySection:
			if it.Literal == nil {
				continue
			}
			m.gotBody = true
			m.size = it.Literal.Size()
			n := min(m.size, limit)
			m.raw = make([]byte, n)
			if _, err := io.ReadFull(progressReader{it.Literal, dog}, m.raw); err != nil {
				return nil, dog.explain(fmt.Errorf("read body of uid %d: %w", m.uid, err))
			}
			if m.size > n {
				m.truncated = true
				if _, err := io.Copy(io.Discard, progressReader{it.Literal, dog}); err != nil {
					return nil, dog.explain(fmt.Errorf("skip body of uid %d: %w", m.uid, err))
				}
			}
		}
	}
	if m.uid == 0 {
		return nil, errors.New("uid fetch: response without UID")
	}
	return m, nil
}

// waitIdle waits in IDLE until the server reports new mail, the IDLE
// renewal is due, ctx ends or the connection drops.
func (f *folder) waitIdle(ctx context.Context) error {
	if f.cn.pendingUpdate() {
		return nil // mail arrived while catching up: look again first
	}
	var idle *imapclient.IdleCommand
	err := f.cn.guard(func() error {
		var err error
		idle, err = f.cn.c.Idle()
		return err
	})
	if err != nil {
		return &opError{kind: kindProtocol, err: fmt.Errorf("idle: %w", err)}
	}
	t := time.NewTimer(f.w.cfg.IdleRestart.Std())
	defer t.Stop()
	closed := false
	select {
	case <-f.cn.updates:
	case <-t.C:
		f.w.m.idleRenews.WithLabelValues(f.a.ID).Inc()
	case <-ctx.Done():
	case <-f.cn.c.Closed():
		closed = true
	}
	err = f.cn.guard(func() error {
		if err := idle.Close(); err != nil {
			return err
		}
		return idle.Wait()
	})
	if closed {
		return &opError{kind: kindClosed, err: errors.New("connection closed during idle")}
	}
	if err != nil && ctx.Err() == nil {
		return &opError{kind: kindProtocol, err: fmt.Errorf("idle: %w", err)}
	}
	return nil
}

// waitPoll waits for the poll interval and asks the server for news.
func (f *folder) waitPoll(ctx context.Context) error {
	t := time.NewTimer(f.w.cfg.PollInterval.Std())
	defer t.Stop()
	select {
	case <-t.C:
	case <-f.cn.updates: // a server may still push EXISTS unasked
	case <-ctx.Done():
		return nil
	case <-f.cn.c.Closed():
		return &opError{kind: kindClosed, err: errors.New("connection closed")}
	}
	if err := f.cn.guard(func() error { return f.cn.c.Noop().Wait() }); err != nil {
		return &opError{kind: kindProtocol, err: fmt.Errorf("noop: %w", err)}
	}
	return nil
}

// logFields identify a mail in logs without its content.
func (f *folder) logFields(m *fetched, id string) []zap.Field {
	return []zap.Field{zap.Uint32("uid", m.uid), obs.MessageID(id)}
}
