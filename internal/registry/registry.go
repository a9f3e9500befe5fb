// Package registry keeps the read offsets of tailed files (logship's
// sincedb) in one JSON file under the data directory.
//
// One goroutine owns the offsets; Put, Forget, Get and All talk to it.
// It saves atomically (temp file, fsync, rename, fsync of the directory)
// at most every SaveInterval while offsets move, at once when a new file
// is put (so a file rotated away before the next save is still found),
// and on Stop.
// Callers Put an offset only once the outputs acknowledged every event
// before it (or a file's start offset when it is first opened), so a
// saved offset never skips an unsent line.
package registry

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
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
}

// change is what an operation did to the entries.
type change int

const (
	unchanged change = iota
	changed          // saved within SaveInterval
	added            // a new key: saved at once
)

type file struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// Registry is the owner of the offsets. Its methods are safe for
// concurrent use; after Stop they must not be called.
type Registry struct {
	path string
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
		var f file
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("open registry %s: corrupt (move it away to start over): %w", r.path, err)
		}
		for _, e := range f.Entries {
			entries[e.Key] = e
		}
	}
	// A write probe now beats discovering a read-only volume at the first
	// save, after events went out.
	if err := r.save(entries); err != nil {
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
			reply <- r.save(entries)
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

func (r *Registry) write(entries []Entry) error {
	b, err := json.MarshalIndent(file{Version: 1, Entries: entries}, "", " ")
	if err != nil {
		return fmt.Errorf("save registry %s: %w", r.path, err)
	}
	if err := writeAtomic(r.path, append(b, '\n')); err != nil {
		return fmt.Errorf("save registry %s: %w", r.path, err)
	}
	return nil
}

func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
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
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
