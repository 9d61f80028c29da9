package imap

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// arrivalBuckets are the buckets, in seconds, of the arrival-to-publish
// histogram. INTERNALDATE has a resolution of one second, so the first
// bucket is coarse.
var arrivalBuckets = []float64{1, 2, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86400}

// metrics are the worker's Prometheus collectors. The only label with many
// values is mailbox, an operator-chosen config token.
type metrics struct {
	fetched    *prometheus.CounterVec // mailbox
	published  *prometheus.CounterVec // mailbox, result (new, duplicate)
	skipped    *prometheus.CounterVec // mailbox (resync: already published)
	reconnects *prometheus.CounterVec // mailbox
	idleRenews *prometheus.CounterVec // mailbox
	errors     *prometheus.CounterVec // mailbox, kind
	sessions   prometheus.Gauge       // folders connected now
	arrival    prometheus.Histogram   // INTERNALDATE to publish ack
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "scamscreen", "imap"
	m := &metrics{
		fetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "messages_fetched_total",
			Help: "Mails fetched from IMAP folders, by mailbox id.",
		}, []string{"mailbox"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "messages_published_total",
			Help: "Mails published to INBOUND, by mailbox id and result (new, duplicate).",
		}, []string{"mailbox", "result"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "messages_skipped_total",
			Help: "Mails a UIDVALIDITY resync or backfill skipped as already published or too old, by mailbox id.",
		}, []string{"mailbox"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "reconnects_total",
			Help: "Folder connections reopened after a failure, by mailbox id.",
		}, []string{"mailbox"}),
		idleRenews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "idle_restarts_total",
			Help: "IDLE commands renewed on the idle_restart timer, by mailbox id.",
		}, []string{"mailbox"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "errors_total",
			Help: "Folder session failures, by mailbox id and kind (dial, tls, auth, select, fetch, publish, checkpoint, timeout, closed, protocol, config).",
		}, []string{"mailbox", "kind"}),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "sessions",
			Help: "Folders connected and watched now.",
		}),
		arrival: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "arrival_to_publish_seconds",
			Help:    "Time from a mail's arrival on the server (INTERNALDATE, one-second resolution) to its publish on INBOUND.",
			Buckets: arrivalBuckets,
		}),
	}
	if err := register(reg, m.fetched, m.published, m.skipped, m.reconnects, m.idleRenews, m.errors, m.sessions, m.arrival); err != nil {
		return nil, err
	}
	return m, nil
}

// newActionCounter returns the counter of [Actions].
func newActionCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "scamscreen", Subsystem: "imap", Name: "actions_total",
		Help: "Changes made to mails screened as scam, by action (flag, move) and result (done, unknown, gone, failed).",
	}, []string{"action", "result"})
	if err := register(reg, c); err != nil {
		return nil, err
	}
	return c, nil
}

// register registers cs on reg; a nil reg registers nothing.
func register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register imap metrics: %w", err)
		}
	}
	return nil
}
