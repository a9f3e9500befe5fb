package codec

import (
	"time"

	"github.com/appstack/appstack/internal/event"
)

// textDecoder is the plain and line codecs: one event per unit, its text
// (in the codec's charset) the message.
type textDecoder struct {
	c       *Codec
	settled int64
}

func (d *textDecoder) Decode(dst []event.Event, u Unit) []event.Event {
	d.settled = u.End
	return appendMessage(dst, d.c.conv.convert(u.Text), d.c.now(), u.Truncated)
}

func (d *textDecoder) Flush(dst []event.Event) []event.Event { return dst }
func (d *textDecoder) FlushAt() time.Time                    { return time.Time{} }
func (d *textDecoder) Settled() int64                        { return d.settled }
