// Package tail follows log files: it discovers files matching globs,
// identifies each by device, inode and a fingerprint of its first bytes,
// reads complete lines from where the registry says the file was
// acknowledged, and follows rotation by rename and by copytruncate.
//
// Lines leave in Chunks, each from one file, in file order. A Chunk's
// Entry is what the registry may save once every event of the chunk was
// acknowledged. Sending blocks when the consumer is slow: that is the
// backpressure that pauses reading and bounds memory.
package tail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/registry"
)

// Defaults for Config's zero values.
const (
	DefaultMaxLineBytes  = 1 << 20
	DefaultPollInterval  = time.Second
	DefaultCloseInactive = 10 * time.Second
	// FingerprintBytes is how much of a file's start identifies it.
	FingerprintBytes = 1024
	// chunk limits bound the memory a chunk holds.
	chunkLines = 1024
	chunkBytes = 256 << 10
	readSize   = 64 << 10
	// DefaultBudgetChunks is how many chunks, each with a read buffer, all
	// files of a Budget may hold at once (about 5 MiB of lines).
	DefaultBudgetChunks = 16
)

// Offsets is what the tailer needs from the registry. Implementations
// must be safe for concurrent use.
type Offsets interface {
	Get(registry.Key) (registry.Entry, bool)
	All() []registry.Entry
	// Put records a file when it is opened, at its start offset, so that
	// a restart finds it even if it was rotated away meanwhile.
	Put(registry.Entry)
	Forget(registry.Key)
}

// Budget bounds the memory of all files sharing it: each chunk being
// built or awaiting acknowledgement, with its file's read buffer, holds
// one slot. A nil *Budget bounds nothing.
type Budget struct{ slots chan struct{} }

// NewBudget returns a budget of n chunks (DefaultBudgetChunks if n <= 0).
func NewBudget(n int) *Budget {
	if n <= 0 {
		n = DefaultBudgetChunks
	}
	return &Budget{slots: make(chan struct{}, n)}
}

