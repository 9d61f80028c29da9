package bus_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/errkind"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

func TestPublishMessageDedupe(t *testing.T) {
	b := natstest.Embedded(t)
	msg := testMessage("sms-dedupe")
	seq1, dup1, err := b.PublishMessage(ctxT(t), msg)
	if err != nil || dup1 {
		t.Fatalf("PublishMessage() first = %d, %v, %v, want a new message", seq1, dup1, err)
	}
	if !msg.IngestedAt.IsZero() || msg.V != 0 {
		t.Errorf("PublishMessage modified its argument: %+v", msg)
	}
	seq2, dup2, err := b.PublishMessage(ctxT(t), msg)
	if err != nil || !dup2 || seq2 != seq1 {
		t.Errorf("PublishMessage() again = %d, %v, %v, want %d, true, nil", seq2, dup2, err, seq1)
	}
	msgs := streamMsgs(t, testJS(t, b), event.StreamInbound)
	if len(msgs) != 1 {
		t.Fatalf("INBOUND holds %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Subject != "scamscreen.inbound.sms.h1.p1" || m.Header.Get(jetstream.MsgIDHeader) != "sms-dedupe" || m.Header.Get(bus.HeaderType) != "message" {
		t.Errorf("stored message subject %q, headers %v, want inbound.sms.h1.p1 with Nats-Msg-Id and type", m.Subject, m.Header)
	}
	got, err := event.Decode[event.Message](m.Data)
	if err != nil {
		t.Fatalf("Decode(stored) = %v", err)
	}
	if got.ID != msg.ID || got.Text != msg.Text || got.IngestedAt.IsZero() || got.V != event.Version {
		t.Errorf("stored message = %+v, want the published one with IngestedAt and v set", got)
	}
}

func TestPublishRejectsInvalid(t *testing.T) {
	b := natstest.Embedded(t, func(c *bus.Config) { c.RequestAttempts = 1 })
	bad := testMessage("")
	tests := []struct {
		name      string
		publish   func() error
		permanent bool
	}{
		{"no id", func() error { _, _, err := b.PublishMessage(ctxT(t), bad); return err }, true},
		{"nil message", func() error { _, _, err := b.PublishMessage(ctxT(t), nil); return err }, true},
		{"bad household", func() error {
			m := testMessage("sms-x")
			m.Household = "a.b"
			_, _, err := b.PublishMessage(ctxT(t), m)
			return err
		}, true},
		{"generic without id", func() error {
			_, _, err := b.Publish(ctxT(t), "scamscreen.inbound.sms.h.p", "", []byte("x"), nil)
			return err
		}, true},
		{"over max payload", func() error {
			_, _, err := b.Publish(ctxT(t), "scamscreen.inbound.sms.h.p", "big", make([]byte, 2<<20), nil)
			return err
		}, true},
		{"no stream", func() error { _, _, err := b.Publish(ctxT(t), "elsewhere.x", "id-1", []byte("x"), nil); return err }, false},
		{"verdict without message id", func() error { _, _, err := b.PublishVerdict(ctxT(t), &event.Verdict{ID: "vd-1"}); return err }, true},
		{"alert without status", func() error { _, _, err := b.PublishAlert(ctxT(t), &event.Alert{ID: "al-1"}); return err }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.publish()
			if err == nil {
				t.Fatalf("publish = nil error, want one")
			}
			if got := errkind.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tt.permanent)
			}
		})
	}
}

