// Package tail follows log files: it discovers files matching globs,
// identifies each by device, inode and a fingerprint of its first bytes,
// reads complete lines from where the registry says the file was
// acknowledged, and follows rotation by rename and by copytruncate.
//
// Lines leave in Chunks, each from one file, in file order. The consumer
// acknowledges them with Marks (Chunk.Mark, Mark.Done): the tailer is the
// registry's only writer, and saves an offset once every line before it
// is acknowledged. Sending blocks when the consumer is slow: that is the
// backpressure that pauses reading and bounds memory (Budget). Open files
// are bounded too (OpenFiles): a file read to its end is closed when
// another waits, and opened again by identity when it grows.
//
// The package is split by concern: tail.go (configuration and the event
// loop), discovery.go (globs, scans, rotation, what is not a file),
// identity.go (keys and fingerprints), reader.go (reading one file),
// chunk.go (lines and chunks), ack.go (acknowledgements and the registry),
// budget.go and openfiles.go (the memory and descriptor bounds),
// complete.go (read mode) and metrics.go.
package tail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/appstack/appstack/internal/registry"
)

// Defaults for Config's zero values.
const (
	DefaultMaxLineBytes  = 1 << 20
	DefaultPollInterval  = time.Second
	DefaultCloseInactive = 10 * time.Second
	DefaultCloseOlder    = time.Hour // Logstash's close_older
	// discoverEvery bounds how often inotify events expand the globs: a
	// burst of created files costs one scan, not one each.
	discoverEvery = 50 * time.Millisecond
)

// Offsets is what the tailer needs from the registry. Implementations
// must be safe for concurrent use.
type Offsets interface {
	Get(registry.Key) (registry.Entry, bool)
	All() []registry.Entry
	Put(registry.Entry)
	Forget(registry.Key)
}

// Config configures a Tailer. Zero values are defaults.
type Config struct {
	// Paths are absolute paths or globs (filepath.Match syntax, plus "**"
	// for any number of directories).
	Paths []string
	// Exclude are globs matched against a file's base name.
	Exclude []string
	// StartAtEnd starts files found at startup that the registry does not
	// know at their end (start_position => end). Files found later always
	// start at 0: they are new.
	StartAtEnd bool
	// PollInterval is how often files are checked without an inotify
	// event (the polling fallback; Logstash's stat_interval).
	PollInterval time.Duration
	// DiscoverInterval is how often the globs are expanded without an
	// inotify event (PollInterval if zero).
	DiscoverInterval time.Duration
	// DisableNotify turns inotify off: polling alone.
	DisableNotify bool
	// MaxLineBytes caps a line; longer lines are truncated and flagged.
	MaxLineBytes int
	// KeepBytes hands lines over as the file's bytes, for a consumer that
	// decodes another charset; otherwise each byte that is not part of
	// valid UTF-8 becomes U+FFFD and a cut line keeps whole characters.
	KeepBytes bool
	// CloseInactive is how long a rotated-away or deleted file is kept open
	// after its last growth, for writers that have not reopened yet.
	CloseInactive time.Duration
	// CloseOlder closes a file read to its end that has not grown for
	// this long; it is opened again when it grows.
	CloseOlder time.Duration
	// IgnoreOlder, if set, skips the existing content of a file found
	// unmodified for this long that the registry does not know: it is
	// read from where it ends, once it grows.
	IgnoreOlder time.Duration
	// MaxOpenFiles bounds this tailer's open files (none of its own if 0).
	MaxOpenFiles int
	// OpenFiles bounds open files across tailers; share one per process.
	// Nil: one of its own, sized from the descriptor limit.
	OpenFiles *OpenFiles
	// FollowSymlinks reads the file a symbolic link at a watched path
	// points to; otherwise the link is skipped with a warning.
	FollowSymlinks bool
	// ReadMode reads each file to its end, then, once every line is
	// acknowledged, does the completed action and closes it (Logstash's
	// mode => read). A last line without a newline is sent at the end.
	ReadMode bool
	// CompletedLog, in read mode, is a file each completed file's path is
	// appended to; CompletedDelete deletes completed files.
	CompletedLog    string
	CompletedDelete bool
	Offsets         Offsets
	// Budget bounds the chunks in memory; share one between the Tailers of
	// a process so that the bound is overall. Nil: a Budget of its own.
	Budget *Budget
	Log    *slog.Logger
	// Metrics, if set, counts file errors, last lines sent without a
	// newline and open files; see NewMetrics (and Metrics.Add for the
	// bytes behind).
	Metrics *Metrics
}

// Tailer follows the files of one Config.
type Tailer struct {
	cfg    Config
	log    *slog.Logger
	limits []*OpenFiles // acquired in order

	mu      sync.Mutex
	readers map[registry.Key]*reader // guarded by mu; the Run goroutine writes
	wg      sync.WaitGroup
	done    chan exited // readers report their exit, unless ctx is done

	// completed holds files whose read-mode completion is due; the signal
	// wakes the Run goroutine.
	completedMu sync.Mutex
	completed   []*reader
	completeSig chan struct{}

	// The Run goroutine's.
	byPath       map[string]*reader // current path → reader
	paths        []string           // what the globs matched at the last discovery
	lastDiscover time.Time
	missing      map[string]string // path or glob → last error reported
	noticed      map[string]bool   // paths skipped with a warning (directories, links, …)
	watched      map[string]bool   // directories under inotify
}