func (b *Budget) tryAcquire() bool {
	if b == nil {
		return true
	}
	select {
	case b.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

func (b *Budget) acquire(ctx context.Context) bool {
	if b == nil {
		return true
	}
	select {
	case b.slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (b *Budget) release() {
	if b != nil {
		<-b.slots
	}
}

// Config configures a Tailer. Zero values are defaults.
type Config struct {
	// Paths are absolute paths or globs (filepath.Match syntax).
	Paths []string
	// Exclude are globs matched against a file's base name.
	Exclude []string
	// StartAtEnd starts files found at startup that the registry does not
	// know at their end (start_position => end). Files found later always
	// start at 0: they are new.
	StartAtEnd bool
	// PollInterval is how often files and globs are checked without an
	// inotify event (the polling fallback).
	PollInterval time.Duration
	// DisableNotify turns inotify off: polling alone.
	DisableNotify bool
	// MaxLineBytes caps a line; longer lines are truncated and flagged.
	MaxLineBytes int
	// CloseInactive is how long a rotated-away or deleted file is kept open
	// after its last growth, for writers that have not reopened yet.
	CloseInactive time.Duration
	Offsets       Offsets
	// Budget bounds the chunks in memory; share one between the Tailers of
	// a process so that the bound is overall. Nil: a Budget of its own.
	Budget *Budget
	Log    *slog.Logger
	// Metrics, if set, counts file errors; see NewMetrics.
	Metrics *Metrics
}

// Line is one line without its newline, always valid UTF-8.
type Line struct {
	Text string
	// Truncated is set when the line was longer than MaxLineBytes.
	Truncated bool
}

// Chunk is a run of complete lines from one file.
type Chunk struct {
	// Path is the path the file was discovered under.
	Path  string
	Lines []Line
	// Entry identifies the file, and its Offset is the byte after the last
	// line: the offset to save once the chunk is acknowledged.
	Entry    registry.Entry
	progress *progress
	data     []byte  // backs the lines' text
	budget   *Budget // the slot this chunk holds
}

// Acknowledged records that every line of c was delivered, for the bytes
// behind metric, and recycles the chunk's memory: the lines' text must
// not be used afterwards. The caller saves c.Entry to the registry itself.
func (c *Chunk) Acknowledged() {
	if c.progress != nil {
		c.progress.acked.Store(c.Entry.Offset)
	}
	if c.data != nil && cap(c.data) <= 2*chunkBytes {
		dataPool.Put(c.data[:0])
	}
	c.data, c.Lines = nil, nil
	if c.budget != nil {
		c.budget.release()
		c.budget = nil
	}
}

// dataPool recycles the text buffers of acknowledged chunks.
var dataPool = sync.Pool{New: func() any { return make([]byte, 0, chunkBytes+4096) }}

// Tailer follows the files of one Config.
type Tailer struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	readers map[registry.Key]*reader // guarded by mu; the Run goroutine writes
	wg      sync.WaitGroup
	done    chan registry.Key // readers report their exit, unless ctx is done

	byPath  map[string]*reader // current path → reader, Run goroutine only
	missing map[string]string  // path or glob → last error reported, Run goroutine only
	watched map[string]bool    // directories under inotify, Run goroutine only
}

// New returns a Tailer for cfg.
func New(cfg Config) (*Tailer, error) {
	if len(cfg.Paths) == 0 {
		return nil, errors.New("tail: no paths")
	}
	for _, p := range cfg.Paths {
		if !filepath.IsAbs(p) {
			return nil, fmt.Errorf("tail: path %q is not absolute", p)
		}
	}
	if cfg.Offsets == nil {
		return nil, errors.New("tail: no offsets registry")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = DefaultMaxLineBytes
	}
	if cfg.CloseInactive <= 0 {
		cfg.CloseInactive = DefaultCloseInactive
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Budget == nil {
		cfg.Budget = NewBudget(0)
	}
	return &Tailer{
		cfg:     cfg,
		log:     cfg.Log,
		readers: map[registry.Key]*reader{},
		done:    make(chan registry.Key),
		byPath:  map[string]*reader{},
		missing: map[string]string{},
		watched: map[string]bool{},
	}, nil
}

// Run follows the files until ctx is done, sending chunks to out. It
// returns after every reader stopped; it does not close out.
func (t *Tailer) Run(ctx context.Context, out chan<- Chunk) error {
	var events <-chan fsnotify.Event
	var errs <-chan error
	var w *fsnotify.Watcher
	if !t.cfg.DisableNotify {
		var err error
		w, err = fsnotify.NewWatcher()
		if err != nil {
			t.log.Warn("inotify unavailable, polling only", "err", err)
		} else {
			defer w.Close()
			events, errs = w.Events, w.Errors
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		t.wg.Wait()
	}()

	t.watch(w)
	t.scan(ctx, out, true)
	t.resumeRotated(ctx, out)
	tick := time.NewTicker(t.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			t.watch(w)
			t.scan(ctx, out, false)
		case ev := <-events:
			if ev.Has(fsnotify.Write) {
				if r := t.byPath[ev.Name]; r != nil {
					r.poke()
				}
			}
			if ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove) {
				t.scan(ctx, out, false)
			}
		case err := <-errs:
			t.log.Warn("inotify error, relying on polling", "err", err)
		case k := <-t.done:
			t.mu.Lock()
			r := t.readers[k]
			delete(t.readers, k)
			t.mu.Unlock()
			if r != nil && t.byPath[r.path] == r {
				delete(t.byPath, r.path)
			}
		}
	}
}

// watch adds inotify watches on the directories of the patterns; a
// directory that does not exist yet is retried at the next poll.
func (t *Tailer) watch(w *fsnotify.Watcher) {
	if w == nil {
		return
	}
	for _, p := range t.cfg.Paths {
		dir := filepath.Dir(p)
		if t.watched[dir] || hasMeta(dir) {
			continue
		}
		if err := w.Add(dir); err == nil {
			t.watched[dir] = true
		}
	}
}

func hasMeta(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '*', '?', '[', '\\':
			return true
		}
	}
	return false
}

func (t *Tailer) excluded(path string) bool {
	base := filepath.Base(path)
	for _, ex := range t.cfg.Exclude {
		if ok, _ := filepath.Match(ex, base); ok {
			return true
		}
	}
	return false
}

// report logs a problem with a path once, until it changes or clears.
func (t *Tailer) report(path, reason string, err error) {
	msg := reason
	if err != nil {
		msg += ": " + err.Error()
	}
	if t.missing[path] == msg {
		return
	}
	t.missing[path] = msg
	t.log.Warn("cannot read file, will retry", "path", path, "reason", reason, "err", err)
	t.cfg.Metrics.fileError(reason)
}

func (t *Tailer) clear(path string) {
	if _, ok := t.missing[path]; ok {
		delete(t.missing, path)
		t.log.Info("file readable again", "path", path)
	}
}

// scan expands the globs, starts a reader for each new file and detaches
// readers whose file is no longer at a watched path.
func (t *Tailer) scan(ctx context.Context, out chan<- Chunk, initial bool) {
	seen := map[registry.Key]bool{}
	for _, pattern := range t.cfg.Paths {
		matches, _ := filepath.Glob(pattern) // patterns were validated
		if len(matches) == 0 && !hasMeta(pattern) {
			t.report(pattern, "missing", nil)
		}
		for _, path := range matches {
			if t.excluded(path) {
				continue
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.report(path, "stat", err)
				continue
			}
			if !fi.Mode().IsRegular() {
				continue
			}
			key := keyOf(fi)
			seen[key] = true
			t.mu.Lock()
			r := t.readers[key]
			t.mu.Unlock()
			if r != nil {
				if r.path == path {
					t.byPath[path] = r
				}
				t.clear(path)
				continue
			}
			r, err = t.open(path, key, initial)
			if err != nil {
				t.report(path, "open", err)
				continue
			}
			t.clear(path)
			t.start(ctx, out, r)
		}
	}
	t.mu.Lock()
	for k, r := range t.readers {
		if !seen[k] && !r.detached.Load() {
			r.detached.Store(true)
			r.poke()
			if t.byPath[r.path] == r {
				delete(t.byPath, r.path)
			}
			t.log.Info("file rotated away or deleted, reading it to its end", "path", r.path)
		}
	}
	t.mu.Unlock()
}

func (t *Tailer) start(ctx context.Context, out chan<- Chunk, r *reader) {
	t.mu.Lock()
	t.readers[r.key] = r
	t.mu.Unlock()
	if !r.detached.Load() {
		t.byPath[r.path] = r
	}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		r.run(ctx, out)
		select {
		case t.done <- r.key:
		case <-ctx.Done():
		}
	}()
}

