// Package pipeline runs Logstash's pipeline: inputs → filters (with
// conditionals) → outputs (with conditionals) → one acknowledgement per
// batch. Data flows one way: input → batch → filters → outputs → Ack.
//
// Delivery is at least once. Each output gets the events of a batch that
// reach it, in batch order (an output that is Concurrent gets up to
// MaxInFlight batches at once, in any order); an output that fails is
// retried, with capped exponential backoff, until it accepts them or the
// pipeline stops; nothing is dropped but what filters drop. Only when
// every output has accepted its part of a batch is the batch's Ack
// called, once, and acks come in the order the batches came in. While an
// output fails, the pipeline stops taking batches and the inputs block on
// their send: memory stays bounded by the few batches in flight (two per
// worker, plus one per extra write a Concurrent output may have in
// flight) and the inputs' own budgets.
//
// Filters run on Workers goroutines, each with its own filter instances
// (a filter's Apply is called by one goroutine at a time). Each output
// has its own writers: one, or MaxInFlight for a Concurrent output, so a
// slow output does not hold the others back beyond the jobs in flight.
package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/backoff"
	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// Input produces batches of events until ctx is done. Run sends each
// batch on out (selecting on ctx, so that it returns soon after ctx is
// done) and bounds its own memory; the pipeline calls each batch's Ack
// once it is delivered (see event.Batch).
type Input interface {
	Run(ctx context.Context, out chan<- event.Batch) error
}

// Filter changes an event: plugin.Match (the step's Common options are
// applied next), NoMatch or Drop. Apply is called by one goroutine at a
// time and must not keep the event.
type Filter interface {
	Apply(e *event.Event) plugin.Result
}

// Output delivers events somewhere.
//
// Write delivers events in order and returns nil only once every one of
// them is acknowledged: written to the OS, stored by the server, or set
// aside in a dead-letter file by the output's own rules. On error the
// pipeline assumes none was, and calls Write again with the same events
// (so an output may see duplicates, never gaps). Write is never called
// concurrently (unless the output is Concurrent, below), must return
// soon after ctx is done, and must not keep events or their strings after
// it returns: the input reuses them.
//
// Close is called once, after the last Write; it flushes and releases
// what the output holds. The pipeline owns its outputs and closes them.
type Output interface {
	Write(ctx context.Context, events []event.Event) error
	Close() error
}

// Concurrent is implemented by an output whose Write may run on several
// goroutines at once, each with its own events (a store that takes
// requests in parallel). The pipeline then writes up to MaxInFlight
// batches to it at a time, in no particular order; acknowledgements still
// come in batch order.
type Concurrent interface {
	MaxInFlight() int
}

// NamedInput is an input and the name its logs carry.
type NamedInput struct {
	Name  string
	Input Input
}

// NamedOutput is an output and the name its metrics and logs carry.
type NamedOutput struct {
	Name   string
	Output Output
}

// Step is one statement of the filter or the output section: exactly one
// of Filter (filter section), Output (output section) and If is set.
type Step struct {
	Filter *FilterStep
	Output *NamedOutput // one of Pipeline.Outputs
	// If runs the steps of its first branch whose When holds.
	If []Branch
}

// FilterStep is one filter and the common options applied when it
// matches.
type FilterStep struct {
	Name   string
	Filter Filter
	Common plugin.Common
}

// Branch is an arm of a conditional; a nil When (else) always holds.
type Branch struct {
	When  func(*event.Event) bool
	Steps []Step
}

// Defaults for Pipeline's zero values.
const (
	DefaultDrainTimeout = 5 * time.Second // under docker stop's 10 s grace
	DefaultMinBackoff   = 100 * time.Millisecond
	DefaultMaxBackoff   = 10 * time.Second
)

// Pipeline runs inputs through filters into outputs. Set the fields, then
// call Run once.
type Pipeline struct {
	Inputs []NamedInput
	// Filters builds the filter section for one worker: each worker has
	// its own filter instances. Nil means no filters.
	Filters func() ([]Step, error)
	// Workers is the number of goroutines running filters (GOMAXPROCS if
	// 0).
	Workers int
	// Outputs is every output; Run closes them all.
	Outputs []*NamedOutput
	// Routes is the output section. Nil sends every event to every output.
	Routes  []Step
	Log     *slog.Logger
	Metrics *Metrics
	// DrainTimeout bounds how long Run keeps delivering batches already
	// read after ctx is done (SIGTERM): what is not delivered by then is
	// not acknowledged, and the inputs send it again at the next start.
	DrainTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay between retries.
	MinBackoff, MaxBackoff time.Duration

	index map[*NamedOutput]int // position of each output in Outputs
	// flat is set when every event goes to every output (no conditional
	// in the output section): the outputs' parts are then one slice, the
	// batch's events themselves unless filters dropped some.
	flat bool
}

