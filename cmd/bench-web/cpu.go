package main

import (
	"os"
	"strings"
	"time"

	"github.com/appstack/appstack/internal/procstat"
)

// cpuMeter reads the CPU time of a set of processes.
type cpuMeter []int

func (m cpuMeter) read() (time.Duration, error) {
	var sum time.Duration
	for _, pid := range m {
		d, err := procstat.CPUTime(pid)
		if err != nil {
			return 0, err
		}
		sum += d
	}
	return sum, nil
}

// loadAverage is the 1-minute load average, for the report's header.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}
