package tail

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/appstack/appstack/internal/registry"
)

// scan finds the files at the watched paths: it expands the globs when
// discover is set (else it checks the paths found last time), starts a
// reader for each new file and each closed file that changed, and
// detaches readers whose file is no longer at a watched path. A scan
// that could not see everything (an I/O error such as running out of
// descriptors) detaches nothing: a file it missed is not gone.
func (t *Tailer) scan(ctx context.Context, out chan<- Chunk, initial, discover bool) {
	complete := true
	if discover || t.paths == nil {
		paths, err := t.expand()
		patterns := strings.Join(t.cfg.Paths, ", ")
		if err != nil {
			complete = false
			t.report(patterns, "glob", err)
			paths = mergeSorted(paths, t.paths) // keep checking what was found before
		} else {
			t.clear(patterns)
		}
		t.paths, t.lastDiscover = paths, time.Now()
	}
	seen := map[registry.Key]bool{}
	for _, path := range t.paths {
		fi, err := t.statFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			if !hasMeta(path) && slices.Contains(t.cfg.Paths, path) {
				t.report(path, "missing", nil)
			}
			continue
		}
		if err != nil {
			complete = false
			t.report(path, "stat", err)
			continue
		}
		if fi == nil {
			continue // not a file to read; noticed
		}
		key := keyOf(fi)
		seen[key] = true
		t.mu.Lock()
		r := t.readers[key]
		t.mu.Unlock()
		if r == nil {
			t.discovered(ctx, out, path, key, fi, initial)
			continue
		}
		if r.path == path && !r.detached.Load() {
			t.byPath[path] = r
		}
		if r.opened.Load() {
			t.clear(path)
		}
		if !r.running {
			r.at = path
			if r.failed || r.changed(fi) {
				t.start(ctx, out, r)
			}
		}
	}
	if !complete {
		return
	}
	for k, r := range t.snapshot() {
		if seen[k] || r.detached.Load() {
			continue
		}
		r.detached.Store(true)
		if t.byPath[r.path] == r {
			delete(t.byPath, r.path)
		}
		t.log.Info("file rotated away or deleted, reading it to its end", "path", r.path)
		if r.running {
			r.poke()
		} else {
			t.start(ctx, out, r) // it finds the file by identity, or forgets it
		}
	}
}

// discovered starts following a file seen for the first time.
func (t *Tailer) discovered(ctx context.Context, out chan<- Chunk, path string, key registry.Key, fi fs.FileInfo, initial bool) {
	r := newReader(t, path, key)
	r.initial = initial
	if t.cfg.IgnoreOlder > 0 && time.Since(fi.ModTime()) > t.cfg.IgnoreOlder {
		if _, known := t.cfg.Offsets.Get(key); !known {
			// Known from now on, where it ends: read once it changes.
			r.ignoreAt, r.readEnd, r.mtime = fi.Size(), fi.Size(), fi.ModTime()
			r.size.Store(fi.Size())
			t.log.Info("ignoring file older than ignore_older until it changes", "path", path, "modified", fi.ModTime())
			t.mu.Lock()
			t.readers[key] = r
			t.mu.Unlock()
			t.byPath[path] = r
			return
		}
	}
	t.start(ctx, out, r)
}

// changed reports whether a closed file differs from when it was closed.
func (r *reader) changed(fi fs.FileInfo) bool {
	return fi.Size() != r.readEnd || !fi.ModTime().Equal(r.mtime)
}

func (t *Tailer) snapshot() map[registry.Key]*reader {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := make(map[registry.Key]*reader, len(t.readers))
	for k, r := range t.readers {
		m[k] = r
	}
	return m
}

// statFile stats a matched path. It returns nil info, once warned, for
// what is not a file to read: a directory, a device or pipe, a symbolic
// link unless FollowSymlinks (anyone who can write to a log directory
// could otherwise make logship ship any file it can read), and an
// excluded name.
func (t *Tailer) statFile(path string) (fs.FileInfo, error) {
	if t.excluded(path) {
		return nil, nil
	}
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if !t.cfg.FollowSymlinks {
			t.notice(path, "skipping a symbolic link: set follow_symlinks => true to read the file it points to")
			return nil, nil
		}
		if fi, err = os.Stat(path); err != nil {
			return nil, err
		}
	}
	switch {
	case fi.IsDir():
		t.notice(path, "skipping a directory: path must name files; use a glob such as "+filepath.Join(path, "*.log"))
		return nil, nil
	case !fi.Mode().IsRegular():
		t.notice(path, "skipping what is not a regular file ("+fi.Mode().Type().String()+")")
		return nil, nil
	}
	return fi, nil
}

