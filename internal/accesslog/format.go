// Package accesslog writes connect's logger middleware lines in its
// `default` format to a buffered file that can be reopened after logrotate
// renames it.
package accesslog

import (
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/appstack/appstack/internal/js"
)

// Entry holds the tokens of connect's default format for one request.
// The byte slices may point into the request's buffers: AppendDefault
// copies them.
type Entry struct {
	// Remote is the peer's address, printed as Node prints :remote-addr
	// (see AppendNodeAddr); the zero Addr prints "-".
	Remote netip.Addr
	// Time is when the line is written, :date.
	Time time.Time
	// Method and URL are the request line's method and target, as sent.
	Method, URL []byte
	// ProtoMajor and ProtoMinor make :http-version.
	ProtoMajor, ProtoMinor int
	Status                 int
	// ContentLength is the response's Content-Length, -1 if it had none.
	ContentLength int
	// Referrer and UserAgent are the request headers as Node holds them:
	// the first Referer field if not empty, else the Referrer fields joined
	// with ", "; the first User-Agent field.
	Referrer, UserAgent []byte
}

// AppendDefault appends e in connect's default format and a newline:
//
//	:remote-addr - - [:date] ":method :url HTTP/:http-version" :status :res[content-length] ":referrer" ":user-agent"
//
// with :date as Date.prototype.toUTCString and every empty token as "-".
// Nothing is escaped, as connect escapes nothing; header values, which Node
// reads as Latin-1 and writes as UTF-8, are re-encoded the same way.
func AppendDefault(dst []byte, e *Entry) []byte {
	if e.Remote.IsValid() {
		dst = AppendNodeAddr(dst, e.Remote)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, " - - ["...)
	dst = appendDate(dst, e.Time)
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
	if e.ContentLength < 0 {
		dst = append(dst, '-')
	} else {
		dst = strconv.AppendInt(dst, int64(e.ContentLength), 10)
	}
	dst = append(dst, " \""...)
	dst = appendLatin1(dst, e.Referrer)
	dst = append(dst, "\" \""...)
	dst = appendLatin1(dst, e.UserAgent)
	return append(dst, "\"\n"...)
}

// dateCache holds :date for one second: formatting it is most of the
// cost of a line, and a busy server writes thousands a second.
type dateCache struct {
	sec  int64
	text []byte
}

var lastDate atomic.Pointer[dateCache]

// appendDate appends t as toUTCString prints it (the HTTP date format).
func appendDate(dst []byte, t time.Time) []byte {
	sec := t.Unix()
	if d := lastDate.Load(); d != nil && d.sec == sec {
		return append(dst, d.text...)
	}
	text := t.UTC().AppendFormat(make([]byte, 0, len(http.TimeFormat)), http.TimeFormat)
	lastDate.Store(&dateCache{sec: sec, text: text})
	return append(dst, text...)
}

func appendToken(dst, s []byte) []byte {
	if len(s) == 0 {
		return append(dst, '-')
	}
	return append(dst, s...)
}

// appendLatin1 appends the header value s, read byte by byte as Latin-1
// and written as UTF-8, as Node does; "-" if empty.
func appendLatin1(dst, s []byte) []byte {
	if len(s) == 0 {
		return append(dst, '-')
	}
	return js.AppendLatin1(dst, s)
}

// AppendNodeAddr appends a peer address as Node's req.ip prints it for a
// server listening on the dual-stack "::": IPv4 peers as ::ffff:a.b.c.d,
// IPv6 peers in their compressed form.
func AppendNodeAddr(dst []byte, a netip.Addr) []byte {
	if a.Is4() || a.Is4In6() {
		return a.Unmap().AppendTo(append(dst, "::ffff:"...))
	}
	return a.AppendTo(dst)
}
