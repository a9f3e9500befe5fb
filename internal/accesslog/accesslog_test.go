package accesslog

import (
	"bytes"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestAppendDefault(t *testing.T) {
	t.Parallel()
	at := time.Date(2017, 7, 19, 15, 34, 57, 884e6, time.UTC)
	tests := []struct {
		name string
		e    Entry
		want string
	}{
		{"the seed's sample line", Entry{Remote: netip.MustParseAddr("192.168.251.1"), Time: at, Method: []byte("GET"), URL: []byte("/"), ProtoMajor: 1, ProtoMinor: 1, Status: 200, ContentLength: 20,
			UserAgent: []byte("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_3) AppleWebKit/602.4.8 (KHTML, like Gecko) Version/10.0.3 Safari/602.4.8")},
			`::ffff:192.168.251.1 - - [Wed, 19 Jul 2017 15:34:57 GMT] "GET / HTTP/1.1" 200 20 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_3) AppleWebKit/602.4.8 (KHTML, like Gecko) Version/10.0.3 Safari/602.4.8"` + "\n"},
		{"missing fields are dashes", Entry{Time: at, Method: []byte("GET"), URL: []byte("/x"), ProtoMajor: 1, ProtoMinor: 0, Status: 304, ContentLength: -1},
			`- - - [Wed, 19 Jul 2017 15:34:57 GMT] "GET /x HTTP/1.0" 304 - "-" "-"` + "\n"},
		{"nothing is escaped; header bytes are Latin-1", Entry{Remote: netip.MustParseAddr("::1"), Time: at.In(time.FixedZone("X", 3600)), Method: []byte("GET"), URL: []byte(`/a"b`), ProtoMajor: 1, ProtoMinor: 1, Status: 404, ContentLength: 9,
			Referrer: []byte("r\"é"), UserAgent: []byte("caf\xc3\xa9")},
			"::1 - - [Wed, 19 Jul 2017 15:34:57 GMT] \"GET /a\"b HTTP/1.1\" 404 9 \"r\"\u00c3\u00a9\" \"caf\u00c3\u00a9\"\n"},
		{"an empty body has a Content-Length of 0", Entry{Time: at, Method: []byte("HEAD"), URL: []byte("/"), ProtoMajor: 1, ProtoMinor: 1, Status: 200, ContentLength: 0},
			`- - - [Wed, 19 Jul 2017 15:34:57 GMT] "HEAD / HTTP/1.1" 200 0 "-" "-"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(AppendDefault(nil, &tt.e)); got != tt.want {
				t.Errorf("AppendDefault =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

// TestDatesOfConsecutiveSeconds: the cached date follows the clock, both
// ways, and matches toUTCString at every second.
func TestDatesOfConsecutiveSeconds(t *testing.T) {
	t.Parallel()
	at := time.Date(2017, 7, 19, 15, 34, 57, 0, time.UTC)
	for _, d := range []time.Duration{0, 999 * time.Millisecond, time.Second, 3 * time.Second, -time.Hour, time.Second} {
		when := at.Add(d)
		want := when.Format(http.TimeFormat)
		if got := string(appendDate(nil, when)); got != want {
			t.Errorf("appendDate(%v) = %q; want %q", when, got, want)
		}
	}
}

func TestAppendNodeAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"127.0.0.1":        "::ffff:127.0.0.1",
		"192.168.251.1":    "::ffff:192.168.251.1",
		"::1":              "::1",
		"2001:db8::1":      "2001:db8::1",
		"::ffff:10.0.0.1":  "::ffff:10.0.0.1",
		"fe80::1%eth0":     "fe80::1%eth0",
		"2001:0db8:0::0:1": "2001:db8::1",
	} {
		if got := string(AppendNodeAddr(nil, netip.MustParseAddr(in))); got != want {
			t.Errorf("AppendNodeAddr(%s) = %q; want %q", in, got, want)
		}
	}
}

func openLog(t *testing.T, path string) *File {
	t.Helper()
	f, err := Open(path, Hooks{Error: func(err error) { t.Errorf("background write: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestOpenCreatesDirectoryAndFileReadableByOthers(t *testing.T) {
	old := syscall.Umask(0o077) // a strict umask must not hide the log from the shipper
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "var", "log", "nodeapp", "nodeapp.log")
	openLog(t, path)
	for p, want := range map[string]os.FileMode{path: 0o644, filepath.Dir(path): 0o755 | os.ModeDir} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("mode of %s = %v; want %v", p, st.Mode(), want)
		}
	}
}

func TestOpenAppendsToAnExistingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a.log")
	os.WriteFile(path, []byte("old\n"), 0o600)
	f := openLog(t, path)
	f.Write([]byte("new\n"))
	f.Close()
	if b, _ := os.ReadFile(path); string(b) != "old\nnew\n" {
		t.Errorf("file = %q; want the new line appended", b)
	}
}

func TestOpenFailsClearly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if _, err := Open(filepath.Join(blocker, "sub", "x.log"), Hooks{}); err == nil || !strings.Contains(err.Error(), "log") {
		t.Errorf("Open under a regular file = %v; want a clear error", err)
	}
}

func TestLinesAreBufferedThenFlushedByTheTimer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	// With a delay no test outlives, a line stays in the buffer until Close.
	held := filepath.Join(dir, "held.log")
	f := openLog(t, held)
	f.flushDelay = time.Hour
	f.Write([]byte("one\n"))
	if b, _ := os.ReadFile(held); len(b) != 0 {
		t.Errorf("file after Write = %q; want the line still buffered", b)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(held); string(b) != "one\n" {
		t.Errorf("file after Close = %q; want %q", b, "one\n")
	}

	// With the default delay the timer writes it out with no further call.
	timed := filepath.Join(dir, "timed.log")
	f = openLog(t, timed)
	f.Write([]byte("two\n"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, _ := os.ReadFile(timed)
		if string(b) == "two\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("file 5 s after Write = %q; want %q written by the flush timer", b, "two\n")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAFullBufferIsWrittenAtOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a.log")
	f := openLog(t, path)
	f.flushDelay = time.Hour // only a full buffer can write it out now
	line := []byte(strings.Repeat("x", 999) + "\n")
	for range DefaultBufferSize/len(line) + 1 {
		f.Write(line)
	}
	if st, _ := os.Stat(path); st.Size() < DefaultBufferSize {
		t.Errorf("file size %d after writing more than a buffer; want at least %d written at once", st.Size(), DefaultBufferSize)
	}
}

// TestReopenAfterRename is logrotate's rename-then-SIGHUP: lines written
// before the reopen land in the renamed file, lines after in a new file at
// the path, and none is lost.
func TestReopenAfterRename(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "nodeapp.log")
	f := openLog(t, path)
	var wg sync.WaitGroup
	const writers, each = 4, 500
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				fmt.Fprintf(f, "w%d-%d\n", w, i)
				if w == 0 && i == each/2 {
					if err := os.Rename(path, path+".1"); err != nil {
						t.Error(err)
					}
					if err := f.Reopen(); err != nil {
						t.Errorf("Reopen: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	rotated, _ := os.ReadFile(path + ".1")
	current, _ := os.ReadFile(path)
	if len(rotated) == 0 || len(current) == 0 {
		t.Fatalf("rotated %d bytes, current %d bytes; want lines in both", len(rotated), len(current))
	}
	all := strings.Split(strings.TrimSuffix(string(rotated)+string(current), "\n"), "\n")
	seen := map[string]bool{}
	for _, l := range all {
		if seen[l] {
			t.Errorf("line %q written twice", l)
		}
		seen[l] = true
	}
	for w := range writers {
		for i := range each {
			if !seen[fmt.Sprintf("w%d-%d", w, i)] {
				t.Errorf("line w%d-%d lost", w, i)
			}
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("reopened file mode %v; want 0644", st.Mode().Perm())
	}
}

func TestCloseFlushes(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a.log")
	f := openLog(t, path)
	f.Write([]byte("last words\n"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "last words\n" {
		t.Errorf("file after Close = %q; want the buffered line", b)
	}
	if _, err := f.Write([]byte("x\n")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// failingFile is a File on /dev/full, where every write fails.
func failingFile(t *testing.T, size int, hooks Hooks) *File {
	t.Helper()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("/dev/full is needed: %v", err)
	}
	f := &File{path: "/dev/full", size: size, flushDelay: time.Hour, retryDelay: time.Hour, hooks: hooks, f: full}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestAFailingFileKeepsLines writes to a full device: the error surfaces,
// and the buffered lines are kept (up to a bound) for the next flush; the
// ones beyond it are counted as dropped.
func TestAFailingFileKeepsLines(t *testing.T) {
	t.Parallel()
	var reported []error
	f := failingFile(t, 16, Hooks{Error: func(err error) { reported = append(reported, err) }})
	first := []byte("a line longer than the buffer\n")
	if _, err := f.Write(first); err == nil {
		t.Fatal("Write to a full device succeeded")
	}
	if !bytes.Contains(f.buf, []byte("a line longer")) {
		t.Errorf("buffer after a failed flush = %q; want the line kept", f.buf)
	}
	big := []byte(strings.Repeat("x", 4095) + "\n")
	n := 2 * maxBuffered / len(big)
	for range n {
		f.Write(big)
	}
	if len(f.buf) > maxBuffered+len(big) {
		t.Errorf("buffer grew to %d bytes on a failing file; want at most about %d", len(f.buf), maxBuffered)
	}
	// Nothing was written: every line is either still buffered or dropped.
	lines, dropped := f.Dropped()
	buffered := bytes.Count(f.buf, []byte("\n"))
	if int(lines)+buffered != n+1 || int(dropped)+len(f.buf) != len(first)+n*len(big) {
		t.Errorf("Dropped() = %d lines, %d bytes with %d lines (%d bytes) buffered; want them to add up to the %d lines (%d bytes) written",
			lines, dropped, buffered, len(f.buf), n+1, len(first)+n*len(big))
	}
	if lines == 0 {
		t.Error("Dropped() = 0 lines after writing twice the bound to a failing file")
	}
	// While failing, only the first failure is reported; the rest wait
	// for the retry.
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "no space left") {
		t.Errorf("onError heard %v; want the one failed write", reported)
	}
}

// TestAFailedFlushIsRetried: a timed flush that fails is reported and
// re-armed, so the lines are written once the file works again, with no
// further Write to trigger it.
func TestAFailedFlushIsRetried(t *testing.T) {
	t.Parallel()
	errs := make(chan error, 100)
	f := failingFile(t, DefaultBufferSize, Hooks{Error: func(err error) {
		select {
		case errs <- err:
		default:
		}
	}})
	f.flushDelay, f.retryDelay = time.Millisecond, time.Millisecond
	if _, err := f.Write([]byte("kept\n")); err != nil {
		t.Fatalf("Write of a buffered line: %v", err)
	}
	for i := range 2 { // the timer's flush, then its retry
		select {
		case err := <-errs:
			if !strings.Contains(err.Error(), "no space left") {
				t.Errorf("onError(%v); want the write's error", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("onError heard %d failed flushes in 20 s; want the timer's flush and its retry", i)
		}
	}
	// The disk has room again.
	path := filepath.Join(t.TempDir(), "a.log")
	good, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	full := f.f
	f.f = good
	f.mu.Unlock()
	full.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if string(b) == "kept\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("file 20 s after the disk recovered = %q; want the retry to write %q", b, "kept\n")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if lines, _ := f.Dropped(); lines != 0 {
		t.Errorf("Dropped() = %d lines; want none: the line was kept until written", lines)
	}
}

func TestLinesAfterCloseAreCounted(t *testing.T) {
	t.Parallel()
	f := openLog(t, filepath.Join(t.TempDir(), "a.log"))
	f.Close()
	f.Write([]byte("late\n"))
	f.Write([]byte("later\n"))
	if lines, n := f.Dropped(); lines != 2 || n != 11 {
		t.Errorf("Dropped() = %d lines, %d bytes after two Writes past Close; want 2, 11", lines, n)
	}
}

// TestDropsAreReportedWhenTheyStartAndEnd: a failing file reports once
// that it began dropping lines, however many it drops, and once that
// writes work again, with what it dropped in between.
func TestDropsAreReportedWhenTheyStartAndEnd(t *testing.T) {
	t.Parallel()
	type end struct{ lines, bytes uint64 }
	var starts []error
	var ends []end
	f := failingFile(t, 16, Hooks{
		DropStart: func(err error) { starts = append(starts, err) },
		DropEnd:   func(lines, bytes uint64) { ends = append(ends, end{lines, bytes}) },
	})
	line := []byte(strings.Repeat("x", 1023) + "\n")
	// Up to the bound the lines are kept: nothing dropped, nothing said.
	for range maxBuffered / len(line) {
		f.Write(line)
	}
	if lines, _ := f.Dropped(); lines != 0 || len(starts) != 0 {
		t.Fatalf("after filling the bound: %d lines dropped, %d drop starts; want none", lines, len(starts))
	}
	for range 3 * maxBuffered / len(line) {
		f.Write(line)
	}
	dropped, droppedBytes := f.Dropped()
	if dropped == 0 || len(starts) != 1 || !strings.Contains(fmt.Sprint(starts[0]), "no space left") {
		t.Fatalf("after writing 3 times the bound to a full disk: %d lines dropped, drop starts %v; want lines dropped and one start naming the write error", dropped, starts)
	}
	if len(ends) != 0 {
		t.Fatalf("drop ends %v while the disk is still full; want none", ends)
	}

	// Room again: the next flush works and reports the end, once.
	good, err := os.Create(filepath.Join(t.TempDir(), "a.log"))
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	full := f.f
	f.f = good
	err = f.flushLocked()
	f.mu.Unlock()
	full.Close()
	if err != nil {
		t.Fatalf("flush after the disk recovered: %v", err)
	}
	if len(ends) != 1 || ends[0] != (end{dropped, droppedBytes}) {
		t.Fatalf("drop ends %v; want one of %d lines, %d bytes", ends, dropped, droppedBytes)
	}
	f.Write(line)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if len(starts) != 1 || len(ends) != 1 {
		t.Errorf("after writing on: %d drop starts, %d ends; want still one each", len(starts), len(ends))
	}

	// Each outage is an episode of its own, counted from its start.
	f2 := failingFile(t, 16, Hooks{
		DropStart: func(err error) { starts = append(starts, err) },
		DropEnd:   func(lines, bytes uint64) { ends = append(ends, end{lines, bytes}) },
	})
	for round := range 2 {
		for range 2 * maxBuffered / len(line) {
			f2.Write(line)
		}
		good, err := os.Create(filepath.Join(t.TempDir(), fmt.Sprintf("b%d.log", round)))
		if err != nil {
			t.Fatal(err)
		}
		full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f2.mu.Lock()
		f2.f.Close()
		f2.f = good
		err = f2.flushLocked()
		good.Close()
		f2.f = full // and full again for the next round
		f2.mu.Unlock()
		if err != nil {
			t.Fatalf("round %d: flush with room: %v", round, err)
		}
	}
	lines, bytes := f2.Dropped()
	if len(starts) != 3 || len(ends) != 3 || ends[1].lines+ends[2].lines != lines || ends[1].bytes+ends[2].bytes != bytes {
		t.Errorf("two more outages: %d starts in all, ends %v, Dropped() = %d lines, %d bytes; want two more of each, adding up", len(starts), ends, lines, bytes)
	}
}
