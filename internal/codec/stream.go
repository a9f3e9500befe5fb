package codec

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/appstack/appstack/internal/event"
)

// Stream decodes one byte stream (a TCP connection, stdin, a datagram)
// with a codec: it frames the bytes into units at the codec's delimiter,
// keeping at most maxUnit bytes of a unit, and decodes them with one
// Decoder. A codec without a delimiter (plain, json) takes everything one
// Decode call gives as one unit. It is not safe for concurrent use.
type Stream struct {
	lines   *lines // nil: no delimiter
	dec     Decoder
	pending []event.Event // events the current call completes
}

// NewStream returns a Stream decoding with c.
func (c *Codec) NewStream(maxUnit int) *Stream {
	s := &Stream{dec: c.NewDecoder()}
	if c.delimiter != "" {
		s.lines = &lines{delim: c.delimiter, max: maxUnit}
	}
	return s
}

// Decode appends the events data completes to dst.
func (s *Stream) Decode(dst []event.Event, data string) []event.Event {
	if s.lines == nil {
		return s.dec.Decode(dst, Unit{Text: data})
	}
	s.pending = dst
	s.lines.write(data, s.unit)
	dst, s.pending = s.pending, nil
	return dst
}

func (s *Stream) unit(text string, truncated bool) {
	s.pending = s.dec.Decode(s.pending, Unit{Text: text, Truncated: truncated})
}

// Flush appends the events of what the stream holds: the unit in
// progress and what the decoder holds. Call it at the end of the stream.
func (s *Stream) Flush(dst []event.Event) []event.Event {
	if s.lines != nil {
		s.pending = dst
		s.lines.flush(s.unit)
		dst, s.pending = s.pending, nil
	}
	return s.dec.Flush(dst)
}

// AutoFlush appends the event the decoder holds if its FlushAt has
// passed at now; the unit in progress stays.
func (s *Stream) AutoFlush(dst []event.Event, now time.Time) []event.Event {
	if at := s.dec.FlushAt(); !at.IsZero() && !now.Before(at) {
		return s.dec.Flush(dst)
	}
	return dst
}

// FlushAt is when AutoFlush is next due; zero when never.
func (s *Stream) FlushAt() time.Time { return s.dec.FlushAt() }

// eventsPool recycles the events of acknowledged batches.
var eventsPool = sync.Pool{New: func() any { return new([]event.Event) }}

// Batches builds the batches an input sends from its events, recycling
// their memory once acknowledged.
type Batches struct {
	evs *[]event.Event
}

// Events returns the (empty) events slice of the next batch, to decode
// into.
func (b *Batches) Events() []event.Event {
	if b.evs == nil {
		b.evs = eventsPool.Get().(*[]event.Event)
	}
	return (*b.evs)[:0]
}

// Send sends evs (which extend what Events returned) as one batch on out,
// unless it is empty; done, when not nil, is called on acknowledgement.
// It waits for the pipeline to take the batch, which always does while
// it runs and drains (even after ctx is done, so that what an input
// flushes at shutdown is delivered).
func (b *Batches) Send(out chan<- event.Batch, evs []event.Event, done func()) {
	if len(evs) == 0 {
		return
	}
	out <- b.Batch(evs, done)
}

// Batch returns evs (which extend what Events returned) as a batch whose
// Ack calls done, when not nil, then recycles their memory; the next
// Events starts a new slice.
func (b *Batches) Batch(evs []event.Event, done func()) event.Batch {
	p := b.evs
	b.evs = nil
	return event.Batch{Events: evs, Ack: func() {
		if done != nil {
			done()
		}
		*p = evs[:0]
		eventsPool.Put(p)
	}}
}

// FlushTimer fires when a decoder's flush is due (Decoder.FlushAt). It
// is not safe for concurrent use.
type FlushTimer struct {
	t *time.Timer
}

// C returns a channel that receives at at, or nil (never) when at is
// zero; each call rearms the timer.
func (f *FlushTimer) C(at time.Time) <-chan time.Time {
	if at.IsZero() {
		return nil
	}
	if f.t == nil {
		f.t = time.NewTimer(time.Until(at))
	} else {
		f.t.Reset(time.Until(at))
	}
	return f.t.C
}

// Pump reads r through s until the end of r, a read error or ctx is done,
// and sends the events on out, a batch per read (or per auto flush), each
// event passed to decorate first. At the end it flushes s and sends what
// that gives. The caller stops a blocked read when ctx is done (closing a
// connection); a Read that cannot be stopped (stdin) is left behind,
// holding one buffer. Pump returns the read error, nil at EOF or once ctx
// is done.
func Pump(ctx context.Context, r io.Reader, s *Stream, readSize int, decorate func(*event.Event), out chan<- event.Batch) error {
	type read struct {
		data string
		err  error
	}
	reads := make(chan read)
	quit := make(chan struct{})
	defer close(quit)
	go func() {
		buf := make([]byte, readSize)
		for {
			n, err := r.Read(buf)
			select {
			case reads <- read{string(buf[:n]), err}:
			case <-quit:
				return
			}
			if err != nil {
				return
			}
		}
	}()

	var batches Batches
	send := func(evs []event.Event) {
		for i := range evs {
			decorate(&evs[i])
		}
		batches.Send(out, evs, nil)
	}
	var timer FlushTimer
	for {
		select {
		case <-ctx.Done():
			send(s.Flush(batches.Events()))
			return nil
		case now := <-timer.C(s.FlushAt()):
			send(s.AutoFlush(batches.Events(), now))
		case rd := <-reads:
			evs := batches.Events()
			if rd.data != "" {
				evs = s.Decode(evs, rd.data)
			}
			if rd.err != nil {
				send(s.Flush(evs))
				if errors.Is(rd.err, io.EOF) || ctx.Err() != nil {
					return nil
				}
				return rd.err
			}
			send(evs)
		}
	}
}
