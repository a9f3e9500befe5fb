package lsconf

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxConfigBytes caps the size of a config, all files of a directory
// together. Real pipelines are kilobytes; the largest, with inline
// translate dictionaries, a few hundred. The cap stops `-f /dev/zero`,
// or a log file given by mistake, from eating the memory.
const MaxConfigBytes = 8 << 20

// Load reads and parses a config. path is a file, a directory or a glob,
// as Logstash's -f takes: a directory is its files (name*), and a
// directory or glob loads the files it matches in name order, skipping
// what Logstash skips (subdirectories and other non-regular files, hidden
// files, names ending in ~). A file named explicitly must be a regular
// file (not /dev/zero, not a FIFO). Each file is parsed on its own, so
// errors name their file. A config above MaxConfigBytes, all files
// together, is refused before it is read.
func Load(path string) (*Config, error) {
	files, err := configFiles(path)
	if err != nil {
		return nil, err
	}
	all := &Config{File: path} // errors about no section in particular name path
	budget := int64(MaxConfigBytes)
	for _, f := range files {
		src, err := readConfigFile(f, budget)
		if err != nil {
			return nil, err
		}
		budget -= int64(len(src))
		cfg, err := Parse(f, src)
		if err != nil {
			return nil, err
		}
		all.Sections = append(all.Sections, cfg.Sections...)
	}
	return all, nil
}

func configFiles(path string) ([]string, error) {
	pattern := path
	switch fi, err := os.Stat(path); {
	case err == nil && fi.IsDir():
		pattern = filepath.Join(path, "*")
	case err == nil:
		return []string{path}, nil
	case !strings.ContainsAny(path, `*?[`):
		return nil, fmt.Errorf("read config: %w", err)
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	var files []string
	for _, m := range matches {
		base := filepath.Base(m)
		if strings.HasPrefix(base, ".") || strings.HasSuffix(base, "~") {
			continue
		}
		if fi, err := os.Stat(m); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		files = append(files, m)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read config: no config files in %s", path)
	}
	return files, nil
}

var errTooBig = errors.New("config too big")

// readConfigFile reads a regular file of at most limit bytes. It checks
// the file it opened (not the path), so nothing can be swapped in
// between, and reads at most limit+1 bytes in case it grows.
func readConfigFile(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read config %s: not a regular file (%s): a config is a file, a directory or a glob of files", path, fileType(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("read config %s: %d bytes: %w (the limit is %d bytes for all config files together)", path, fi.Size(), errTooBig, MaxConfigBytes)
	}
	src, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	if int64(len(src)) > limit {
		return nil, fmt.Errorf("read config %s: it grew while read: %w (the limit is %d bytes for all config files together)", path, errTooBig, MaxConfigBytes)
	}
	return src, nil
}

func fileType(m os.FileMode) string {
	switch {
	case m&os.ModeDevice != 0:
		return "device"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	case m.IsDir():
		return "directory"
	}
	return m.Type().String()
}
