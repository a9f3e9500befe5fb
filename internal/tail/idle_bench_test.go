package tail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkIdlePolling measures the CPU an idle tailer costs following
// 1,000 files, at the stat_interval floor and at the default, side by
// side: each iteration is one round of both, interleaved; the reported
// figures are the medians of CPU time over wall time (from /proc).
//
//	go test -run '^$' -bench IdlePolling -benchtime 3x ./internal/tail/
func BenchmarkIdlePolling(b *testing.B) {
	dir := b.TempDir()
	for i := 0; i < 1000; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.log", i)), []byte("line\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	intervals := []time.Duration{100 * time.Millisecond, time.Second}
	cpu := map[time.Duration][]float64{}
	for b.Loop() {
		for _, iv := range intervals {
			cpu[iv] = append(cpu[iv], idleCPU(b, dir, iv))
		}
	}
	for _, iv := range intervals {
		slices.Sort(cpu[iv])
		b.ReportMetric(100*cpu[iv][len(cpu[iv])/2], "%cpu@"+iv.String())
	}
}

// idleCPU follows dir's files at poll interval iv and returns the CPU
// time used per wall second once every file is read.
func idleCPU(tb testing.TB, dir string, iv time.Duration) float64 {
	tl, err := New(Config{Paths: []string{filepath.Join(dir, "*.log")}, PollInterval: iv, Offsets: noOffsets{}})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Chunk)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tl.Run(ctx, out)
	}()
	go func() {
		for c := range out {
			ack(c)
		}
	}()
	defer func() { cancel(); <-done; close(out) }()
	time.Sleep(2 * time.Second) // every file read: idle from now on
	start, t0 := cpuSeconds(tb), time.Now()
	time.Sleep(4 * time.Second)
	return (cpuSeconds(tb) - start) / time.Since(t0).Seconds()
}

// cpuSeconds is this process's user+system CPU time, from /proc.
func cpuSeconds(tb testing.TB) float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		tb.Fatal(err)
	}
	// The fields after the command name (which may hold spaces).
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}