func TestLargeRawGoesToObjectStore(t *testing.T) {
	b := natstest.Embedded(t)
	raw := make([]byte, 3<<20)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	msg := testMessage("em-large")
	msg.Channel = event.ChannelEmail
	msg.Raw = &event.Raw{Inline: raw, Type: "message/rfc822"}

	if _, dup, err := b.PublishMessage(ctxT(t), msg); err != nil || dup {
		t.Fatalf("PublishMessage(3 MiB raw) = dup %v, %v", dup, err)
	}
	if len(msg.Raw.Inline) != len(raw) || msg.Raw.Object != "" {
		t.Errorf("PublishMessage modified the caller's Raw")
	}
	// Publishing again (a re-ingest) stores neither a second message nor a
	// second object.
	if _, dup, err := b.PublishMessage(ctxT(t), msg); err != nil || !dup {
		t.Fatalf("PublishMessage(3 MiB raw) again = dup %v, %v, want a duplicate", dup, err)
	}

	msgs := streamMsgs(t, testJS(t, b), event.StreamInbound)
	if len(msgs) != 1 {
		t.Fatalf("INBOUND holds %d messages, want 1", len(msgs))
	}
	if len(msgs[0].Data) > 64<<10 {
		t.Errorf("stored message is %d bytes, want the raw moved out", len(msgs[0].Data))
	}
	got, err := event.Decode[event.Message](msgs[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got.Raw == nil || got.Raw.Object != "em-large" || len(got.Raw.Inline) != 0 || got.Raw.Size != int64(len(raw)) ||
		got.Raw.SHA256 != hex.EncodeToString(sum[:]) || got.Raw.Type != "message/rfc822" {
		t.Fatalf("stored Raw = %+v, want object em-large, no inline bytes, size and sha256 set", got.Raw)
	}
	back, err := b.FetchRaw(ctxT(t), got.Raw)
	if err != nil {
		t.Fatalf("FetchRaw() = %v", err)
	}
	if !bytes.Equal(back, raw) {
		t.Errorf("FetchRaw() returned %d bytes that differ from the original %d", len(back), len(raw))
	}

	store, err := b.ObjectStore(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := store.List(ctxT(t))
	if err != nil || len(objs) != 1 {
		t.Errorf("object store holds %d objects (%v), want 1", len(objs), err)
	}

	// A different original under the same id (an id collision) does not
	// overwrite the evidence already stored.
	other := testMessage("em-large")
	other.Channel = event.ChannelEmail
	other.Household = "h2"
	other.Raw = &event.Raw{Inline: bytes.Repeat([]byte("x"), 300<<10)}
	if _, _, err := b.PublishMessage(ctxT(t), other); err != nil {
		t.Fatal(err)
	}
	first, err := store.GetBytes(ctxT(t), "em-large")
	if err != nil || !bytes.Equal(first, raw) {
		t.Errorf("object em-large after a colliding publish: %d bytes, %v, want the first original", len(first), err)
	}
	objs, _ = store.List(ctxT(t))
	if len(objs) != 2 {
		t.Errorf("object store holds %d objects, want 2", len(objs))
	}
}

func TestSmallRawStaysInline(t *testing.T) {
	b := natstest.Embedded(t)
	msg := testMessage("sms-small")
	msg.Raw = &event.Raw{Inline: []byte("Body=hello&From=%2B81"), Type: "application/x-www-form-urlencoded"}
	if _, _, err := b.PublishMessage(ctxT(t), msg); err != nil {
		t.Fatal(err)
	}
	got, err := event.Decode[event.Message](streamMsgs(t, testJS(t, b), event.StreamInbound)[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Raw.Object != "" {
		t.Errorf("small raw went to object %q, want inline", got.Raw.Object)
	}
	back, err := b.FetchRaw(ctxT(t), got.Raw)
	if err != nil || !bytes.Equal(back, msg.Raw.Inline) {
		t.Errorf("FetchRaw(inline) = %q, %v, want %q", back, err, msg.Raw.Inline)
	}
	if _, err := b.FetchRaw(ctxT(t), nil); err == nil {
		t.Errorf("FetchRaw(nil) = nil error, want one")
	}
}

func TestPublishVerdictAndAlerts(t *testing.T) {
	b := natstest.Embedded(t)
	v := &event.Verdict{ID: event.VerdictID("sms-1", []string{"core@1"}), MessageID: "sms-1", Household: "h1", Person: "p1", Level: event.LevelScam}
	if _, dup, err := b.PublishVerdict(ctxT(t), v); err != nil || dup {
		t.Fatalf("PublishVerdict() = %v, %v", dup, err)
	}
	if _, dup, err := b.PublishVerdict(ctxT(t), v); err != nil || !dup {
		t.Fatalf("PublishVerdict() again = dup %v, %v, want a duplicate", dup, err)
	}
	a := &event.Alert{ID: event.AlertID(v.ID, "son", "sms", 0), VerdictID: v.ID, MessageID: "sms-1", Household: "h1", Person: "p1", Recipient: "son", Channel: "sms", Status: event.AlertPending}
	if _, _, err := b.PublishAlertJob(ctxT(t), a); err != nil {
		t.Fatal(err)
	}
	if _, dup, err := b.PublishAlertJob(ctxT(t), a); err != nil || !dup {
		t.Fatalf("PublishAlertJob() again = dup %v, %v, want a duplicate", dup, err)
	}
	for _, st := range []event.AlertStatus{event.AlertPending, event.AlertSent, event.AlertSent} {
		a.Status = st
		if _, _, err := b.PublishAlert(ctxT(t), a); err != nil {
			t.Fatal(err)
		}
	}
	js := testJS(t, b)
	verdicts := streamMsgs(t, js, event.StreamVerdicts)
	if len(verdicts) != 1 || verdicts[0].Subject != "scamscreen.verdict.h1.p1" || verdicts[0].Header.Get(jetstream.MsgIDHeader) != v.ID {
		t.Errorf("VERDICTS = %d messages, want one on scamscreen.verdict.h1.p1 with the verdict id", len(verdicts))
	}
	var subjects []string
	for _, m := range streamMsgs(t, js, event.StreamAlerts) {
		subjects = append(subjects, m.Subject)
	}
	want := fmt.Sprint([]string{"scamscreen.alert.h1.p1.job.sms", "scamscreen.alert.h1.p1", "scamscreen.alert.h1.p1"})
	if fmt.Sprint(subjects) != want {
		t.Errorf("ALERTS subjects = %v, want %s (one job, pending and sent recorded once each)", subjects, want)
	}
}

func TestPublishAll(t *testing.T) {
	b := natstest.Embedded(t)
	const n = 1000
	batch := func(yield func(bus.Outgoing) bool) {
		for i := range n {
			if !yield(bus.Outgoing{Subject: "scamscreen.inbound.sms.h1.p1", MsgID: fmt.Sprintf("load-%d", i), Data: []byte(`{"v":1}`), Header: nats.Header{"X-Test": {"1"}}}) {
				return
			}
		}
	}
	res, err := b.PublishAll(ctxT(t), iter.Seq[bus.Outgoing](batch), 64)
	if err != nil || res.Published != n || res.Duplicates != 0 {
		t.Fatalf("PublishAll() = %+v, %v, want %d published, no duplicates", res, err, n)
	}
	res, err = b.PublishAll(ctxT(t), batch, 0)
	if err != nil || res.Published != n || res.Duplicates != n {
		t.Fatalf("PublishAll() again = %+v, %v, want %d duplicates", res, err, n)
	}
	if got := streamInfo(t, testJS(t, b), event.StreamInbound).State.Msgs; got != n {
		t.Errorf("INBOUND holds %d messages, want %d", got, n)
	}
	_, err = b.PublishAll(ctxT(t), func(yield func(bus.Outgoing) bool) { yield(bus.Outgoing{Subject: "scamscreen.inbound.sms.h1.p1"}) }, 1)
	if !errors.Is(err, bus.ErrNoMsgID) {
		t.Errorf("PublishAll(no id) = %v, want ErrNoMsgID", err)
	}
}

func TestPublishRetriesUntilStreamExists(t *testing.T) {
	// A publish that finds no stream (as during a leader election) is
	// retried with the same id; here the stream appears during the retries.
	srv := natstest.RunServer(t, nil)
	b := natstest.Open(t, externalConfig(srv.ClientURL(), func(c *bus.Config) { c.RequestAttempts = 50 }), nil)
	js := testJS(t, b)
	if err := js.DeleteStream(ctxT(t), event.StreamVerdicts); err != nil {
		t.Fatal(err)
	}
	// A plain subscriber sees the first attempt arrive.
	sub, err := b.Conn().SubscribeSync("scamscreen.verdict.h1.p1")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := b.Publish(ctxT(t), "scamscreen.verdict.h1.p1", "vd-retry", []byte("{}"), nil)
		done <- err
	}()
	if _, err := sub.NextMsg(10 * time.Second); err != nil {
		t.Fatalf("first publish attempt not seen: %v", err)
	}
	if err := sub.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.EnsureStreams(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Publish() while the stream was missing = %v, want success after retries", err)
	}
	if got := streamInfo(t, js, event.StreamVerdicts).State.Msgs; got != 1 {
		t.Errorf("VERDICTS holds %d messages, want 1", got)
	}
}