type exited struct {
	r   *reader
	why exit
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
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("tail: path %q is not a valid glob: %w", p, err)
		}
	}
	if cfg.Offsets == nil {
		return nil, errors.New("tail: no offsets registry")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.DiscoverInterval <= 0 {
		cfg.DiscoverInterval = cfg.PollInterval
	}
	if cfg.MaxLineBytes <= 0 {
		cfg.MaxLineBytes = DefaultMaxLineBytes
	}
	if cfg.CloseInactive <= 0 {
		cfg.CloseInactive = DefaultCloseInactive
	}
	if cfg.CloseOlder <= 0 {
		cfg.CloseOlder = DefaultCloseOlder
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Budget == nil {
		cfg.Budget = NewBudget(0)
	}
	if cfg.OpenFiles == nil {
		cfg.OpenFiles = NewOpenFiles(0)
	}
	t := &Tailer{
		cfg:         cfg,
		log:         cfg.Log,
		readers:     map[registry.Key]*reader{},
		done:        make(chan exited),
		completeSig: make(chan struct{}, 1),
		byPath:      map[string]*reader{},
		missing:     map[string]string{},
		noticed:     map[string]bool{},
		watched:     map[string]bool{},
	}
	if cfg.MaxOpenFiles > 0 {
		t.limits = append(t.limits, NewOpenFiles(cfg.MaxOpenFiles))
	}
	t.limits = append(t.limits, cfg.OpenFiles)
	return t, nil
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
	t.scan(ctx, out, true, true)
	t.resumeRotated(ctx, out)
	tick := time.NewTicker(t.cfg.PollInterval)
	defer tick.Stop()
	// discover is armed by inotify events that may add or remove files.
	discover := time.NewTimer(0)
	<-discover.C
	armed := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			t.watch(w)
			t.scan(ctx, out, false, time.Since(t.lastDiscover) >= t.cfg.DiscoverInterval)
		case <-discover.C:
			armed = false
			t.scan(ctx, out, false, true)
		case ev := <-events:
			if ev.Has(fsnotify.Write) {
				t.written(ctx, out, ev.Name)
			}
			if !armed && (ev.Has(fsnotify.Create) || ev.Has(fsnotify.Rename) || ev.Has(fsnotify.Remove)) {
				armed = true
				discover.Reset(max(0, discoverEvery-time.Since(t.lastDiscover)))
			}
		case err := <-errs:
			t.log.Warn("inotify error, relying on polling", "err", err)
		case x := <-t.done:
			t.exited(x)
		case <-t.completeSig:
			t.completeDue(ctx, out)
		}
	}
}

// written handles an inotify write to path: wake its reader, or start it
// again if it was closed.
func (t *Tailer) written(ctx context.Context, out chan<- Chunk, path string) {
	r := t.byPath[path]
	switch {
	case r == nil:
	case r.running:
		r.poke()
	default:
		if fi, err := t.statFile(path); err == nil && fi != nil && keyOf(fi) == r.key && r.changed(fi) {
			t.start(ctx, out, r)
		}
	}
}

func (t *Tailer) start(ctx context.Context, out chan<- Chunk, r *reader) {
	t.mu.Lock()
	t.readers[r.key] = r
	t.mu.Unlock()
	if !r.detached.Load() {
		t.byPath[r.path] = r
	}
	r.running, r.failed = true, false
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		why := r.run(ctx, out)
		select {
		case t.done <- exited{r, why}:
		case <-ctx.Done():
		}
	}()
}

// exited handles the end of a reader's run.
func (t *Tailer) exited(x exited) {
	r := x.r
	r.running = false
	switch x.why {
	case exitGone:
		t.remove(r)
	case exitFailed:
		r.failed = true
		t.report(r.at, "open", r.err)
	case exitRead:
		t.whenAcked(r)
	}
}

// remove drops a reader for good.
func (t *Tailer) remove(r *reader) {
	t.mu.Lock()
	if t.readers[r.key] == r {
		delete(t.readers, r.key)
	}
	t.mu.Unlock()
	if t.byPath[r.path] == r {
		delete(t.byPath, r.path)
	}
}

// acquireFile takes a descriptor slot of every bound.
func (t *Tailer) acquireFile(ctx context.Context) bool {
	for i, l := range t.limits {
		if !l.acquire(ctx) {
			for _, got := range t.limits[:i] {
				got.release()
			}
			return false
		}
	}
	return true
}

func (t *Tailer) releaseFile() {
	for _, l := range t.limits {
		l.release()
	}
}

// contended reports whether a file waits for a descriptor slot.
func (t *Tailer) contended() bool {
	for _, l := range t.limits {
		if l.contended() {
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
