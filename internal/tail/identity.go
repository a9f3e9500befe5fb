package tail

import (
	"io/fs"
	"syscall"

	"github.com/appstack/appstack/internal/registry"
)

// A file is identified by device and inode (its registry.Key) and told
// apart from an earlier file on a reused inode by a fingerprint: FNV-1a
// (64 bits) of its first bytes, up to FingerprintBytes. FNV's state is its
// sum, so a fingerprint extends as the file's first bytes are read.
const (
	// FingerprintBytes is how much of a file's start identifies it.
	FingerprintBytes = registry.MaxFingerprintLen
	fnvOffset        = 14695981039346656037
	fnvPrime         = 1099511628211
)

func fnvAdd(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// trusted reports whether e's fingerprint covers its offset (or the whole
// fingerprint length). An entry that does not, saved by an older logship,
// cannot tell a reused inode from its file: it is read from the start.
func trusted(e registry.Entry) bool {
	return e.FingerprintLen >= min(e.Offset, FingerprintBytes)
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

// fingerprint hashes the file's first min(size, FingerprintBytes) bytes.
func (r *reader) fingerprint(size int64) error {
	n := min(size, FingerprintBytes)
	fp, err := r.hashPrefix(n)
	if err != nil {
		return err
	}
	r.fpLen, r.fp = n, fp
	return nil
}

// hashPrefix hashes the first n bytes, 0 <= n <= FingerprintBytes
// (entries are checked when the registry is loaded).
func (r *reader) hashPrefix(n int64) (uint64, error) {
	if r.fpBuf == nil {
		r.fpBuf = make([]byte, FingerprintBytes)
	}
	b := r.fpBuf[:n]
	got, err := r.f.ReadAt(b, 0)
	if err != nil && got < len(b) && !isEOF(err) {
		return 0, err
	}
	return fnvAdd(fnvOffset, b[:got]), nil
}

// extendFingerprint hashes the bytes b, just read at pos, that lie past
// the fingerprinted prefix: the fingerprint grows with the bytes actually
// read, so an entry never claims an offset its fingerprint does not cover
// (a short fingerprint would let a reused inode skip data).
func (r *reader) extendFingerprint(pos int64, b []byte) {
	end := min(pos+int64(len(b)), FingerprintBytes)
	if end <= r.fpLen {
		return
	}
	if pos > r.fpLen { // reads are contiguous from the prefix; be safe anyway
		if err := r.fingerprint(end); err != nil {
			r.t.log.Warn("fingerprint file", "path", r.path, "err", err)
		}
		return
	}
	r.fp = fnvAdd(r.fp, b[r.fpLen-pos:end-pos])
	r.fpLen = end
}

// fpMatches reports whether the file's first n bytes hash to fp.
func (r *reader) fpMatches(n int64, fp uint64) bool {
	if n == r.fpLen {
		return r.fp == fp
	}
	got, err := r.hashPrefix(n)
	return err == nil && got == fp
}
