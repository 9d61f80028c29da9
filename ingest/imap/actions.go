package imap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/obs"
)

// ActionMode says what is done to a mail screened as scam.
type ActionMode string

// Action modes.
const (
	// ActionOff leaves the mailbox untouched (default).
	ActionOff ActionMode = "off"
	// ActionFlag adds keywords (Flags) to the mail.
	ActionFlag ActionMode = "flag"
	// ActionMove adds the keywords and moves the mail to MoveTo.
	ActionMove ActionMode = "move"
)

// DefaultActionFlags are the keywords [ActionFlag] adds: the IANA-registered
// $Phishing and $Junk, which mail clients show or filter on.
var DefaultActionFlags = []string{"$Phishing", "$Junk"}

// ActionConfig is the optional change made to a mail screened as scam
// (ingest.imap.action). It is off by default: scamscreen never touches the
// user's mailbox unless an operator asks for it.
type ActionConfig struct {
	// Mode is off (default), flag or move.
	Mode ActionMode `yaml:"mode"`
	// Flags are the keywords added in flag and move mode (default $Phishing
	// and $Junk).
	Flags []string `yaml:"flags"`
	// MoveTo is the folder move mode moves the mail to (default: the
	// server's SPECIAL-USE \Junk folder, else "Junk").
	MoveTo string `yaml:"move_to"`
}

func (c *ActionConfig) defaults() {
	if c.Mode == "" {
		c.Mode = ActionOff
	}
	if c.Flags == nil {
		c.Flags = append([]string(nil), DefaultActionFlags...)
	}
}

func (c ActionConfig) enabled() bool { return c.Mode == ActionFlag || c.Mode == ActionMove }

// Validate checks c with defaults applied.
func (c ActionConfig) Validate() error {
	c.defaults()
	var p config.Problems
	switch c.Mode {
	case ActionOff, ActionFlag, ActionMove:
	default:
		p.Add("mode", "must be off, flag or move")
	}
	for i, f := range c.Flags {
		if f == "" || strings.ContainsAny(f, " (){%*\"\\]\r\n") && !strings.HasPrefix(f, "\\") {
			p.Add(config.Path("flags", i), "not an IMAP keyword")
		}
	}
	if strings.ContainsAny(c.MoveTo, "\r\n\x00") {
		p.Add("move_to", "not a folder name")
	}
	return p.Err()
}

// Actions applies the configured action to mails screened as scam. The
// CLI wires it to a consumer of VERDICTS. It is safe for concurrent use;
// each call uses its own short connection.
type Actions struct {
	cfg      Config
	accounts map[string]*Account
	loc      Locator
	log      *zap.Logger
	count    *prometheus.CounterVec
}

// NewActions returns the action component for accounts, finding mails
// through loc (normally the [KVLocations] the [Worker] records into).
// Metrics are registered on reg when it is not nil.
func NewActions(cfg Config, accounts []Account, loc Locator, logger *zap.Logger, reg prometheus.Registerer) (*Actions, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("imap config: %w", err)
	}
	if err := ValidateAccounts(accounts); err != nil {
		return nil, fmt.Errorf("imap accounts: %w", err)
	}
	if loc == nil {
		return nil, errors.New("imap actions: a locator is required")
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	c, err := newActionCounter(reg)
	if err != nil {
		return nil, err
	}
	a := &Actions{cfg: cfg, accounts: map[string]*Account{}, loc: loc, log: logger.Named("imap.action"), count: c}
	for i := range accounts {
		acc := accounts[i]
		a.accounts[acc.ID] = &acc
	}
	return a, nil
}

// Enabled reports whether an action is configured; when it is not, Apply
// does nothing and the CLI need not consume verdicts for it.
func (a *Actions) Enabled() bool { return a.cfg.Action.enabled() }

// Apply flags or moves the mail of a scam verdict on an incoming e-mail.
// Other verdicts, outgoing mail and mail it cannot find (unknown, or its
// folder was recreated) are left alone and return nil. Connection
// failures return an error worth retrying; a server refusing the change
// returns an [errkind.Permanent] error.
func (a *Actions) Apply(ctx context.Context, v *event.Verdict) error {
	if !a.Enabled() || v == nil || v.Level != event.LevelScam || v.Direction == event.DirectionOut ||
		v.Channel != "" && v.Channel != event.ChannelEmail {
		return nil
	}
	action := string(a.cfg.Action.Mode)
	log := a.log.With(obs.MessageID(v.MessageID), obs.VerdictID(v.ID))
	loc, ok, err := a.loc.Locate(ctx, v.MessageID)
	if err != nil {
		return err
	}
	acct := a.accounts[loc.Mailbox]
	if !ok || acct == nil {
		a.count.WithLabelValues(action, "unknown").Inc()
		log.Debug("scam verdict for a mail of no watched mailbox")
		return nil
	}
	log = log.With(zap.String("mailbox", loc.Mailbox), zap.String("folder", loc.Folder), zap.Uint32("uid", loc.UID))
	err = a.apply(ctx, acct, loc, log)
	switch {
	case errors.Is(err, errGone):
		a.count.WithLabelValues(action, "gone").Inc()
		log.Info("mail to act on is no longer where it was")
		return nil
	case err != nil:
		a.count.WithLabelValues(action, "failed").Inc()
		return fmt.Errorf("imap action on %s: %w", v.MessageID, err)
	}
	a.count.WithLabelValues(action, "done").Inc()
	log.Info("scam mail marked", zap.String("action", action))
	return nil
}

