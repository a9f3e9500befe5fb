package codec

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/appstack/appstack/internal/plugin"
)

// sizePattern is the filesize gem's, which Logstash reads :bytes options
// with: a number, then an SI unit (kB = 1000) or a binary one (KiB =
// 1024), in any case.
var sizePattern = regexp.MustCompile(`(?i)^([\d.]+)?\s?(?:([kmgtpezy])(i)?)?b$`)

// readBytes reads a :bytes option: a whole number of bytes or a size
// such as "10 MiB" or "64kb".
func readBytes(o *plugin.Options, name string, def int64) int64 {
	s := o.String(name, "")
	if !o.Has(name) {
		return def
	}
	n, err := parseBytes(s)
	if err != nil || n <= 0 {
		o.Errorf(name, "want a positive size such as 1048576, \"10 MiB\" or \"64 kB\", got %q", s)
		return def
	}
	return n
}

func parseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	m := sizePattern.FindStringSubmatch(s)
	if m == nil {
		return 0, strconv.ErrSyntax
	}
	size, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, err
	}
	mult := 1000.0
	if m[3] != "" {
		mult = 1024
	}
	if m[2] != "" {
		for range strings.IndexByte("kmgtpezy", strings.ToLower(m[2])[0]) + 1 {
			size *= mult
		}
	}
	if size >= 1<<62 {
		return 0, strconv.ErrRange
	}
	return int64(size), nil
}