// open opens a newly discovered file and decides where to start: the
// registry's offset if the fingerprint matches, else 0, or the end for a
// file present at startup when StartAtEnd.
func (t *Tailer) open(path string, key registry.Key, initial bool) (*reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if keyOf(fi) != key { // replaced between stat and open: next scan
		f.Close()
		return nil, fmt.Errorf("file replaced while opening")
	}
	r := newReader(t, f, path, key)
	if err := r.fingerprint(fi.Size()); err != nil {
		f.Close()
		return nil, err
	}
	start, how := int64(0), "new file, from its start"
	e, known := t.cfg.Offsets.Get(key)
	switch {
	case known && !trusted(e):
		how = "known file with a fingerprint shorter than its offset (older registry), from its start"
	case known && e.FingerprintLen <= r.fpLen && r.fpMatches(e.FingerprintLen, e.Fingerprint):
		start, how = e.Offset, "known file, from its registry offset"
		if start > fi.Size() {
			start, how = 0, "known file truncated while stopped, from its start"
		}
	case initial && t.cfg.StartAtEnd:
		start, how = fi.Size(), "new file, from its end (start_position => end)"
	}
	if start < r.fpLen {
		// Reading from start extends the fingerprint with what it reads.
		if err := r.fingerprint(start); err != nil {
			f.Close()
			return nil, err
		}
	}
	r.offset, r.commit = start, start
	r.progress.acked.Store(start)
	// Known from now on: a restart finds it even if it is renamed meanwhile.
	t.cfg.Offsets.Put(r.entry())
	t.log.Info("following file", "path", path, "offset", start, "how", how, "dev", key.Dev, "ino", key.Ino)
	return r, nil
}

// trusted reports whether e's fingerprint covers its offset (or the whole
// fingerprint length). An entry that does not, saved by an older logship,
// cannot tell a reused inode from its file: it is read from the start.
func trusted(e registry.Entry) bool {
	return e.FingerprintLen >= min(e.Offset, FingerprintBytes)
}

