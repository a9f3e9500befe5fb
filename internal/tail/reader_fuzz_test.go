package tail

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/appstack/appstack/internal/registry"
)

// expectLines is the reference: complete lines, cut at max bytes without
// splitting a character, invalid bytes replaced by U+FFFD, each with the
// offset after its newline; with keep, the bytes as they are, cut at max.
func expectLines(data []byte, max int, keep bool) []Line {
	var out []Line
	end := int64(0)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return out
		}
		line := data[:i]
		data = data[i+1:]
		end += int64(i + 1)
		truncated := len(line) > max
		if truncated {
			line = line[:max]
		}
		if keep {
			out = append(out, Line{Text: string(line), Truncated: truncated, End: end})
			continue
		}
		if truncated {
			for k := 0; k < utf8.UTFMax && len(line) > 0; k++ {
				if r, size := utf8.DecodeLastRune(line); r != utf8.RuneError || size != 1 {
					break
				}
				line = line[:len(line)-1]
			}
		}
		var b strings.Builder
		for len(line) > 0 {
			r, size := utf8.DecodeRune(line)
			if r == utf8.RuneError && size == 1 {
				b.WriteString("\uFFFD")
			} else {
				b.Write(line[:size])
			}
			line = line[size:]
		}
		out = append(out, Line{Text: b.String(), Truncated: truncated, End: end})
	}
}

// FuzzReader writes data to a real file in two parts, reading after
// each, with a tiny buffer so lines straddle reads and overflow it, and
// compares the lines (with their end offsets), the committed offset and
// the fingerprint with expectLines and the data; with and without
// KeepBytes.
func FuzzReader(f *testing.F) {
	f.Add([]byte("a\nbb\n\xffc\npartial"), uint16(3), uint8(4), uint8(8))
	f.Add([]byte(strings.Repeat("é", 40)+"\nshort\n"), uint16(10), uint8(7), uint8(4))
	f.Add([]byte("\n\n\r\n"), uint16(1), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, cut uint16, maxLine, bufSize uint8) {
		for _, keep := range []bool{false, true} {
			readAndCompare(t, data, cut, maxLine, bufSize, keep)
		}
	})
}

func readAndCompare(t *testing.T, data []byte, cut uint16, maxLine, bufSize uint8, keep bool) {
	t.Helper()
	max := int(maxLine)%64 + 1
	path := filepath.Join(t.TempDir(), "f.log")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	tl := &Tailer{cfg: Config{MaxLineBytes: max, KeepBytes: keep}, log: slog.New(slog.DiscardHandler)}
	rf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r := newReader(tl, path, registry.Key{})
	r.f = rf
	defer rf.Close()
	r.buf = make([]byte, int(bufSize)%32+1)
	out := make(chan Chunk, 1<<16)
	split := int(cut) % (len(data) + 1)
	for _, part := range [][]byte{data[:split], data[split:]} {
		if _, err := fh.Write(part); err != nil {
			t.Fatal(err)
		}
		if _, err := r.readToEnd(context.Background(), out); err != nil {
			t.Fatal(err)
		}
	}
	close(out)
	var got []Line
	for c := range out {
		for _, l := range c.Lines {
			got = append(got, Line{Text: strings.Clone(l.Text), Truncated: l.Truncated, End: l.End})
		}
	}
	want := expectLines(data, max, keep)
	if len(got) != len(want) {
		t.Fatalf("KeepBytes %v: got %d lines %+v; want %d %+v", keep, len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("KeepBytes %v: line %d = %+v; want %+v", keep, i, got[i], want[i])
		}
	}
	if wantCommit := int64(bytes.LastIndexByte(data, '\n') + 1); r.commit != wantCommit {
		t.Fatalf("commit offset %d; want %d", r.commit, wantCommit)
	}
	// The fingerprint grew with the bytes read, and covers the offset.
	wantFP := min(int64(len(data)), FingerprintBytes)
	if r.fpLen != wantFP || r.fp != fnvAdd(fnvOffset, data[:wantFP]) {
		t.Fatalf("fingerprint covers %d bytes (%x); want %d bytes (%x)", r.fpLen, r.fp, wantFP, fnvAdd(fnvOffset, data[:wantFP]))
	}
	if fp, err := r.hashPrefix(r.fpLen); err != nil || fp != r.fp {
		t.Fatalf("fingerprint %x differs from the file's first %d bytes: %x, %v", r.fp, r.fpLen, fp, err)
	}
}
