package notifytest

import (
	"context"
	"fmt"
	"sync"

	"github.com/scamscreen/scamscreen/notify"
)

// Recorder is a channel that keeps every delivery it is given. Fail, when
// set, decides the result of each send instead. It is safe for concurrent
// use.
type Recorder struct {
	mu         sync.Mutex
	deliveries []notify.Delivery
	// Fail, when non-nil, is called for each send; a non-nil error is
	// returned and the delivery is not recorded.
	Fail func(d *notify.Delivery) error
}

var _ notify.Channel = (*Recorder)(nil)

// Send records d (a copy of its alert and message) and returns "rec-N".
func (r *Recorder) Send(ctx context.Context, d *notify.Delivery) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", (&notify.SendError{Channel: "recorder", Reason: notify.ContextReason(err), Err: err}).Classified()
	}
	if r.Fail != nil {
		if err := r.Fail(d); err != nil {
			return "", err
		}
	}
	a := *d.Alert
	cp := notify.Delivery{Alert: &a, To: d.To, Message: d.Message}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries = append(r.deliveries, cp)
	return fmt.Sprintf("rec-%d", len(r.deliveries)), nil
}

// Deliveries returns what was sent so far.
func (r *Recorder) Deliveries() []notify.Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Delivery(nil), r.deliveries...)
}

// Len is the number of deliveries.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.deliveries)
}