// resumeRotated finds, after a restart, files the registry knows that no
// longer sit at a watched path, because they were renamed by rotation
// while logship was down: it looks for the same inode and fingerprint in
// the directory where the file was last seen and reads what is left.
// Entries of files that are gone are forgotten.
func (t *Tailer) resumeRotated(ctx context.Context, out chan<- Chunk) {
	for _, e := range t.cfg.Offsets.All() {
		t.mu.Lock()
		_, active := t.readers[e.Key]
		t.mu.Unlock()
		if active || !t.ours(e.Path) {
			continue
		}
		path := t.findByKey(filepath.Dir(e.Path), e.Key)
		if path == "" {
			t.cfg.Offsets.Forget(e.Key)
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.log.Warn("cannot reopen rotated file", "path", path, "err", err)
			continue
		}
		fi, err := f.Stat()
		if err != nil || keyOf(fi) != e.Key {
			f.Close()
			continue
		}
		r := newReader(t, f, e.Path, e.Key)
		if err := r.fingerprint(fi.Size()); err != nil || e.FingerprintLen > r.fpLen || !r.fpMatches(e.FingerprintLen, e.Fingerprint) {
			f.Close()
			t.cfg.Offsets.Forget(e.Key)
			continue
		}
		if !trusted(e) {
			t.log.Warn("rotated file's fingerprint is shorter than its offset (older registry): reading it from its start", "path", path)
			e.Offset = 0
		}
		if e.Offset >= fi.Size() {
			f.Close()
			continue
		}
		if e.Offset < r.fpLen {
			if err := r.fingerprint(e.Offset); err != nil {
				f.Close()
				continue
			}
		}
		r.offset, r.commit = e.Offset, e.Offset
		r.progress.acked.Store(e.Offset)
		r.detached.Store(true)
		t.log.Info("resuming rotated file", "path", e.Path, "now", path, "offset", e.Offset)
		t.start(ctx, out, r)
	}
}

// ours reports whether path matches one of the configured patterns, so
// two inputs sharing a registry leave each other's entries alone.
func (t *Tailer) ours(path string) bool {
	for _, p := range t.cfg.Paths {
		if ok, _ := filepath.Match(p, path); ok {
			return true
		}
	}
	return false
}

func (t *Tailer) findByKey(dir string, key registry.Key) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, de := range ents {
		if !de.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, de.Name())
		if fi, err := os.Stat(p); err == nil && keyOf(fi) == key {
			return p
		}
	}
	return ""
}

func keyOf(fi fs.FileInfo) registry.Key {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return registry.Key{}
	}
	return registry.Key{Dev: uint64(st.Dev), Ino: st.Ino}
}

func nlink(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// Metrics are the tailer's Prometheus metrics.
type Metrics struct {
	fileErrors   *prometheus.CounterVec
	partialLines prometheus.Counter
	behind       *prometheus.Desc
	tailers      []*Tailer
	mu           sync.Mutex
}

// NewMetrics returns metrics to register once and share by all tailers.
func NewMetrics() *Metrics {
	return &Metrics{
		fileErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "logship_file_errors_total",
			Help: "Files that could not be found, stated or opened, by reason; each is retried.",
		}, []string{"reason"}),
		partialLines: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "logship_partial_lines_total",
			Help: "Last lines without a newline sent when their rotated or deleted file was closed.",
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

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.fileErrors.Describe(ch)
	m.partialLines.Describe(ch)
	ch <- m.behind
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.fileErrors.Collect(ch)
	m.partialLines.Collect(ch)
	m.mu.Lock()
	tailers := append([]*Tailer(nil), m.tailers...)
	m.mu.Unlock()
	behind := map[string]float64{}
	for _, t := range tailers {
		t.mu.Lock()
		for _, r := range t.readers {
			if fi, err := r.f.Stat(); err == nil {
				behind[r.path] += float64(max(0, fi.Size()-r.progress.acked.Load()))
			}
		}
		t.mu.Unlock()
	}
	for path, v := range behind {
		ch <- prometheus.MustNewConstMetric(m.behind, prometheus.GaugeValue, v, path)
	}
}
