// Package pipeline wires inputs to outputs: chunks of lines from the
// tailers become events, every output acknowledges them, and only then
// is the chunk's offset handed to the registry. Data flows one way: file
// → event → output → acknowledgement → offset.
//
// Delivery is at least once. A batch is retried, with capped exponential
// backoff, on each output that failed it until that output accepts it or
// the pipeline stops; nothing is dropped. While an output fails, the
// pipeline stops taking chunks, the tailers block on their send and stop
// reading: memory stays bounded by the tailers' shared budget of chunks.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/registry"
	"github.com/appstack/appstack/internal/tail"
)

// Output delivers events somewhere.
//
// Write delivers events in order and returns nil only once every one of
// them is acknowledged: written to the OS, stored by the server, or set
// aside in a dead-letter file by the output's own rules. On error the
// pipeline assumes none was, and calls Write again with the same events
// (so an output may see duplicates, never gaps). Write is never called
// concurrently, must return soon after ctx is done, and must not keep
// events or their strings after it returns: the pipeline reuses them.
//
// Close is called once, after the last Write; it flushes and releases
// what the output holds. The pipeline owns its outputs and closes them.
type Output interface {
	Write(ctx context.Context, events []event.Event) error
	Close() error
}

// Offsets receives the offsets of acknowledged chunks.
type Offsets interface {
	Put(registry.Entry)
}

// Source is one input: a tailer and what its lines become.
type Source interface {
	Run(ctx context.Context, out chan<- tail.Chunk) error
}

// Input is a source of chunks and the decoration of its events.
type Input struct {
	Source     Source
	Decoration *event.Decoration
}

// NamedOutput is an output and the name its metrics and logs carry.
type NamedOutput struct {
	Name   string
	Output Output
}

// Defaults for Pipeline's zero values.
const (
	DefaultDrainTimeout = 5 * time.Second // under docker stop's 10 s grace
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 10 * time.Second
	// TruncatedTag marks an event whose line was cut at the line cap.
	TruncatedTag = "_linetoolong"
)

// Pipeline runs inputs into outputs. Set the fields, then call Run once.
type Pipeline struct {
	Inputs  []Input
	Outputs []NamedOutput
	Offsets Offsets
	Log     *slog.Logger
	Metrics *Metrics
	// DrainTimeout bounds how long Run keeps delivering chunks already read
	// after ctx is done (SIGTERM): what is not delivered by then is not
	// acknowledged, and is read again at the next start.
	DrainTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay between retries.
	MinBackoff, MaxBackoff time.Duration
	// Now is the clock for @timestamp (time.Now if nil).
	Now func() time.Time
}

type item struct {
	chunk tail.Chunk
	deco  *event.Decoration
}

