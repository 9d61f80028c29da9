package console

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/template"
)

// Channel writes alerts to a writer. It implements notify.Channel and is
// safe for concurrent use; each alert is written in one piece.
type Channel struct {
	mu  sync.Mutex
	w   io.Writer
	seq atomic.Uint64
}

var _ notify.Channel = (*Channel)(nil)

// New returns a channel writing to w.
func New(w io.Writer) *Channel { return &Channel{w: w} }

// Send writes d and returns "console-N".
func (c *Channel) Send(ctx context.Context, d *notify.Delivery) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", (&notify.SendError{Channel: "console", Reason: notify.ContextReason(err), Err: err}).Classified()
	}
	text := Format(d)
	c.mu.Lock()
	_, err := io.WriteString(c.w, text)
	c.mu.Unlock()
	if err != nil {
		return "", (&notify.SendError{Channel: "console", Reason: notify.ReasonUnavailable, Detail: "write failed", Err: err}).Classified()
	}
	return "console-" + strconv.FormatUint(c.seq.Add(1), 10), nil
}

// Format renders d as the console shows it.
func Format(d *notify.Delivery) string {
	a := d.Alert
	var b strings.Builder
	fmt.Fprintf(&b, "──── %s alert to %s (%s %s", a.Channel, d.To.Name, a.RecipientKind, a.Recipient)
	if dest := maskedDest(d.To); dest != "" {
		b.WriteString(", " + dest)
	}
	b.WriteString(")")
	if a.Urgent {
		b.WriteString(" URGENT")
	}
	if a.Step > 0 {
		fmt.Fprintf(&b, " step %d", a.Step)
	}
	if a.GroupCount > 1 {
		fmt.Fprintf(&b, " group of %d", a.GroupCount)
	}
	fmt.Fprintf(&b, " · %s/%s · %s\n", a.Household, a.Person, a.ID)
	switch a.Channel {
	case notify.ChannelSMS:
		fmt.Fprintf(&b, "[%d segment(s), %s]\n%s\n", d.Message.SMSInfo.Segments, d.Message.SMSInfo.Encoding, d.Message.SMS)
	case notify.ChannelVoice:
		fmt.Fprintf(&b, "[call]\n%s\n", d.Message.Speech)
	case notify.ChannelEmail:
		fmt.Fprintf(&b, "Subject: %s\n\n%s\n", d.Message.Subject, d.Message.Text)
	default:
		fmt.Fprintf(&b, "%s\n", d.Message.Text)
	}
	return b.String()
}

func maskedDest(to notify.Destination) string {
	switch {
	case to.Phone != "":
		return notify.MaskPhone(to.Phone)
	case to.Email != "":
		return template.MaskEmail(to.Email)
	case to.URL != "" || to.URLSecret.IsSet():
		return "webhook"
	}
	return ""
}

// Wrap returns a channel that writes each alert to w and then sends it
// through inner, so the demo shows what a real (or fake) provider
// receives. It keeps inner's reconciliation.
func Wrap(inner notify.Channel, w io.Writer) notify.Channel {
	p := &wrapped{inner: inner, out: New(w)}
	if rc, ok := inner.(notify.Reconciler); ok {
		return &wrappedReconciler{wrapped: p, rc: rc}
	}
	return p
}

type wrapped struct {
	inner notify.Channel
	out   *Channel
}

func (p *wrapped) Send(ctx context.Context, d *notify.Delivery) (string, error) {
	if _, err := p.out.Send(ctx, d); err != nil {
		return "", err
	}
	return p.inner.Send(ctx, d)
}

type wrappedReconciler struct {
	*wrapped
	rc notify.Reconciler
}

func (p *wrappedReconciler) Reconcile(ctx context.Context, d *notify.Delivery, since, until time.Time) (string, bool, error) {
	return p.rc.Reconcile(ctx, d, since, until)
}
