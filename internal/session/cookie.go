package session

import (
	"strings"

	"github.com/appstack/appstack/internal/js"
)

// CookieValue returns the value of the first cookie called name in a
// request's Cookie header fields, read as connect's cookieParser reads it
// (cookie 0.1.0's parse): Node joins repeated Cookie fields with "; " and
// decodes header bytes as Latin-1; pairs are split at ';' or ',' and the
// spaces after them; name and value are trimmed; a value starting with '"'
// loses its first and last characters; the value is percent-decoded as
// decodeURIComponent does, and kept raw if that fails.
func CookieValue(fields []string, name string) (string, bool) {
	for _, f := range fields {
		for len(f) > 0 {
			i := strings.IndexAny(f, ";,")
			pair := f
			if i >= 0 {
				pair, f = f[:i], f[i+1:]
				f = strings.TrimLeft(f, " ")
			} else {
				f = ""
			}
			eq := strings.IndexByte(pair, '=')
			if eq < 0 || js.Trim(pair[:eq]) != name {
				continue
			}
			val := js.Trim(pair[eq+1:])
			if len(val) > 0 && val[0] == '"' {
				if len(val) < 2 {
					val = ""
				} else {
					val = val[1 : len(val)-1]
				}
			}
			val = js.Latin1(val)
			if dec, ok := js.DecodeURIComponent(val); ok {
				return dec, true
			}
			return val, true
		}
	}
	return "", false
}