// notice warns once about a path that is skipped.
func (t *Tailer) notice(path, msg string) {
	if t.noticed[path] {
		return
	}
	t.noticed[path] = true
	t.log.Warn(msg, "path", path)
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

// expand returns the paths the patterns match, sorted, and every I/O
// error met (what it could not read may hide files). A pattern without
// glob characters is returned as it is: its existence is checked by stat.
func (t *Tailer) expand() ([]string, error) {
	var out []string
	var errs []error
	for _, p := range t.cfg.Paths {
		m, err := glob(p)
		out = append(out, m...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), errors.Join(errs...)
}

// glob is filepath.Glob, plus "**" for any number of directories (as
// Logstash's path), reporting I/O errors rather than taking them for no
// match.
func glob(pattern string) ([]string, error) {
	if !hasMeta(pattern) {
		return []string{pattern}, nil
	}
	parts := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	found := []string{"/"}
	var errs []error
	for i, part := range parts {
		last := i == len(parts)-1
		var next []string
		for _, dir := range found {
			switch {
			case part == "**":
				next = append(next, dir)
				err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
					if err != nil {
						if p != dir && !ignorable(err) {
							errs = append(errs, err)
						}
						return nil
					}
					if d.IsDir() && p != dir {
						next = append(next, p)
					}
					return nil
				})
				if err != nil && !ignorable(err) {
					errs = append(errs, err)
				}
			case !hasMeta(part):
				next = append(next, filepath.Join(dir, part))
			default:
				ents, err := os.ReadDir(dir)
				if err != nil {
					if !ignorable(err) {
						errs = append(errs, err)
					}
					continue
				}
				for _, de := range ents {
					if ok, _ := filepath.Match(part, de.Name()); ok && (last || de.IsDir() || de.Type()&fs.ModeSymlink != 0) {
						next = append(next, filepath.Join(dir, de.Name()))
					}
				}
			}
		}
		found = next
	}
	if parts[len(parts)-1] == "**" {
		found = nil // "**" names directories, never files
	}
	return found, errors.Join(errs...)
}

// ignorable errors mean no match: the directory is not there (yet).
func ignorable(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// matches reports whether path matches pattern as glob does.
func matches(pattern, path string) bool {
	pp := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	ps := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var match func(pp, ps []string) bool
	match = func(pp, ps []string) bool {
		for len(pp) > 0 {
			if pp[0] == "**" {
				for i := 0; i < len(ps); i++ { // at least the file name is left
					if match(pp[1:], ps[i:]) {
						return true
					}
				}
				return false
			}
			if len(ps) == 0 {
				return false
			}
			if ok, _ := filepath.Match(pp[0], ps[0]); !ok {
				return false
			}
			pp, ps = pp[1:], ps[1:]
		}
		return len(ps) == 0
	}
	return match(pp, ps)
}

func mergeSorted(a, b []string) []string {
	out := append(append([]string(nil), a...), b...)
	slices.Sort(out)
	return slices.Compact(out)
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
	return strings.ContainsAny(p, `*?[\`)
}

// resumeRotated finds, after a restart, files the registry knows that no
// longer sit at a watched path, because they were renamed by rotation
// while logship was down: each is looked for by identity in the directory
// where it was last seen, and what is left of it is read. Entries of
// files that are gone are forgotten.
func (t *Tailer) resumeRotated(ctx context.Context, out chan<- Chunk) {
	for _, e := range t.cfg.Offsets.All() {
		t.mu.Lock()
		_, active := t.readers[e.Key]
		t.mu.Unlock()
		if active || !t.ours(e.Path) {
			continue
		}
		r := newReader(t, e.Path, e.Key)
		r.resumed = true
		r.detached.Store(true)
		t.log.Info("looking for a known file no longer at its path", "path", e.Path, "offset", e.Offset)
		t.start(ctx, out, r)
	}
}

// ours reports whether path matches one of the configured patterns, so
// two inputs sharing a registry leave each other's entries alone.
func (t *Tailer) ours(path string) bool {
	for _, p := range t.cfg.Paths {
		if matches(p, path) {
			return true
		}
	}
	return false
}
