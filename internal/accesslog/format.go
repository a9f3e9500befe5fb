// Package accesslog writes connect's logger middleware lines in its
// `default` format to a buffered file that can be reopened after logrotate
// renames it.
package accesslog

import (
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// Entry holds the tokens of connect's default format for one request.
type Entry struct {
	// RemoteAddr is :remote-addr as Node prints it (see NodeAddr).
	RemoteAddr string
	// Time is when the line is written, :date.
	Time time.Time
	// Method and URL are the request line's method and target, as sent.
	Method, URL string
	// ProtoMajor and ProtoMinor make :http-version.
	ProtoMajor, ProtoMinor int
	Status                 int
	// ContentLength is the response's Content-Length header, "" if none.
	ContentLength string
	// Referrer and UserAgent are the request headers as Node holds them
	// (see Referrer and UserAgent).
	Referrer, UserAgent string
}

// AppendDefault appends e in connect's default format and a newline:
//
//	:remote-addr - - [:date] ":method :url HTTP/:http-version" :status :res[content-length] ":referrer" ":user-agent"
//
// with :date as Date.prototype.toUTCString and every empty token as "-".
// Nothing is escaped, as connect escapes nothing; header values, which Node
// reads as Latin-1 and writes as UTF-8, are re-encoded the same way.
func AppendDefault(dst []byte, e *Entry) []byte {
	dst = appendToken(dst, e.RemoteAddr)
	dst = append(dst, " - - ["...)
	dst = e.Time.UTC().AppendFormat(dst, http.TimeFormat)
	dst = append(dst, "] \""...)
	dst = appendToken(dst, e.Method)
	dst = append(dst, ' ')
	dst = appendToken(dst, e.URL)
	dst = append(dst, " HTTP/"...)
	dst = strconv.AppendInt(dst, int64(e.ProtoMajor), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, int64(e.ProtoMinor), 10)
	dst = append(dst, "\" "...)
	if e.Status == 0 {
		dst = append(dst, '-')
	} else {
		dst = strconv.AppendInt(dst, int64(e.Status), 10)
	}
	dst = append(dst, ' ')
	dst = appendToken(dst, e.ContentLength)
	dst = append(dst, " \""...)
	dst = appendLatin1(dst, e.Referrer)
	dst = append(dst, "\" \""...)
	dst = appendLatin1(dst, e.UserAgent)
	return append(dst, "\"\n"...)
}

func appendToken(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	return append(dst, s...)
}

// appendLatin1 appends the header value s, read byte by byte as Latin-1
// and written as UTF-8, as Node does; "-" if empty.
func appendLatin1(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, '-')
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < utf8.RuneSelf {
			dst = append(dst, c)
		} else {
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}

// NodeAddr returns the peer address as Node's req.ip prints it for a
// server listening on the dual-stack "::": IPv4 peers as ::ffff:a.b.c.d,
// IPv6 peers in their compressed form. remoteAddr is net/http's
// Request.RemoteAddr, host:port.
func NodeAddr(remoteAddr string) string {
	host := remoteAddr
	if i := lastColonOutsideBrackets(remoteAddr); i >= 0 {
		host = remoteAddr[:i]
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		return host[1 : len(host)-1]
	}
	if isIPv4(host) {
		return "::ffff:" + host
	}
	return host
}

func lastColonOutsideBrackets(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		switch s[i] {
		case ':':
			return i
		case ']':
			return -1
		}
	}
	return -1
}

func isIPv4(s string) bool {
	dots := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots == 3
}

// Referrer is :referrer: the Referer header, else Referrer. Node keeps
// only the first Referer field but joins repeated Referrer fields with
// ", ".
func Referrer(h http.Header) string {
	if v := h["Referer"]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	return join(h["Referrer"])
}

// UserAgent is :user-agent; Node keeps only the first User-Agent field.
func UserAgent(h http.Header) string {
	if v := h["User-Agent"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func join(v []string) string {
	switch len(v) {
	case 0:
		return ""
	case 1:
		return v[0]
	}
	n := 0
	for _, s := range v {
		n += len(s) + 2
	}
	b := make([]byte, 0, n)
	for i, s := range v {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s...)
	}
	return string(b)
}
