// Package stdin is Logstash's stdin input (logstash-input-stdin 3.2.6,
// Logstash 5.6): events from the process's standard input, decoded with
// the line codec by default.
package stdin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/appstack/appstack/internal/codec"
	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// MaxLineBytes caps a line: the rest of a longer one is skipped and its
// event tagged _linetoolong, as the file input does.
const MaxLineBytes = 1 << 20

// readSize is what one read asks for, as Logstash's READ_SIZE.
const readSize = 16384

// Env is what cmd/logship gives the stdin input.
type Env struct {
	Stdin io.Reader
	// Host is this machine's name, for the host field.
	Host string
	// Now is the clock of @timestamp (time.Now if nil).
	Now func() time.Time
}

// Input is one stdin block.
type Input struct {
	env    Env
	common plugin.InputCommon
	codec  *codec.Codec
}

// New reads the stdin options from o: the common input options and
// codec (line by default; plain becomes line and json becomes json_lines,
// as Logstash's fix_streaming_codecs does). It records problems on o.
func New(o *plugin.Options, env Env) *Input {
	return &Input{
		env:    env,
		common: plugin.ReadInputCommon(o),
		codec:  codec.Read(o, "line", codec.Env{Now: env.Now}).Streaming(),
	}
}

// Run reads standard input until its end, when it flushes what the codec
// holds (a last line without a newline, a multiline event), sends it and
// returns nil: the input is done. Once ctx is done it flushes and returns
// too, leaving behind the read it cannot interrupt.
func (in *Input) Run(ctx context.Context, out chan<- event.Batch) error {
	if in.env.Stdin == nil {
		return errors.New("no standard input")
	}
	err := codec.Pump(ctx, in.env.Stdin, in.codec.NewStream(MaxLineBytes), readSize, in.decorate, out)
	if err != nil {
		return fmt.Errorf("read stdin: %w", err)
	}
	return nil
}

// decorate applies the common options, then host, as the stdin input does.
func (in *Input) decorate(e *event.Event) {
	in.common.Decorate(e)
	if _, ok := e.Get("host"); !ok {
		e.Set("host", event.String(in.env.Host))
	}
}
