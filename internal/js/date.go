package js

import (
	"fmt"
	"time"
)

// MaxDateMillis is the range of a JavaScript Date, in milliseconds either
// side of the epoch; beyond it a Date is Invalid.
const MaxDateMillis = 8.64e15

// AppendISOString appends t as Date.prototype.toISOString writes it:
// milliseconds, UTC, and a six-digit signed year outside 0000-9999.
func AppendISOString(b []byte, t time.Time) []byte {
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		sign := byte('+')
		if y < 0 {
			sign, y = '-', -y
		}
		b = fmt.Appendf(b, "%c%06d", sign, y)
		return t.AppendFormat(b, "-01-02T15:04:05.000Z")
	}
	return t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
}
