package obs

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const namespace = "scamscreen"

// latencyBuckets are the histogram buckets, in seconds, for per-message
// latencies: 1 ms to 30 s.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// Metrics holds the pipeline's Prometheus metrics on a private registry. Its
// methods are safe for concurrent use. Build one per process (or per test)
// with [NewMetrics] and pass it to the components that record.
//
// Every label value must come from a small set fixed by code (see the
// package doc): stage names, channel names, verdict levels, categories,
// outcome and reason words, rule-pack names. Never pass a phone number,
// address, domain, message id or household.
type Metrics struct {
	reg *prometheus.Registry

	messagesIn      *prometheus.CounterVec
	screened        *prometheus.CounterVec
	verdicts        *prometheus.CounterVec
	categories      *prometheus.CounterVec
	deadLetters     *prometheus.CounterVec
	lag             *prometheus.GaugeVec
	ingestToVerdict prometheus.Histogram
	handlerDuration *prometheus.HistogramVec
	rulePackInfo    *prometheus.GaugeVec
	rulePackReloads *prometheus.CounterVec

	mu    sync.Mutex
	packs map[string]string // what rulePackInfo holds now
}

// NewMetrics returns Metrics registered on a new private registry, together
// with the Go runtime and process collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "messages_in_total",
			Help: "Messages ingested, by channel and source kind (imap, twilio, webhook).",
		}, []string{"channel", "source"}),
		screened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "messages_screened_total",
			Help: "Messages screened, by channel.",
		}, []string{"channel"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "verdicts_total",
			Help: "Verdicts issued, by verdict (clean, suspicious, scam).",
		}, []string{"verdict"}),
		categories: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "verdict_categories_total",
			Help: "Categories named by verdicts; a verdict with several counts once in each.",
		}, []string{"category"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "dead_letters_total",
			Help: "Messages moved to the dead-letter stream, by stage and reason.",
		}, []string{"stage", "reason"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "consumer_lag",
			Help: "Messages waiting for a stage's durable consumer (pending plus unacknowledged).",
		}, []string{"stage"}),
		ingestToVerdict: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "ingest_to_verdict_seconds",
			Help:    "Time from a message's ingestion to its verdict.",
			Buckets: latencyBuckets,
		}),
		handlerDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "handler_duration_seconds",
			Help:    "Time a stage spent handling one delivery, by stage and outcome (ack, retry, dead).",
			Buckets: latencyBuckets,
		}, []string{"stage", "outcome"}),
		rulePackInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "rulepack_info",
			Help: "The rule packs loaded, with their versions; always 1.",
		}, []string{"pack", "version"}),
		rulePackReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rulepack_reloads_total",
			Help: "Rule-pack reloads, by result (ok, error).",
		}, []string{"result"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.messagesIn, m.screened, m.verdicts, m.categories, m.deadLetters, m.lag,
		m.ingestToVerdict, m.handlerDuration, m.rulePackInfo, m.rulePackReloads,
	)
	// Both results exist from the start, so rate() and alerts on errors work
	// before the first failure.
	m.rulePackReloads.WithLabelValues("ok")
	m.rulePackReloads.WithLabelValues("error")
	return m
}

// Registry returns the private registry, for packages that register their
// own collectors and for the /metrics handler.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// MessageIn counts one ingested message. source is the kind of ingester
// (imap, twilio, webhook), not a mailbox or number.
func (m *Metrics) MessageIn(channel, source string) {
	m.messagesIn.WithLabelValues(channel, source).Inc()
}

// ObserveHandled records how long a stage took to handle one delivery and
// how it ended (ack, retry, dead).
func (m *Metrics) ObserveHandled(stage, outcome string, d time.Duration) {
	m.handlerDuration.WithLabelValues(stage, outcome).Observe(d.Seconds())
}

// ObserveDeadLetter counts one message moved to the dead-letter stream.
// reason is a short fixed word (decode, permanent, max_deliver), never error
// text.
func (m *Metrics) ObserveDeadLetter(stage, reason string) {
	m.deadLetters.WithLabelValues(stage, reason).Inc()
}

// SetLag records how many messages wait for a stage's consumer.
func (m *Metrics) SetLag(stage string, n uint64) {
	m.lag.WithLabelValues(stage).Set(float64(n))
}

// ObserveVerdict records one screened message: its channel, verdict level,
// the categories it was put in, and the time from ingestion to verdict. A
// negative time (clocks of different hosts) is not observed.
func (m *Metrics) ObserveVerdict(channel, verdict string, categories []string, ingestToVerdict time.Duration) {
	m.screened.WithLabelValues(channel).Inc()
	m.verdicts.WithLabelValues(verdict).Inc()
	for _, c := range categories {
		m.categories.WithLabelValues(c).Inc()
	}
	if ingestToVerdict >= 0 {
		m.ingestToVerdict.Observe(ingestToVerdict.Seconds())
	}
}

// SetRulePacks replaces the set of loaded rule packs (name to version) that
// scamscreen_rulepack_info reports. Packs no longer loaded disappear.
func (m *Metrics) SetRulePacks(packs map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, version := range m.packs {
		if v, ok := packs[name]; !ok || v != version {
			m.rulePackInfo.DeleteLabelValues(name, version)
		}
	}
	next := make(map[string]string, len(packs))
	for name, version := range packs {
		m.rulePackInfo.WithLabelValues(name, version).Set(1)
		next[name] = version
	}
	m.packs = next
}

// RulePackReload counts one attempt to reload the rule packs.
func (m *Metrics) RulePackReload(ok bool) {
	result := "ok"
	if !ok {
		result = "error"
	}
	m.rulePackReloads.WithLabelValues(result).Inc()
}