// job is one batch on its way: its sequence number, and per output the
// events that reach it. own holds the job's memory for parts, reused
// from batch to batch; parts may instead alias the batch's events.
type job struct {
	seq   uint64
	batch event.Batch
	parts [][]event.Event
	own   [][]event.Event
	kept  []bool
	// pending counts the outputs still writing the job, plus one while the
	// writer hands it out; failed is set when one gave up (shutdown).
	pending atomic.Int32
	failed  atomic.Bool
}

// Run reads until ctx is done, then delivers what was already read
// (within DrainTimeout), closes the outputs and returns the inputs' errors
// and the outputs' Close errors. It fails at once, closing the outputs,
// if the filter section cannot be built.
func (p *Pipeline) Run(ctx context.Context) error {
	if err := p.init(); err != nil {
		return errors.Join(err, p.close())
	}
	workers := p.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	sections := make([][]Step, workers)
	if p.Filters != nil {
		for i := range sections {
			steps, err := p.Filters()
			if err != nil {
				for _, built := range sections[:i] {
					CloseFilters(built)
				}
				return errors.Join(fmt.Errorf("build filters: %w", err), p.close())
			}
			sections[i] = steps
		}
	}

	batches := make(chan event.Batch)
	var inputs sync.WaitGroup
	errs := make(chan error, len(p.Inputs))
	for _, in := range p.Inputs {
		inputs.Add(1)
		go func() {
			defer inputs.Done()
			if err := in.Input.Run(ctx, batches); err != nil {
				errs <- fmt.Errorf("input %s: %w", in.Name, err)
			}
		}()
	}
	go func() {
		inputs.Wait()
		close(batches)
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

	// Two jobs per worker, one being filtered and one being written, plus
	// what a Concurrent output writes at once beyond one.
	free := make(chan *job, 2*workers+p.maxInFlight()-1)
	for range cap(free) {
		free <- &job{parts: make([][]event.Event, len(p.Outputs)), own: make([][]event.Event, len(p.Outputs))}
	}
	todo := make(chan *job)
	done := make(chan *job, cap(free))
	go p.dispatch(dctx, batches, free, todo)
	var filtering sync.WaitGroup
	for _, steps := range sections {
		filtering.Add(1)
		go func() {
			defer filtering.Done()
			for j := range todo {
				p.process(steps, j)
				done <- j
			}
		}()
	}
	go func() {
		filtering.Wait()
		close(done)
	}()
	p.write(dctx, done, free)
	for _, steps := range sections {
		CloseFilters(steps)
	}

	errsOut := []error{p.close()}
	close(errs)
	for e := range errs {
		errsOut = append(errsOut, e)
	}
	return errors.Join(errsOut...)
}

func (p *Pipeline) init() error {
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	if len(p.Inputs) == 0 || len(p.Outputs) == 0 {
		return errors.New("pipeline: needs inputs and outputs")
	}
	index := make(map[*NamedOutput]int, len(p.Outputs))
	for i, o := range p.Outputs {
		index[o] = i
	}
	var check func([]Step) error
	check = func(steps []Step) error {
		for _, s := range steps {
			if _, ok := index[s.Output]; s.Output != nil && !ok {
				return fmt.Errorf("pipeline: route to output %s, which is not in Outputs", s.Output.Name)
			}
			for _, b := range s.If {
				if err := check(b.Steps); err != nil {
					return err
				}
			}
		}
		return nil
	}
	p.index = index
	p.flat = p.Routes == nil || len(p.Routes) == len(p.Outputs)
	for i, s := range p.Routes {
		p.flat = p.flat && s.Output == p.Outputs[i]
	}
	return check(p.Routes)
}

// CloseFilters closes the filters of steps that hold resources
// (io.Closer).
func CloseFilters(steps []Step) {
	for _, s := range steps {
		if c, ok := s.Filter.filter().(io.Closer); ok {
			_ = c.Close()
		}
		for _, b := range s.If {
			CloseFilters(b.Steps)
		}
	}
}

func (f *FilterStep) filter() Filter {
	if f == nil {
		return nil
	}
	return f.Filter
}

func (p *Pipeline) close() error {
	var errs []error
	for _, o := range p.Outputs {
		if err := o.Output.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close output %s: %w", o.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (p *Pipeline) drainTimeout() time.Duration {
	if p.DrainTimeout > 0 {
		return p.DrainTimeout
	}
	return DefaultDrainTimeout
}

// dispatch numbers the batches and hands them to the workers, each with
// a free job: the jobs bound what is in flight. Once dctx is done it
// takes the remaining batches without a job, unacknowledged, so that the
// inputs can return.
func (p *Pipeline) dispatch(dctx context.Context, batches <-chan event.Batch, free <-chan *job, todo chan<- *job) {
	defer close(todo)
	var seq uint64
	for b := range batches {
		var j *job
		select {
		case j = <-free:
		case <-dctx.Done():
			continue
		}
		p.Metrics.read(len(b.Events))
		j.seq, j.batch = seq, b
		seq++
		todo <- j
	}
}

// process runs the filter section on every event of j's batch, then
// sorts the events that were not dropped into the parts of the outputs
// they reach.
func (p *Pipeline) process(steps []Step, j *job) {
	events := j.batch.Events
	dropped := 0
	var kept []bool
	if len(steps) > 0 {
		if cap(j.kept) < len(events) {
			j.kept = make([]bool, len(events))
		}
		kept = j.kept[:len(events)]
		for i := range events {
			if kept[i] = !p.filter(steps, &events[i]); !kept[i] {
				dropped++
			}
		}
		p.Metrics.dropped(dropped)
	}
	if p.flat {
		// Every event that is left to every output: one slice, shared.
		part := events
		if dropped > 0 {
			part = j.own[0][:0]
			for i := range events {
				if kept[i] {
					part = append(part, events[i])
				}
			}
			j.own[0] = part
		}
		for k := range j.parts {
			j.parts[k] = part
		}
		return
	}
	for k := range j.own {
		j.own[k] = j.own[k][:0]
	}
	for i := range events {
		if kept != nil && !kept[i] {
			continue
		}
		p.route(p.Routes, &events[i], j)
	}
	copy(j.parts, j.own)
}

// filter runs steps on e and reports whether a filter dropped it.
func (p *Pipeline) filter(steps []Step, e *event.Event) (dropped bool) {
	for i := range steps {
		s := &steps[i]
		switch {
		case s.Filter != nil:
			switch p.apply(s.Filter, e) {
			case plugin.Match:
				s.Filter.Common.Apply(e)
			case plugin.Drop:
				return true
			}
		case s.If != nil:
			if p.filter(taken(s.If, e), e) {
				return true
			}
		}
	}
	return false
}

// taken returns the steps of the first branch whose condition e meets;
// none when no branch is taken.
func taken(branches []Branch, e *event.Event) []Step {
	for _, b := range branches {
		if b.When == nil || b.When(e) {
			return b.Steps
		}
	}
	return nil
}

// apply runs one filter. A filter that panics is a bug: it is logged and
// counted, and the event goes on as if the filter had not matched, rather
// than the process dying on the same event at every restart.
func (p *Pipeline) apply(f *FilterStep, e *event.Event) (r plugin.Result) {
	defer func() {
		if v := recover(); v != nil {
			p.Log.Error("filter panicked; the event goes on", "filter", f.Name, "panic", fmt.Sprint(v))
			p.Metrics.panicked(f.Name)
			r = plugin.NoMatch
		}
	}()
	return f.Filter.Apply(e)
}

// route appends e to the parts of the outputs the output section sends it
// to.
func (p *Pipeline) route(steps []Step, e *event.Event, j *job) {
	for i := range steps {
		s := &steps[i]
		switch {
		case s.Output != nil:
			k := p.index[s.Output]
			j.own[k] = append(j.own[k], *e)
		case s.If != nil:
			p.route(taken(s.If, e), e, j)
		}
	}
}

// inFlight is how many batches output o is written at once.
func inFlight(o Output) int {
	if c, ok := o.(Concurrent); ok {
		return max(c.MaxInFlight(), 1)
	}
	return 1
}

func (p *Pipeline) maxInFlight() int {
	n := 1
	for _, o := range p.Outputs {
		n = max(n, inFlight(o.Output))
	}
	return n
}

// write hands the jobs, in batch order, to the writers of each output
// that has a part of them, and returns once every job is settled and
// freed (see acknowledge). Once dctx is done, writes give up.
func (p *Pipeline) write(dctx context.Context, done <-chan *job, free chan<- *job) {
	// Every channel holds every job at once: sends never block.
	settled := make(chan *job, cap(free))
	queues := make([]chan *job, len(p.Outputs))
	var writers sync.WaitGroup
	for k, o := range p.Outputs {
		queues[k] = make(chan *job, cap(free))
		for range inFlight(o.Output) {
			writers.Add(1)
			go func() {
				defer writers.Done()
				for j := range queues[k] {
					if p.deliver(dctx, o, j.parts[k]) != nil {
						j.failed.Store(true)
					}
					if j.pending.Add(-1) == 0 {
						settled <- j
					}
				}
			}()
		}
	}
	acked := make(chan struct{})
	go func() {
		defer close(acked)
		p.acknowledge(settled, free)
	}()

	inOrder(done, func(j *job) {
		j.pending.Store(1)
		for k, part := range j.parts {
			if len(part) > 0 {
				j.pending.Add(1)
				queues[k] <- j
			}
		}
		if j.pending.Add(-1) == 0 {
			settled <- j
		}
	})
	for _, q := range queues {
		close(q)
	}
	writers.Wait()
	close(settled)
	<-acked
}

// acknowledge takes the jobs as their outputs settle them and, in batch
// order, acknowledges each that every output accepted, then frees it.
// Once one was not delivered (shutdown), none after it is acknowledged:
// an input may settle its batches cumulatively (a Lumberjack ACK).
func (p *Pipeline) acknowledge(settled <-chan *job, free chan<- *job) {
	gaveUp := false
	inOrder(settled, func(j *job) {
		gaveUp = gaveUp || j.failed.Load()
		if !gaveUp && j.batch.Ack != nil {
			j.batch.Ack()
		}
		j.batch = event.Batch{}
		clear(j.parts)
		j.failed.Store(false)
		free <- j
	})
}

// inOrder calls fn on the jobs jobs delivers, in seq order from 0,
// holding those that come early, until jobs is closed.
func inOrder(jobs <-chan *job, fn func(*job)) {
	pending := map[uint64]*job{}
	var next uint64
	for j := range jobs {
		pending[j.seq] = j
		for j, ok := pending[next]; ok; j, ok = pending[next] {
			delete(pending, next)
			next++
			fn(j)
		}
	}
}

// deliver hands output o its part of a batch, retrying with backoff until
// it succeeds or ctx is done.
func (p *Pipeline) deliver(ctx context.Context, o *NamedOutput, events []event.Event) error {
	delays := backoff.Backoff{Min: cmp.Or(p.MinBackoff, DefaultMinBackoff), Max: cmp.Or(p.MaxBackoff, DefaultMaxBackoff)}
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		err := o.Output.Write(ctx, events)
		if err == nil {
			p.Metrics.sent(o.Name, len(events))
			if attempt > 0 {
				p.Log.Info("output recovered", "output", o.Name, "attempts", attempt+1)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.Metrics.failed(o.Name)
		delay := delays.Next()
		p.Log.Warn("output failed, retrying", "output", o.Name, "events", len(events), "attempt", attempt+1, "backoff", delay.String(), "err", err)
		if err := backoff.Wait(ctx, delay); err != nil {
			return err
		}
		p.Metrics.retried(o.Name)
	}
}

// Metrics are the pipeline's Prometheus metrics. A nil *Metrics counts
// nothing.
type Metrics struct {
	Read    prometheus.Counter
	Dropped prometheus.Counter
	Panics  *prometheus.CounterVec
	Sent    *prometheus.CounterVec
	Errors  *prometheus.CounterVec
	Retries *prometheus.CounterVec
}

// NewMetrics returns the pipeline's metrics, registered on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Read: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "logship_events_read_total", Help: "Events received from the inputs."}),
		Dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "logship_events_dropped_total", Help: "Events dropped by filters (drop)."}),
		Panics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_filter_panics_total", Help: "Filter calls that panicked (a bug; the event went on)."}, []string{"filter"}),
		Sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_events_sent_total", Help: "Events acknowledged by an output."}, []string{"output"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_output_errors_total", Help: "Failed output writes."}, []string{"output"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_output_retries_total", Help: "Output writes retried after a failure."}, []string{"output"}),
	}
	reg.MustRegister(m.Read, m.Dropped, m.Panics, m.Sent, m.Errors, m.Retries)
	return m
}

func (m *Metrics) read(n int) {
	if m != nil {
		m.Read.Add(float64(n))
	}
}

func (m *Metrics) dropped(n int) {
	if m != nil && n > 0 {
		m.Dropped.Add(float64(n))
	}
}

func (m *Metrics) panicked(filter string) {
	if m != nil {
		m.Panics.WithLabelValues(filter).Inc()
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