// Run reads until ctx is done, then delivers what was already read
// (within DrainTimeout), closes the outputs and returns. The caller stops
// the registry afterwards, which saves the last offsets.
func (p *Pipeline) Run(ctx context.Context) error {
	if len(p.Inputs) == 0 || len(p.Outputs) == 0 {
		return errors.New("pipeline: needs inputs and outputs")
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	items := make(chan item, 2)
	var wg sync.WaitGroup
	errs := make(chan error, len(p.Inputs))
	for _, in := range p.Inputs {
		chunks := make(chan tail.Chunk)
		wg.Add(2)
		go func() {
			defer wg.Done()
			defer close(chunks)
			if err := in.Source.Run(ctx, chunks); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			for c := range chunks {
				items <- item{c, in.Decoration}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(items)
	}()

	// Deliveries keep going for DrainTimeout after ctx is done.
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		p.Log.Info("stopping: delivering what was read", "timeout", p.drainTimeout().String())
		t := time.AfterFunc(p.drainTimeout(), cancel)
		context.AfterFunc(dctx, func() { t.Stop() })
	})
	defer stop()

	var events []event.Event
	var err error
	for it := range items {
		if dctx.Err() != nil {
			continue // drain the channel so the inputs can stop
		}
		events = p.build(events[:0], it)
		if err = p.deliver(dctx, events); err != nil {
			continue
		}
		p.Offsets.Put(it.chunk.Entry)
		it.chunk.Acknowledged()
	}
	var errsOut []error
	for _, o := range p.Outputs {
		if cerr := o.Output.Close(); cerr != nil {
			errsOut = append(errsOut, fmt.Errorf("close output %s: %w", o.Name, cerr))
		}
	}
	close(errs)
	for e := range errs {
		errsOut = append(errsOut, e)
	}
	return errors.Join(errsOut...)
}

func (p *Pipeline) drainTimeout() time.Duration {
	if p.DrainTimeout > 0 {
		return p.DrainTimeout
	}
	return DefaultDrainTimeout
}

// build turns a chunk's lines into events, reusing events' memory.
func (p *Pipeline) build(events []event.Event, it item) []event.Event {
	now := p.Now()
	for _, l := range it.chunk.Lines {
		if len(events) < cap(events) {
			events = events[:len(events)+1]
		} else {
			events = append(events, event.Event{})
		}
		e := &events[len(events)-1]
		if l.Truncated {
			it.deco.Build(e, l.Text, it.chunk.Path, now, TruncatedTag)
			p.Metrics.truncated()
		} else {
			it.deco.Build(e, l.Text, it.chunk.Path, now)
		}
	}
	p.Metrics.read(len(events))
	return events
}

// deliver hands events to every output, retrying each failing output with
// backoff until it succeeds or ctx is done. An output that succeeded is
// not called again for this batch.
func (p *Pipeline) deliver(ctx context.Context, events []event.Event) error {
	for _, o := range p.Outputs {
		backoff := p.MinBackoff
		if backoff <= 0 {
			backoff = DefaultMinBackoff
		}
		maxBackoff := p.MaxBackoff
		if maxBackoff <= 0 {
			maxBackoff = DefaultMaxBackoff
		}
		for attempt := 0; ; attempt++ {
			err := o.Output.Write(ctx, events)
			if err == nil {
				p.Metrics.sent(o.Name, len(events))
				if attempt > 0 {
					p.Log.Info("output recovered", "output", o.Name, "attempts", attempt+1)
				}
				break
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			p.Metrics.failed(o.Name)
			p.Log.Warn("output failed, retrying", "output", o.Name, "events", len(events), "attempt", attempt+1, "backoff", backoff.String(), "err", err)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			p.Metrics.retried(o.Name)
			backoff = min(2*backoff, maxBackoff)
		}
	}
	return nil
}

// Metrics are the pipeline's Prometheus metrics. A nil *Metrics counts
// nothing.
type Metrics struct {
	Read      prometheus.Counter
	Truncated prometheus.Counter
	Sent      *prometheus.CounterVec
	Errors    *prometheus.CounterVec
	Retries   *prometheus.CounterVec
}

// NewMetrics returns the pipeline's metrics, registered on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Read: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "logship_events_read_total", Help: "Events read from files."}),
		Truncated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "logship_lines_truncated_total", Help: "Lines cut at the line cap and tagged " + TruncatedTag + "."}),
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_events_sent_total", Help: "Events acknowledged by an output."}, []string{"output"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_output_errors_total", Help: "Failed output writes."}, []string{"output"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_output_retries_total", Help: "Output writes retried after a failure."}, []string{"output"}),
	}
	reg.MustRegister(m.Read, m.Truncated, m.Sent, m.Errors, m.Retries)
	return m
}

func (m *Metrics) read(n int) {
	if m != nil {
		m.Read.Add(float64(n))
	}
}

func (m *Metrics) truncated() {
	if m != nil {
		m.Truncated.Inc()
	}
}

func (m *Metrics) sent(out string, n int) {
	if m != nil {
		m.Sent.WithLabelValues(out).Add(float64(n))
	}
}

func (m *Metrics) failed(out string) {
	if m != nil {
		m.Errors.WithLabelValues(out).Inc()
	}
}

func (m *Metrics) retried(out string) {
	if m != nil {
		m.Retries.WithLabelValues(out).Inc()
	}
}
