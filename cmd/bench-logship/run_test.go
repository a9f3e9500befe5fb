package main

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// express is connect's default log format, which the seed app writes.
var express = regexp.MustCompile(`^::ffff:[0-9.]+ - - \[[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\] "GET \S+ HTTP/1\.1" \d{3} \d+ "[^"]*" "[^"]*"$`)

func TestGenerateWritesExpressLinesOfTheSeedsSize(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "access.log")
	const n = 20_000
	size, err := generate(path, n)
	if err != nil {
		t.Fatal(err)
	}
	if per := float64(size) / n; per < 150 || per > 180 {
		t.Errorf("%.0f bytes per line; want about 166 (166 MB for 1M lines)", per)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		if lines++; !express.MatchString(sc.Text()) {
			t.Fatalf("line %d is not in Express's format: %q", lines, sc.Text())
		}
	}
	if lines != n {
		t.Errorf("generated %d lines; want %d", lines, n)
	}
}

func TestPercentiles(t *testing.T) {
	t.Parallel()
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    int
		want string
	}{{50, "51.0 ms"}, {99, "100.0 ms"}, {100, "100.0 ms"}} {
		if got := pct(d, tt.p); got != tt.want {
			t.Errorf("pct(1..100 ms, %d) = %s; want %s", tt.p, got, tt.want)
		}
	}
	if got := pct(nil, 50); got != "-" {
		t.Errorf("pct(nil) = %s; want -", got)
	}
}
