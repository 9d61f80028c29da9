package bus_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/scamscreen/scamscreen/event"
	"github.com/scamscreen/scamscreen/internal/bus"
	"github.com/scamscreen/scamscreen/internal/config"
	"github.com/scamscreen/scamscreen/internal/natstest"
)

func externalConfig(url string, mod func(*bus.Config)) bus.Config {
	cfg := bus.DefaultConfig()
	cfg.URL = bus.URLList{url}
	cfg.RequestTimeout = 2 * time.Second
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

func TestEnsureStreams(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	first := natstest.Open(t, externalConfig(srv.ClientURL(), nil), nil)
	js := testJS(t, first)

	for _, spec := range event.Streams {
		got := streamInfo(t, js, spec.Name).Config
		want := first.StreamConfig(spec)
		if got.Storage != jetstream.FileStorage || got.Retention != jetstream.LimitsPolicy || got.Discard != jetstream.DiscardOld ||
			got.MaxAge != bus.DefaultMaxAge || got.MaxBytes != -1 || got.Replicas != 1 || got.Duplicates != bus.DefaultDuplicates ||
			!cmp.Equal(got.Subjects, want.Subjects) {
			t.Errorf("stream %s config = %+v, want file storage, limits, discard old, 90 days, unlimited bytes, R1, default duplicates, subjects %v",
				spec.Name, got, want.Subjects)
		}
	}
	if _, _, err := first.PublishMessage(ctxT(t), testMessage("sms-before-update")); err != nil {
		t.Fatal(err)
	}
	created := streamInfo(t, js, event.StreamInbound).Created

	// Again with the same configuration: nothing to do.
	got, err := first.EnsureStreams(ctxT(t))
	if err != nil {
		t.Fatalf("EnsureStreams() again = %v", err)
	}
	want := []bus.StreamStatus{
		{Name: "INBOUND", Action: bus.StreamUnchanged}, {Name: "VERDICTS", Action: bus.StreamUnchanged},
		{Name: "ALERTS", Action: bus.StreamUnchanged}, {Name: "DEADLETTER", Action: bus.StreamUnchanged},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EnsureStreams() again (-want +got):\n%s", diff)
	}

	// A second process with a changed max age updates the streams in
	// place, keeping their messages; one with a DEADLETTER override
	// changes only that stream.
	second := natstest.Open(t, externalConfig(srv.ClientURL(), func(c *bus.Config) {
		c.Streams.MaxAge = config.Duration(30 * 24 * time.Hour)
		c.Streams.MaxBytes = 1 << 30
	}), nil)
	info := streamInfo(t, js, event.StreamInbound)
	if info.Config.MaxAge != 30*24*time.Hour || info.Config.MaxBytes != 1<<30 {
		t.Errorf("INBOUND after update: max age %s, max bytes %d, want 720h and 1 GiB", info.Config.MaxAge, info.Config.MaxBytes)
	}
	if info.State.Msgs != 1 || !info.Created.Equal(created) {
		t.Errorf("INBOUND after update: %d messages, created %v, want the same stream (1 message, created %v)", info.State.Msgs, info.Created, created)
	}
	got, err = second.EnsureStreams(ctxT(t))
	if err != nil {
		t.Fatalf("EnsureStreams() after update = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("EnsureStreams() after update (-want +got):\n%s", diff)
	}

	natstest.Open(t, externalConfig(srv.ClientURL(), func(c *bus.Config) {
		c.Streams.MaxAge = config.Duration(30 * 24 * time.Hour)
		c.Streams.MaxBytes = 1 << 30
		c.Streams.Overrides = map[string]bus.StreamLimits{"DEADLETTER": {MaxAge: config.Duration(365 * 24 * time.Hour)}}
	}), nil)
	if got := streamInfo(t, js, event.StreamDeadLetter).Config.MaxAge; got != 365*24*time.Hour {
		t.Errorf("DEADLETTER max age = %s, want 8760h from the override", got)
	}
	if got := streamInfo(t, js, event.StreamVerdicts).Config.MaxAge; got != 30*24*time.Hour {
		t.Errorf("VERDICTS max age = %s, want 720h (no override)", got)
	}
}

func TestEnsureStreamsRefusesIncompatibleStream(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	b := natstest.Open(t, externalConfig(srv.ClientURL(), nil), nil)
	js := testJS(t, b)
	if err := js.DeleteStream(ctxT(t), event.StreamAlerts); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctxT(t), jetstream.StreamConfig{Name: event.StreamAlerts, Subjects: []string{event.AlertFilterAll}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.EnsureStreams(ctxT(t)); err == nil {
		t.Errorf("EnsureStreams() with a memory ALERTS stream = nil, want an error explaining it cannot be changed in place")
	}
}

// Every subject event can build is captured by exactly one stream, the
// right one.
func TestSubjectsCapturedByExactlyOneStream(t *testing.T) {
	b := natstest.Embedded(t)
	js := testJS(t, b)
	must := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		subject string
		stream  string
	}{
		{must(event.InboundSubject(event.ChannelEmail, "h1", "p1")), event.StreamInbound},
		{must(event.InboundSubject(event.ChannelSMS, "h1", "p1")), event.StreamInbound},
		{must(event.InboundSubject(event.ChannelSMS, "", "")), event.StreamInbound},
		{must(event.VerdictSubject("h1", "p1")), event.StreamVerdicts},
		{must(event.VerdictSubject("", "p1")), event.StreamVerdicts},
		{must(event.AlertSubject("h1", "p1")), event.StreamAlerts},
		{must(event.AlertJobSubject("h1", "p1", "sms")), event.StreamAlerts},
		{must(event.AlertJobSubject("h1", "p1", "voice")), event.StreamAlerts},
		{must(event.DeadSubject("screen", "h1", "p1")), event.StreamDeadLetter},
		{must(event.DeadSubject("notify", "", "")), event.StreamDeadLetter},
	}
	for _, tt := range tests {
		var names []string
		lister := js.StreamNames(ctxT(t), jetstream.WithStreamListSubject(tt.subject))
		for n := range lister.Name() {
			names = append(names, n)
		}
		if err := lister.Err(); err != nil {
			t.Fatalf("StreamNames(%s) = %v", tt.subject, err)
		}
		if len(names) != 1 || names[0] != tt.stream {
			t.Errorf("streams capturing %s = %v, want [%s]", tt.subject, names, tt.stream)
		}
		if got, err := js.StreamNameBySubject(ctxT(t), tt.subject); err != nil || got != tt.stream {
			t.Errorf("StreamNameBySubject(%s) = %q, %v, want %s", tt.subject, got, err, tt.stream)
		}
	}
}