// errGone reports a mail whose folder was recreated (UIDVALIDITY changed).
var errGone = errors.New("mail not found")

func (a *Actions) apply(ctx context.Context, acct *Account, loc Location, log *zap.Logger) error {
	cn, err := dialer{cfg: &a.cfg, acct: acct}.dial(ctx, logoutGrace)
	if err != nil {
		if k := kindOf(err); k == kindAuth || k == kindConfig {
			return errkind.Permanent(err)
		}
		return err
	}
	defer cn.logout()
	var sel *goimap.SelectData
	err = cn.guard(func() error {
		var err error
		sel, err = cn.c.Select(loc.Folder, nil).Wait()
		return err
	})
	if err != nil {
		return imapRefusal(fmt.Errorf("select: %w", err))
	}
	if sel.UIDValidity != loc.UIDValidity {
		return errGone
	}
	set := goimap.UIDSetNum(goimap.UID(loc.UID))
	if flags := a.cfg.Action.Flags; len(flags) > 0 {
		fl := make([]goimap.Flag, len(flags))
		for i, f := range flags {
			fl[i] = goimap.Flag(f)
		}
		err = cn.guard(func() error {
			return cn.c.Store(set, &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true, Flags: fl}, nil).Close()
		})
		if err != nil {
			return imapRefusal(fmt.Errorf("store flags: %w", err))
		}
	}
	if a.cfg.Action.Mode != ActionMove {
		return nil
	}
	caps := cn.c.Caps()
	if !caps.Has(goimap.CapMove) && !caps.Has(goimap.CapUIDPlus) {
		// Without UID EXPUNGE the fallback would expunge every \Deleted
		// mail in the folder, not just this one.
		log.Warn("server supports neither MOVE nor UIDPLUS: mail flagged, not moved")
		return nil
	}
	list, err := cn.list()
	if err != nil {
		return err
	}
	dest := a.cfg.Action.MoveTo
	if dest == "" {
		if dest = findFolder(list, goimap.MailboxAttrJunk, junkNames); dest == "" {
			dest = "Junk"
		}
	}
	if dest == loc.Folder {
		return nil
	}
	if !slices.ContainsFunc(list, func(d *goimap.ListData) bool { return d.Mailbox == dest }) {
		// Never create folders in the user's mailbox; the mail keeps its
		// flags where it is.
		return errkind.Permanent(fmt.Errorf("move to %q: no such folder; mail flagged, not moved", dest))
	}
	if caps.Has(goimap.CapMove) {
		// MOVE is atomic: when it fails the mail stays where it is.
		err = cn.guard(func() error {
			_, err := cn.c.Move(set, dest).Wait()
			return err
		})
		if err != nil {
			return imapRefusal(fmt.Errorf("move to %q: %w", dest, err))
		}
		return nil
	}
	// go-imap's own fallback pipelines COPY, STORE \Deleted and EXPUNGE
	// without waiting for COPY, so a failed COPY still deleted the mail.
	// Here each step waits for the one before: the original is marked
	// \Deleted only once its copy exists, and only its UID is expunged.
	err = cn.guard(func() error {
		_, err := cn.c.Copy(set, dest).Wait()
		return err
	})
	if err != nil {
		return imapRefusal(fmt.Errorf("copy to %q: %w", dest, err))
	}
	err = cn.guard(func() error {
		return cn.c.Store(set, &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true, Flags: []goimap.Flag{goimap.FlagDeleted}}, nil).Close()
	})
	if err != nil {
		return imapRefusal(fmt.Errorf("copied to %q, store \\Deleted: %w", dest, err))
	}
	err = cn.guard(func() error { return cn.c.UIDExpunge(set).Close() })
	if err != nil {
		return imapRefusal(fmt.Errorf("copied to %q, uid expunge: %w", dest, err))
	}
	return nil
}

// imapRefusal makes a NO or BAD answer permanent; anything else (a broken
// connection) stays retryable.
func imapRefusal(err error) error {
	var ie *goimap.Error
	if errors.As(err, &ie) {
		return errkind.Permanent(err)
	}
	return err
}
