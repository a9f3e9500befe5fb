// Package stdout is the stdout output (logstash-output-stdout 3.1, as in
// Logstash 5): events encoded by a codec and written to a stream (the
// process's standard output), nothing else.
package stdout

import (
	"context"
	"fmt"
	"io"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// maxKeep bounds the encode buffer kept between batches.
const maxKeep = 4 << 20

// Output writes encoded events to W. A batch is one write call.
type Output struct {
	w     io.Writer
	codec event.Codec
	buf   []byte
}

// New reads the stdout options from o (codec, default line, as in
// Logstash 5; and the common output options) and returns an output
// writing to w. The output does not close w: the caller owns it.
func New(o *plugin.Options, w io.Writer) *Output {
	plugin.ReadOutputCommon(o)
	return &Output{w: w, codec: plugin.OutputCodec(o, "line", plugin.OutputCodecs...)}
}

// Write implements pipeline.Output. A blocked stream blocks Write: that
// is backpressure.
func (o *Output) Write(_ context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	o.buf = event.AppendAll(o.buf[:0], o.codec, events)
	_, err := o.w.Write(o.buf)
	if cap(o.buf) > maxKeep {
		o.buf = nil
	}
	if err != nil {
		return fmt.Errorf("write stdout: %w", err)
	}
	return nil
}

// Close implements pipeline.Output; it leaves the stream open.
func (o *Output) Close() error { return nil }
