package sms

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Endpoints, the "endpoint" label of every metric.
const (
	endpointTwilio  = "twilio"
	endpointInbound = "inbound"
	endpointHealth  = "healthz"
	endpointOther   = "other"
)

// metrics are the listener's Prometheus collectors. Labels are bounded:
// endpoint, status class, fixed reasons and outcomes.
type metrics struct {
	requests  *prometheus.CounterVec   // endpoint, code (2xx..5xx)
	published *prometheus.CounterVec   // endpoint, result (new, duplicate), as IMAP's
	rejected  *prometheus.CounterVec   // endpoint, reason
	unknown   *prometheus.CounterVec   // endpoint
	acks      prometheus.Counter       //
	ignored   *prometheus.CounterVec   // event (a fixed set)
	duration  *prometheus.HistogramVec // endpoint
}

// durationBuckets are the request-duration buckets in seconds, 0.5 ms to
// 15 s (Twilio's limit).
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	const ns, sub = "scamscreen", "sms"
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "HTTP requests to the SMS listener, by endpoint and status class (2xx, 4xx, 5xx).",
		}, []string{"endpoint", "code"}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "published_total",
			Help: "SMS published to INBOUND, by endpoint and result (new, duplicate).",
		}, []string{"endpoint", "result"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "rejected_total",
			Help: "Requests refused, by endpoint and reason.",
		}, []string{"endpoint", "reason"}),
		unknown: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "unknown_numbers_total",
			Help: "SMS for a number that belongs to no protected person (answered 404, not published).",
		}, []string{"endpoint"}),
		acks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "acks_total",
			Help: "Replies of trusted contacts published as acknowledgements.",
		}),
		ignored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "ignored_events_total",
			Help: "Forwarder events accepted without a message (delivery reports, pings), by event.",
		}, []string{"event"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "request_duration_seconds",
			Help:    "Time from a request's arrival to its answer, by endpoint.",
			Buckets: durationBuckets,
		}, []string{"endpoint"}),
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	for _, c := range []prometheus.Collector{m.requests, m.published, m.rejected, m.unknown, m.acks, m.ignored, m.duration} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("sms metrics: already registered on this registry (one listener per registry): %w", err)
			}
			return nil, fmt.Errorf("sms metrics: %w", err)
		}
	}
	return m, nil
}

func codeClass(status int) string {
	switch {
	case status >= 500:
		return "5xx"
	case status >= 400:
		return "4xx"
	case status >= 300:
		return "3xx"
	case status >= 200:
		return "2xx"
	}
	return "1xx"
}

func (m *metrics) observe(endpoint string, status int, d time.Duration) {
	m.requests.WithLabelValues(endpoint, codeClass(status)).Inc()
	m.duration.WithLabelValues(endpoint).Observe(d.Seconds())
}
