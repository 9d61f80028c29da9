package console_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/scamscreen/scamscreen/notify"
	"github.com/scamscreen/scamscreen/notify/console"
	"github.com/scamscreen/scamscreen/notify/notifytest"
	"github.com/scamscreen/scamscreen/notify/twilio"
)

func TestSend(t *testing.T) {
	var buf bytes.Buffer
	ch := console.New(&buf)
	d := notifytest.NewDelivery(notify.Destination{Name: "健二", Phone: "+819011112222"}, notify.ChannelSMS, 1)
	d.Message.SMSInfo = notify.SMSInfo{Encoding: "UCS-2", Segments: 2}
	d.Alert.Urgent = true
	id, err := ch.Send(context.Background(), d)
	if err != nil || id != "console-1" {
		t.Fatalf("Send() = %q, %v", id, err)
	}
	out := buf.String()
	for _, want := range []string{"sms alert to 健二", "090-****-2222", "URGENT", "[2 segment(s), UCS-2]", notifytest.SampleMessage.SMS} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "9011112222") {
		t.Errorf("console output shows the full number:\n%s", out)
	}
	d.Alert.Channel, d.To = notify.ChannelEmail, notify.Destination{Name: "由美", Email: "yumi@family.example"}
	buf.Reset()
	if _, err := ch.Send(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "Subject: "+notifytest.SampleMessage.Subject) || !strings.Contains(out, "y***@family[.]example") {
		t.Errorf("e-mail on the console:\n%s", out)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ch.Send(ctx, d); err == nil {
		t.Error("Send() with a cancelled context = nil error")
	}
}

// TestWrapWithFakeTwilio is how the demo wires alerts: printed, then sent
// to the fake Twilio through the real twilio channel.
func TestWrapWithFakeTwilio(t *testing.T) {
	fake := notifytest.NewTwilioFake(notifytest.TwilioAccountSID, notifytest.TwilioAuthToken)
	defer fake.Close()
	cfg, err := fake.Config(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, err := twilio.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	ch := console.Wrap(c.SMS(), &buf)
	if _, ok := ch.(notify.Reconciler); !ok {
		t.Error("Wrap(twilio sms) lost reconciliation")
	}
	d := notifytest.NewDelivery(notify.Destination{Name: "健二", Phone: "+819011112222"}, notify.ChannelSMS, 1)
	sid, err := ch.Send(context.Background(), d)
	if err != nil || !strings.HasPrefix(sid, "SM") {
		t.Fatalf("Send() = %q, %v, want a Twilio SID", sid, err)
	}
	if len(fake.Messages()) != 1 || !strings.Contains(buf.String(), notifytest.SampleMessage.SMS) {
		t.Errorf("fake has %d messages, console printed %q", len(fake.Messages()), buf.String())
	}
}
