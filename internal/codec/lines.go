package codec

import (
	"strings"
	"unicode/utf8"
)

// lines splits a byte stream into units at a delimiter, as Logstash's
// BufferedTokenizer does (empty units included), keeping at most max
// bytes of a unit: the rest of a longer one is skipped up to its
// delimiter, and the unit is marked truncated. It holds at most
// max+len(delim)-1 bytes.
type lines struct {
	delim string
	max   int
	buf   []byte // the unit so far; while skipping, the last len(delim)-1 bytes seen
	head  string // while skipping: the unit's first max bytes
	skip  bool
}

// write splits data, calling emit with each unit it completes. Units
// lying within data are substrings of it.
func (l *lines) write(data string, emit func(text string, truncated bool)) {
	d := len(l.delim)
	for data != "" {
		// A delimiter that began in an earlier write.
		if j := l.straddle(data); j > 0 {
			if !l.skip {
				l.buf = l.buf[:len(l.buf)-j]
			}
			l.end(emit)
			data = data[d-j:]
			continue
		}
		i := strings.Index(data, l.delim)
		if i < 0 {
			l.add(data)
			return
		}
		if len(l.buf) == 0 && !l.skip && i <= l.max {
			emit(data[:i], false) // the common case: no copy
		} else {
			l.add(data[:i])
			l.end(emit)
		}
		data = data[i+d:]
	}
}

// straddle returns how many bytes of a delimiter ending in data's first
// bytes the held bytes end with (0: none).
func (l *lines) straddle(data string) int {
	d := len(l.delim)
	for j := min(d-1, len(l.buf)); j >= 1; j-- {
		if string(l.buf[len(l.buf)-j:]) == l.delim[:j] && strings.HasPrefix(data, l.delim[j:]) {
			return j
		}
	}
	return 0
}

// add appends part of the current unit, which holds no delimiter.
func (l *lines) add(s string) {
	keep := len(l.delim) - 1
	if !l.skip {
		// Up to keep bytes over max may be the start of the delimiter.
		if room := l.max + keep - len(l.buf); len(s) <= room {
			l.buf = append(l.buf, s...)
			return
		}
		l.buf = append(l.buf, s...)
		l.head = cut(string(l.buf), l.max)
		l.skip = true
	} else {
		l.buf = append(l.buf, s...)
	}
	// Keep only what may begin a delimiter.
	n := copy(l.buf, l.buf[max(0, len(l.buf)-keep):])
	l.buf = l.buf[:n]
}

// end emits the current unit and starts the next.
func (l *lines) end(emit func(string, bool)) {
	switch {
	case l.skip:
		emit(l.head, true)
	case len(l.buf) > l.max:
		emit(cut(string(l.buf), l.max), true)
	default:
		emit(string(l.buf), false)
	}
	l.reset()
}

// flush emits the unit in progress, if any: at the end of the stream.
func (l *lines) flush(emit func(string, bool)) {
	if len(l.buf) > 0 || l.skip {
		l.end(emit)
	}
}

func (l *lines) reset() {
	if cap(l.buf) > 2*(l.max+len(l.delim)) {
		l.buf = nil
	}
	l.buf, l.head, l.skip = l.buf[:0], "", false
}

// cut returns s's first n bytes, less a character split at the end.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for i := 0; i < utf8.UTFMax && s != ""; i++ {
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}
