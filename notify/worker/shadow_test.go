package worker_test

import (
	"testing"
	"time"

	"github.com/scamscreen/scamscreen/notify"
)

// TestShadowAlertsCarryNoAckLink: a shadow alert must not carry a real
// signed acknowledgement link, since opening it would publish a real
// acknowledgement on ALERTS and stop a real escalation.
func TestShadowAlertsCarryNoAckLink(t *testing.T) {
	f := newFixtureSigned(t, jst(29, 12, 0), func(c *notify.Config) {
		c.Shadow = true
		c.Ack.PublicURL = "https://scamscreen.example.jp"
		c.Ack.Listen = "127.0.0.1:0"
		c.Ack.Key = secretFile(t, "ack-signing-key-for-tests-0123456789")
	}, true, escalationPeople())
	f.publish(t, urgentVerdict("shadow-link", jst(29, 12, 0)))
	f.settle(t)
	poll(t, 10*time.Second, "the shadow alerts", func() bool { return f.rec.Len() == 3 })
	for _, d := range f.rec.Deliveries() {
		if d.Message.AckURL != "" {
			t.Errorf("shadow alert to %s carries the acknowledgement link %s", d.Alert.Recipient, d.Message.AckURL)
		}
	}
}
