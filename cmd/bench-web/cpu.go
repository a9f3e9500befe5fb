package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of the CPU times in /proc/PID/stat (USER_HZ, which
// Linux fixes at 100 for user space).
const userHZ = 100

// cpuTime is the user+system CPU time process pid has used, all its
// threads included: /proc/PID/stat fields 14 (utime) and 15 (stime).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	return parseStat(b)
}

// parseStat reads utime+stime from the text of /proc/PID/stat. The fields
// are counted after the command name, which is in parentheses and may
// hold spaces and parentheses itself.
func parseStat(b []byte) (time.Duration, error) {
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("cpu time: no command name in %.60q", s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("cpu time: %d fields after the command name in %.60q; want at least 13", len(f), s)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("cpu time: utime %q, stime %q: not numbers", f[11], f[12])
	}
	return time.Duration(utime+stime) * time.Second / userHZ, nil
}

// cpuMeter reads the CPU time of a set of processes.
type cpuMeter []int

func (m cpuMeter) read() (time.Duration, error) {
	var sum time.Duration
	for _, pid := range m {
		d, err := cpuTime(pid)
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
