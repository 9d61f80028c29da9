package notify_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/notify"
)

// TestWorkerHandlerTimeout: a delivery handler runs for two thirds of
// ack_wait (the consume loop's deadline); a send_timeout that does not fit
// into it with room for the delivery record is a configuration error that
// names both keys, because a handler cancelled mid-send leaves the record
// "unknown" and the next delivery sends e-mail and webhooks again.
func TestWorkerHandlerTimeout(t *testing.T) {
	c := notify.DefaultConfig()
	if got, want := c.Worker.HandlerTimeout(), 40*time.Second; got != want {
		t.Errorf("default HandlerTimeout() = %s, want %s (two thirds of ack_wait 60s)", got, want)
	}
	for _, tt := range []struct {
		ackWait, sendTimeout time.Duration
		ok                   bool
	}{
		{60 * time.Second, 30 * time.Second, true},
		{47 * time.Second, 30 * time.Second, true},
		{40 * time.Second, 30 * time.Second, false}, // the handler is cut at 26.7s
		{46 * time.Second, 30 * time.Second, false}, // 30.7s: no room for the record
		{10 * time.Second, 5 * time.Second, true},
	} {
		c := validConfig()
		c.Worker.AckWait, c.Worker.SendTimeout = config.Duration(tt.ackWait), config.Duration(tt.sendTimeout)
		ps := problems(c.Validate())
		bad := slices.ContainsFunc(ps, func(p string) bool {
			return strings.HasPrefix(p, "worker.ack_wait: ") && strings.Contains(p, "send_timeout")
		})
		if bad == tt.ok {
			t.Errorf("Validate(ack_wait %s, send_timeout %s) = %q, want ok %v", tt.ackWait, tt.sendTimeout, ps, tt.ok)
		}
		if tt.ok && len(ps) != 0 {
			t.Errorf("Validate(ack_wait %s, send_timeout %s) = %q, want no problems", tt.ackWait, tt.sendTimeout, ps)
		}
	}
}
