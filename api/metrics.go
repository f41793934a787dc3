package api

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Prometheus series of the HTTP layer, by FHIR interaction and type.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	series   sync.Map // seriesKey -> *series: label lookups hash every time; this does not
}

type seriesKey struct {
	interaction, typ string
	status           int
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "nims", Name: "http_requests_total",
			Help: "HTTP requests by FHIR interaction, resource type and status code.",
		}, []string{"interaction", "type", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "nims", Name: "http_request_duration_seconds",
			Help:    "HTTP request latency by FHIR interaction and resource type.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"interaction", "type"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *metrics) observe(interaction, typ string, status int, d time.Duration) {
	k := seriesKey{interaction, typ, status}
	v, ok := m.series.Load(k)
	if !ok {
		v, _ = m.series.LoadOrStore(k, &series{
			count:   m.requests.WithLabelValues(interaction, typ, statusLabel(status)),
			latency: m.latency.WithLabelValues(interaction, typ),
		})
	}
	sr := v.(*series)
	sr.count.Inc()
	sr.latency.Observe(d.Seconds())
}
