package procstat

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stat string
		want       time.Duration
		wantErr    bool
	}{
		{"utime 250 + stime 130 ticks", "1234 (webapp) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 130 0 0 20 0 9 0 100 0 0", 3800 * time.Millisecond, false},
		{"a command name with spaces and parentheses", "99 (a (b) c) R 1 2 3 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 0 0", 100 * time.Millisecond, false},
		{"no command name", "1234 webapp S 1", 0, true},
		{"cut short", "1234 (webapp) S 1 1234", 0, true},
		{"fields that are not numbers", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a b 0 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseStat([]byte(tt.stat))
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("ParseStat(%q) = %v, %v; want %v, error %v", tt.stat, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestCPUTimeOfABusyProcess reads this process's own CPU time around a
// busy loop: it must grow by about what the loop burned.
func TestCPUTimeOfABusyProcess(t *testing.T) {
	t.Parallel()
	before, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var after time.Duration
	for after-before < 50*time.Millisecond {
		if after, err = CPUTime(os.Getpid()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := CPUTime(-1); err == nil {
		t.Error("CPUTime of no process succeeded")
	}
}

// TestPeakRSSOfThisProcess reads this process's own VmHWM: it must be
// at least the heap just touched.
func TestPeakRSSOfThisProcess(t *testing.T) {
	t.Parallel()
	b := make([]byte, 8<<20)
	for i := range b {
		b[i] = 1
	}
	got, err := PeakRSS(os.Getpid())
	if err != nil || got < int64(len(b)) {
		t.Errorf("PeakRSS(self) = %d, %v; want at least the %d bytes just touched", got, err, len(b))
	}
	if _, err := PeakRSS(-1); err == nil {
		t.Error("PeakRSS of no process succeeded")
	}
}
