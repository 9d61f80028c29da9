package obs_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/scamscreen/scamscreen/internal/obs"
)

func TestMetricsCounters(t *testing.T) {
	m := obs.NewMetrics()
	m.MessageIn("email", "imap")
	m.MessageIn("email", "imap")
	m.MessageIn("sms", "twilio")
	m.ObserveVerdict("sms", "scam", []string{"gift_card_demand", "impersonation"}, 40*time.Millisecond)
	m.ObserveVerdict("email", "clean", nil, -time.Second) // clock skew: not observed
	m.ObserveDeadLetter("screen", "decode")
	m.RulePackReload(true)
	m.RulePackReload(false)
	m.RulePackReload(true)

	want := `
# HELP scamscreen_messages_in_total Messages ingested, by channel and source kind (imap, twilio, webhook).
# TYPE scamscreen_messages_in_total counter
scamscreen_messages_in_total{channel="email",source="imap"} 2
scamscreen_messages_in_total{channel="sms",source="twilio"} 1
# HELP scamscreen_messages_screened_total Messages screened, by channel.
# TYPE scamscreen_messages_screened_total counter
scamscreen_messages_screened_total{channel="email"} 1
scamscreen_messages_screened_total{channel="sms"} 1
# HELP scamscreen_verdicts_total Verdicts issued, by verdict (clean, suspicious, scam).
# TYPE scamscreen_verdicts_total counter
scamscreen_verdicts_total{verdict="clean"} 1
scamscreen_verdicts_total{verdict="scam"} 1
# HELP scamscreen_verdict_categories_total Categories named by verdicts; a verdict with several counts once in each.
# TYPE scamscreen_verdict_categories_total counter
scamscreen_verdict_categories_total{category="gift_card_demand"} 1
scamscreen_verdict_categories_total{category="impersonation"} 1
# HELP scamscreen_dead_letters_total Messages moved to the dead-letter stream, by stage and reason.
# TYPE scamscreen_dead_letters_total counter
scamscreen_dead_letters_total{reason="decode",stage="screen"} 1
# HELP scamscreen_rulepack_reloads_total Rule-pack reloads, by result (ok, error).
# TYPE scamscreen_rulepack_reloads_total counter
scamscreen_rulepack_reloads_total{result="error"} 1
scamscreen_rulepack_reloads_total{result="ok"} 2
`
	names := []string{
		"scamscreen_messages_in_total", "scamscreen_messages_screened_total", "scamscreen_verdicts_total",
		"scamscreen_verdict_categories_total", "scamscreen_dead_letters_total", "scamscreen_rulepack_reloads_total",
	}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestMetricsIngestToVerdictHistogram(t *testing.T) {
	m := obs.NewMetrics()
	m.ObserveVerdict("sms", "scam", nil, 3*time.Millisecond)
	m.ObserveVerdict("sms", "clean", nil, 45*time.Second)
	want := `
# HELP scamscreen_ingest_to_verdict_seconds Time from a message's ingestion to its verdict.
# TYPE scamscreen_ingest_to_verdict_seconds histogram
scamscreen_ingest_to_verdict_seconds_bucket{le="0.001"} 0
scamscreen_ingest_to_verdict_seconds_bucket{le="0.0025"} 0
scamscreen_ingest_to_verdict_seconds_bucket{le="0.005"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="0.01"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="0.025"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="0.05"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="0.1"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="0.25"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="0.5"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="1"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="2.5"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="5"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="10"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="30"} 1
scamscreen_ingest_to_verdict_seconds_bucket{le="+Inf"} 2
scamscreen_ingest_to_verdict_seconds_sum 45.003
scamscreen_ingest_to_verdict_seconds_count 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "scamscreen_ingest_to_verdict_seconds"); err != nil {
		t.Error(err)
	}
}

func TestMetricsHandlerDuration(t *testing.T) {
	m := obs.NewMetrics()
	m.ObserveHandled("screen", "ack", 20*time.Millisecond)
	m.ObserveHandled("screen", "ack", 2*time.Millisecond)
	m.ObserveHandled("notify", "retry", time.Second)
	if got := testutil.CollectAndCount(m.Registry(), "scamscreen_handler_duration_seconds"); got != 2 {
		t.Errorf("handler_duration series = %d, want 2", got)
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "scamscreen_handler_duration_seconds" {
			continue
		}
		for _, s := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["stage"] == "screen" && s.GetHistogram().GetSampleCount() != 2 {
				t.Errorf("screen/ack count = %d, want 2", s.GetHistogram().GetSampleCount())
			}
		}
	}
}

func TestMetricsLag(t *testing.T) {
	m := obs.NewMetrics()
	m.SetLag("screen", 17)
	m.SetLag("screen", 5)
	m.SetLag("notify", 0)
	lag := gaugeVec(t, m.Registry(), "scamscreen_consumer_lag")
	if lag["screen"] != 5 || lag["notify"] != 0 || len(lag) != 2 {
		t.Errorf("consumer_lag = %v, want screen 5, notify 0", lag)
	}
}

// gaugeVec returns a one-label gauge's values by label value.
func gaugeVec(t *testing.T, g prometheus.Gatherer, name string) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, s := range mf.GetMetric() {
				out[s.GetLabel()[0].GetValue()] = s.GetGauge().GetValue()
			}
		}
	}
	return out
}

func TestMetricsRulePacks(t *testing.T) {
	m := obs.NewMetrics()
	m.SetRulePacks(map[string]string{"ja": "1", "en": "3"})
	m.SetRulePacks(map[string]string{"ja": "2", "en": "3"})
	want := `
# HELP scamscreen_rulepack_info The rule packs loaded, with their versions; always 1.
# TYPE scamscreen_rulepack_info gauge
scamscreen_rulepack_info{pack="en",version="3"} 1
scamscreen_rulepack_info{pack="ja",version="2"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "scamscreen_rulepack_info"); err != nil {
		t.Error(err)
	}
	m.SetRulePacks(nil)
	if got := testutil.CollectAndCount(m.Registry(), "scamscreen_rulepack_info"); got != 0 {
		t.Errorf("rulepack_info series after SetRulePacks(nil) = %d, want 0", got)
	}
}

func TestMetricsRegistry(t *testing.T) {
	m := obs.NewMetrics()
	// Two Metrics never collide: each has its own registry.
	obs.NewMetrics().MessageIn("sms", "twilio")
	if got := testutil.CollectAndCount(m.Registry(), "scamscreen_messages_in_total"); got != 0 {
		t.Errorf("fresh Metrics has %d messages_in series, want 0", got)
	}
	// Other packages register their own collectors.
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "scamscreen_notify_sent_total", Help: "x"})
	if err := m.Registry().Register(c); err != nil {
		t.Fatalf("Register() = %v", err)
	}
	c.Inc()
	if got := testutil.ToFloat64(c); got != 1 {
		t.Errorf("ToFloat64(notify_sent) = %v, want 1", got)
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, mf := range mfs {
		seen[mf.GetName()] = true
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "scamscreen_notify_sent_total", "scamscreen_rulepack_reloads_total"} {
		if !seen[name] {
			t.Errorf("registry lacks %s", name)
		}
	}
}

func BenchmarkObserveVerdict(b *testing.B) {
	m := obs.NewMetrics()
	cats := []string{"gift_card_demand", "impersonation"}
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveVerdict("sms", "scam", cats, 40*time.Millisecond)
	}
}
