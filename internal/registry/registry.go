// Package registry keeps the read offsets of tailed files (logship's
// sincedb) in one JSON file under the data directory.
//
// One goroutine owns the offsets; Put, Forget, Get and All talk to it.
// It saves atomically (temp file, fsync, rename, fsync of the directory)
// at most every SaveInterval while offsets move, at once when a new file
// is put (so a file rotated away before the next save is still found),
// and on Stop. A file it cannot trust is refused at Open (see decode).
// Its one writer is the tailer (internal/tail): it Puts an offset only
// once the outputs acknowledged every event before it (or a file's start
// offset when it is first opened), so a saved offset never skips an
// unsent line.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// FileName is the registry's file inside the data directory.
const FileName = "registry.json"

// SaveInterval is the least time between two saves while offsets move: a
// change is saved at once if the last save is older, else at the next
// tick. A crash replays at most this much acknowledged data.
const SaveInterval = 100 * time.Millisecond

// Key identifies a file by device and inode. An Entry's fingerprint tells
// a reused inode from the file it used to be.
type Key struct {
	Dev uint64 `json:"dev"`
	Ino uint64 `json:"ino"`
}

// Entry is the state of one file.
type Entry struct {
	Key
	// FingerprintLen bytes from the file's start hash to Fingerprint.
	FingerprintLen int64  `json:"fingerprint_len"`
	Fingerprint    uint64 `json:"fingerprint"`
	// Offset is the first byte not yet acknowledged.
	Offset int64 `json:"offset"`
	// Path is where the file was last seen (to find it after a rename).
	Path    string    `json:"path"`
	Updated time.Time `json:"updated"`
	// Completed is set once read mode has read the file to Offset, every
	// line was acknowledged and file_completed_action was done.
	Completed bool `json:"completed,omitempty"`
}

// change is what an operation did to the entries.
type change int

const (
	unchanged change = iota
	changed          // saved within SaveInterval
	added            // a new key: saved at once
)

// Registry is the owner of the offsets. Its methods are safe for
// concurrent use; after Stop they must not be called.
type Registry struct {
	path string
	dir  *os.File // the data directory, used by one save at a time
	log  *slog.Logger
	ops  chan func(map[Key]Entry) change
	stop chan chan error
}

// Open loads dir/registry.json (creating dir if needed) and starts the
// owning goroutine. A corrupt registry file is an error: silently
// starting over could replay or skip whole files.
func Open(dir string, log *slog.Logger) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open registry %s: %w", dir, err)
	}
	r := &Registry{
		path: filepath.Join(dir, FileName),
		log:  log,
		ops:  make(chan func(map[Key]Entry) change),
		stop: make(chan chan error),
	}
	entries := map[Key]Entry{}
	b, err := os.ReadFile(r.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("open registry %s: %w", r.path, err)
	default:
		if entries, err = decode(b); err != nil {
			return nil, fmt.Errorf("open registry %s: corrupt (move it away to start over; every file is then read again as new): %w", r.path, err)
		}
	}
	// The directory stays open: it is fsynced after each save, and it is
	// the descriptor a save can borrow when the process is out of them.
	if r.dir, err = os.Open(dir); err != nil {
		return nil, fmt.Errorf("open registry %s: %w", dir, err)
	}
	// A write probe now beats discovering a read-only volume at the first
	// save, after events went out.
	if err := r.save(entries); err != nil {
		r.dir.Close()
		return nil, err
	}
	go r.own(entries)
	return r, nil
}

// own serves the operations. Saves run on their own goroutine, on a
// snapshot, so a slow fsync never stalls Put (and so the pipeline).
func (r *Registry) own(entries map[Key]Entry) {
	tick := time.NewTicker(SaveInterval)
	defer tick.Stop()
	dirty, urgent, saving := false, false, false
	var last time.Time
	done := make(chan error, 1)
	save := func() {
		if saving || !dirty {
			return
		}
		snap := sorted(entries)
		saving, dirty, urgent, last = true, false, false, time.Now()
		go func() { done <- r.write(snap) }()
	}
	for {
		select {
		case op := <-r.ops:
			switch op(entries) {
			case added:
				dirty, urgent = true, true
				save()
			case changed:
				dirty = true
				if time.Since(last) >= SaveInterval {
					save()
				}
			}
		case <-tick.C:
			save()
		case err := <-done:
			saving = false
			if err != nil {
				r.log.Error("save registry", "err", err)
				dirty = true
			} else if urgent {
				save() // a new file was put during the save
			}
		case reply := <-r.stop:
			if saving {
				<-done
			}
			err := r.save(entries)
			if r.dir != nil {
				r.dir.Close()
			}
			reply <- err
			return
		}
	}
}

// Put records e (keyed by e.Key) as acknowledged up to e.Offset.
func (r *Registry) Put(e Entry) {
	if e.Updated.IsZero() {
		e.Updated = time.Now().UTC()
	}
	r.ops <- func(m map[Key]Entry) change {
		_, known := m[e.Key]
		m[e.Key] = e
		if known {
			return changed
		}
		return added
	}
}

// Forget drops a file that no longer exists.
func (r *Registry) Forget(k Key) {
	r.ops <- func(m map[Key]Entry) change {
		if _, ok := m[k]; !ok {
			return unchanged
		}
		delete(m, k)
		return changed
	}
}

// Get returns the entry for k.
func (r *Registry) Get(k Key) (Entry, bool) {
	type res struct {
		e  Entry
		ok bool
	}
	c := make(chan res, 1)
	r.ops <- func(m map[Key]Entry) change { e, ok := m[k]; c <- res{e, ok}; return unchanged }
	v := <-c
	return v.e, v.ok
}

// All returns every entry, ordered by path.
func (r *Registry) All() []Entry {
	c := make(chan []Entry, 1)
	r.ops <- func(m map[Key]Entry) change { c <- sorted(m); return unchanged }
	return <-c
}

// Stop saves the registry and stops its goroutine.
func (r *Registry) Stop() error {
	reply := make(chan error)
	r.stop <- reply
	return <-reply
}

func sorted(m map[Key]Entry) []Entry {
	out := make([]Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Ino < out[j].Ino
	})
	return out
}

// save writes the registry atomically: a crash leaves the old file or
// the new one, never a torn one.
func (r *Registry) save(m map[Key]Entry) error { return r.write(sorted(m)) }

// write is called by one goroutine at a time (Open, the saver, Stop).
func (r *Registry) write(entries []Entry) error {
	b, err := json.MarshalIndent(file{Version: Version, Entries: entries}, "", " ")
	if err != nil {
		return fmt.Errorf("save registry %s: %w", r.path, err)
	}
	if err := r.writeAtomic(append(b, '\n')); err != nil {
		return fmt.Errorf("save registry %s: %w", r.path, err)
	}
	return nil
}

// writeAtomic writes b to a temp file, fsyncs it, renames it over the
// registry and fsyncs the directory. It needs one descriptor beyond the
// directory's: out of descriptors (EMFILE, ENFILE), it closes the
// directory to free one and opens it again after the temp file is
// closed, so a save never fails for want of a descriptor.
func (r *Registry) writeAtomic(b []byte) error {
	dir := filepath.Dir(r.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(r.path)+".tmp*")
	if outOfFiles(err) && r.dir != nil {
		r.dir.Close()
		r.dir = nil
		tmp, err = os.CreateTemp(dir, filepath.Base(r.path)+".tmp*")
	}
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), r.path); err != nil {
		return err
	}
	if r.dir == nil {
		if r.dir, err = os.Open(dir); err != nil {
			return err
		}
	}
	return r.dir.Sync()
}

func outOfFiles(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}
