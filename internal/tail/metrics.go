package tail

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the tailer's Prometheus metrics. A nil *Metrics counts
// nothing.
type Metrics struct {
	fileErrors   *prometheus.CounterVec
	partialLines prometheus.Counter
	openFiles    prometheus.Gauge
	behind       *prometheus.Desc
	tailers      []*Tailer
	mu           sync.Mutex
}

// NewMetrics returns metrics to register once and share by all tailers.
func NewMetrics() *Metrics {
	return &Metrics{
		fileErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_file_errors_total",
			Help: "Files that could not be found, stated, opened or read, by reason; each is retried.",
		}, []string{"reason"}),
		partialLines: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "logship_partial_lines_total",
			Help: "Last lines without a newline sent when their file was closed for good (rotated, deleted, or read in read mode).",
		}),
		openFiles: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "logship_files_open",
			Help: "Followed files open now (bounded by max_open_files and the descriptor limit).",
		}),
		behind: prometheus.NewDesc("logship_file_bytes_behind",
			"Bytes of a followed file not yet acknowledged by the outputs.", []string{"path"}, nil),
	}
}

// Add makes m report t's files.
func (m *Metrics) Add(t *Tailer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tailers = append(m.tailers, t)
}

func (m *Metrics) fileError(reason string) {
	if m != nil {
		m.fileErrors.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) partialLine() {
	if m != nil {
		m.partialLines.Inc()
	}
}

func (m *Metrics) opened(delta float64) {
	if m != nil {
		m.openFiles.Add(delta)
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.fileErrors.Describe(ch)
	m.partialLines.Describe(ch)
	m.openFiles.Describe(ch)
	ch <- m.behind
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.fileErrors.Collect(ch)
	m.partialLines.Collect(ch)
	m.openFiles.Collect(ch)
	m.mu.Lock()
	tailers := append([]*Tailer(nil), m.tailers...)
	m.mu.Unlock()
	behind := map[string]float64{}
	for _, t := range tailers {
		t.mu.Lock()
		for _, r := range t.readers {
			behind[r.path] += float64(max(0, r.size.Load()-r.progress.acked.Load()))
		}
		t.mu.Unlock()
	}
	for path, v := range behind {
		ch <- prometheus.MustNewConstMetric(m.behind, prometheus.GaugeValue, v, path)
	}
}
