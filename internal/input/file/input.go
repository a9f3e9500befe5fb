package file

import (
	"context"
	"fmt"
	"time"

	"github.com/appstack/appstack/internal/codec"
	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/tail"
)

// Run follows the files until ctx is done, sending a batch per chunk of
// lines (and one per event a multiline codec flushes on its timer). A
// batch's Ack saves the offset its codec has settled, once the batches
// before it on the same file are acknowledged too, and recycles its
// memory. When the files stop, what the decoders still hold is flushed
// and sent, as Logstash's file input does on exit.
func (in *Input) Run(ctx context.Context, out chan<- event.Batch) error {
	sh := in.env.Shared
	cfg := in.cfg
	cfg.Offsets, cfg.Budget, cfg.OpenFiles, cfg.Metrics, cfg.Log = sh.Offsets, sh.Budget, sh.OpenFiles, sh.Metrics, in.env.Log
	t, err := tail.New(cfg)
	if err != nil {
		return fmt.Errorf("file input: %w", err)
	}
	if sh.Metrics != nil {
		sh.Metrics.Add(t)
	}
	chunks := make(chan tail.Chunk)
	errc := make(chan error, 1)
	go func() {
		defer close(chunks)
		errc <- t.Run(ctx, chunks)
	}()
	streams := map[tail.Stream]*stream{}
	var batches codec.Batches
	var timer codec.FlushTimer
	for {
		select {
		case c, ok := <-chunks:
			if !ok {
				// Stopped: flush what the decoders hold. The pipeline takes
				// batches until every input has returned.
				for _, s := range streams {
					if b, ok := in.flush(&batches, s); ok {
						out <- b
					}
				}
				return <-errc
			}
			s := in.streamOf(&batches, streams, &c, out)
			b, ok := in.batch(&batches, c, s)
			if len(streams) > maxStreams {
				prune(streams)
			}
			if !ok {
				continue
			}
			select {
			case out <- b:
			case <-ctx.Done():
				// Not delivered, so not acknowledged: read again at the next start.
				c.Release()
			}
		case now := <-timer.C(flushAt(streams)):
			for _, s := range streams {
				if at := s.dec.FlushAt(); !at.IsZero() && !now.Before(at) {
					if b, ok := in.flush(&batches, s); ok {
						out <- b
					}
				}
			}
		}
	}
}

// stream is the decoding of one file's lines (tail.Stream): Logstash's
// IdentityMapCodec keeps a codec per file in the same way.
type stream struct {
	dec codec.Decoder
	// last is the stream's last chunk, detached: where a flush marks.
	last tail.Chunk
	end  int64 // End of its last line
}

// maxStreams is how many streams are kept before those whose decoder
// holds nothing are dropped (a new decoder takes over if their file
// grows): files come and go with rotation.
const maxStreams = 64

func prune(streams map[tail.Stream]*stream) {
	for id, s := range streams {
		if s.dec.Settled() == s.end {
			delete(streams, id)
		}
	}
}

// streamOf returns c's stream. A new stream of a file read again from 0,
// or of a new file at the path of a file rotated away, ends the old one:
// what its decoder holds is flushed first (Logstash keys its codecs by
// path, so there the new file's lines would end the old file's event).
func (in *Input) streamOf(batches *codec.Batches, streams map[tail.Stream]*stream, c *tail.Chunk, out chan<- event.Batch) *stream {
	id := c.Stream()
	if s, ok := streams[id]; ok {
		return s
	}
	for old, s := range streams {
		if old.SameFile(id) || s.last.Path == c.Path {
			if b, ok := in.flush(batches, s); ok {
				out <- b
			}
			delete(streams, old)
		}
	}
	s := &stream{dec: in.codec.NewDecoder()}
	streams[id] = s
	return s
}

// flushAt is the earliest time a decoder's flush is due; zero if none is.
func flushAt(streams map[tail.Stream]*stream) time.Time {
	var first time.Time
	for _, s := range streams {
		if at := s.dec.FlushAt(); !at.IsZero() && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	return first
}

// batch decodes a chunk's lines into events. It reports false, having
// released the chunk, when they complete no event; the offset they
// settle (lines a codec made no event of) is saved all the same.
func (in *Input) batch(batches *codec.Batches, c tail.Chunk, s *stream) (event.Batch, bool) {
	evs := batches.Events()
	truncated := 0
	for _, l := range c.Lines {
		evs = s.dec.Decode(evs, codec.Unit{Text: l.Text, End: l.End, Truncated: l.Truncated})
		if l.Truncated {
			truncated++
		}
	}
	if t := in.env.Shared.Truncated; t != nil && truncated > 0 {
		t.Add(float64(truncated))
	}
	for i := range evs {
		in.decorate(&evs[i], c.Path)
	}
	s.last = c.Detached()
	if n := len(c.Lines); n > 0 {
		s.end = c.Lines[n-1].End
	}
	mark := c.Mark(s.dec.Settled())
	if len(evs) == 0 {
		mark.Done()
		c.Release()
		return event.Batch{}, false
	}
	return batches.Batch(evs, func() {
		mark.Done()
		c.Release()
	}), true
}

// flush returns a batch of the event s's decoder holds, if any, marked on
// its last chunk.
func (in *Input) flush(batches *codec.Batches, s *stream) (event.Batch, bool) {
	evs := s.dec.Flush(batches.Events())
	if len(evs) == 0 {
		return event.Batch{}, false
	}
	for i := range evs {
		in.decorate(&evs[i], s.last.Path)
	}
	return batches.Batch(evs, s.last.Mark(s.dec.Settled()).Done), true
}

// Field references the input sets.
var (
	metaPath = event.Ref{event.MetadataKey, "path"}
	metaHost = event.Ref{event.MetadataKey, "host"}
)

// decorate adds what logstash-input-file 4.0 adds to each event its codec
// makes, in its order: [@metadata][path], path unless the event has one,
// [@metadata][host], host unless the event has one, then the common
// options (type, add_field, tags).
func (in *Input) decorate(e *event.Event, path string) {
	if e.Metadata == nil {
		e.Metadata = make([]event.Field, 0, 2) // path and host, in one allocation
	}
	e.Put(metaPath, event.String(path))
	if _, ok := e.Get("path"); !ok {
		e.Fields = append(e.Fields, event.Field{Key: "path", Value: event.String(path)})
	}
	e.Put(metaHost, event.String(in.env.Host))
	if _, ok := e.Get("host"); !ok {
		e.Fields = append(e.Fields, event.Field{Key: "host", Value: event.String(in.env.Host)})
	}
	in.common.Decorate(e)
}
