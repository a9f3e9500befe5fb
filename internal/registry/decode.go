package registry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
)

// Version is the registry file format this logship reads and writes.
const Version = 1

// MaxFingerprintLen is the longest fingerprint an entry may claim: the
// tailer hashes at most this many bytes of a file's start.
const MaxFingerprintLen = 1024

type file struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// decode parses and checks a registry file. Anything but an object of a
// known version whose entries are all plausible is refused: a registry
// taken at face value would skip or replay whole files, or crash the
// reader (a negative offset, a fingerprint longer than what is hashed).
func decode(b []byte) (map[Key]Entry, error) {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil, fmt.Errorf("the file holds null, not a registry")
	}
	var f struct {
		Version *int    `json:"version"`
		Entries []Entry `json:"entries"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	switch {
	case f.Version == nil:
		return nil, fmt.Errorf("no version: not a registry")
	case *f.Version != Version:
		return nil, fmt.Errorf("version %d, this logship reads version %d", *f.Version, Version)
	}
	entries := make(map[Key]Entry, len(f.Entries))
	for i, e := range f.Entries {
		if err := check(e); err != nil {
			return nil, fmt.Errorf("entry %d (%s): %w", i+1, e.Path, err)
		}
		if _, dup := entries[e.Key]; dup {
			return nil, fmt.Errorf("entry %d (%s): device %d inode %d is listed twice", i+1, e.Path, e.Dev, e.Ino)
		}
		entries[e.Key] = e
	}
	return entries, nil
}

func check(e Entry) error {
	switch {
	case e.Offset < 0:
		return fmt.Errorf("negative offset %d", e.Offset)
	case e.FingerprintLen < 0 || e.FingerprintLen > MaxFingerprintLen:
		return fmt.Errorf("fingerprint length %d is outside 0..%d", e.FingerprintLen, MaxFingerprintLen)
	case !filepath.IsAbs(e.Path):
		return fmt.Errorf("path %q is not absolute", e.Path)
	}
	return nil
}
