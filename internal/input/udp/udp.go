// Package udp is Logstash's udp input (logstash-input-udp 3.3.4,
// Logstash 5.6): each datagram is decoded on its own (codec plain by
// default: one event per datagram) and the sender's address added.
//
// Memory is bounded as in Logstash: one reader hands datagrams to a queue
// of queue_size, which workers decode; when the queue is full the reader
// waits, and the kernel drops what overflows its receive buffer
// (receive_buffer_bytes), as it does for any UDP receiver that falls
// behind.
package udp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/appstack/appstack/internal/codec"
	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/input/listen"
	"github.com/appstack/appstack/internal/plugin"
)

// maxBatch bounds the datagrams a worker decodes into one batch.
const maxBatch = 256

// Env is what cmd/logship gives every udp input.
type Env struct {
	Log *slog.Logger
	// Now is the clock of @timestamp (time.Now if nil).
	Now func() time.Time
}

// Input is one udp block.
type Input struct {
	addr       string
	bufferSize int
	rcvBuf     int // 0: the system's
	workers    int
	queueSize  int
	sourceIP   event.Ref
	codec      *codec.Codec
	common     plugin.InputCommon
	log        *slog.Logger

	ready chan net.Addr // receives the listening address, for tests
}

// New reads the udp options from o, as logstash-input-udp 3.3.4 declares
// them, and records every problem on o; it does not listen.
func New(o *plugin.Options, env Env) *Input {
	in := &Input{
		common:     plugin.ReadInputCommon(o),
		codec:      codec.Read(o, "plain", codec.Env{Now: env.Now}),
		log:        env.Log,
		bufferSize: o.Int("buffer_size", 65536, 1, 65536),
		rcvBuf:     o.Int("receive_buffer_bytes", 0, 1, 1<<30),
		workers:    o.Int("workers", 2, 1, 1024),
		queueSize:  o.Int("queue_size", 2000, 1, 1<<20),
	}
	if in.log == nil {
		in.log = slog.New(slog.DiscardHandler)
	}
	in.addr = listen.Addr(o)
	r, err := event.ParseRef(o.String("source_ip_fieldname", "host"))
	if err != nil {
		o.Errorf("source_ip_fieldname", "%v", err)
		r = event.Ref{"host"}
	}
	in.sourceIP = r
	return in
}

// datagram is one datagram received and who sent it.
type datagram struct {
	payload string
	from    string
}

// Run receives datagrams until ctx is done, then returns once the
// workers have sent what was queued.
func (in *Input) Run(ctx context.Context, out chan<- event.Batch) error {
	pc, err := net.ListenPacket("udp", in.addr)
	if err != nil {
		return fmt.Errorf("udp input: %w", err)
	}
	conn := pc.(*net.UDPConn)
	if in.rcvBuf > 0 {
		if err := conn.SetReadBuffer(in.rcvBuf); err != nil {
			in.log.Warn("udp input: cannot set receive_buffer_bytes", "err", err)
		}
	}
	in.log.Info("udp input listening", "addr", conn.LocalAddr().String())
	if in.ready != nil {
		in.ready <- conn.LocalAddr()
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	queue := make(chan datagram, in.queueSize)
	var workers sync.WaitGroup
	for range in.workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			in.work(queue, out)
		}()
	}
	err = in.receive(ctx, conn, queue)
	close(queue)
	workers.Wait()
	return err
}

// receive reads datagrams into the queue until the socket is closed.
func (in *Input) receive(ctx context.Context, conn *net.UDPConn, queue chan<- datagram) error {
	buf := make([]byte, in.bufferSize)
	for {
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("udp input: read: %w", err)
		}
		if n == 0 {
			continue // as Logstash: an empty datagram is nothing
		}
		queue <- datagram{payload: string(buf[:n]), from: from.Addr().Unmap().String()}
	}
}

// work decodes datagrams, each with a fresh codec state (decode, then
// flush, as Logstash's workers do), into batches of what is queued.
func (in *Input) work(queue <-chan datagram, out chan<- event.Batch) {
	s := in.codec.NewStream(in.bufferSize)
	var batches codec.Batches
	for d := range queue {
		evs := batches.Events()
		for n := 1; ; n++ {
			evs = in.decode(evs, s, d)
			if n == maxBatch {
				break
			}
			var ok bool
			select {
			case d, ok = <-queue:
			default:
			}
			if !ok {
				break
			}
		}
		batches.Send(out, evs, nil)
	}
}

func (in *Input) decode(dst []event.Event, s *codec.Stream, d datagram) []event.Event {
	n := len(dst)
	dst = s.Flush(s.Decode(dst, d.payload))
	for i := n; i < len(dst); i++ {
		e := &dst[i]
		in.common.Decorate(e)
		if v, ok := e.Lookup(in.sourceIP); !ok || v.Kind() == event.Nil {
			e.Put(in.sourceIP, event.String(d.from))
		}
	}
	return dst
}
