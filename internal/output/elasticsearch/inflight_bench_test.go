package elasticsearch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/pipeline"
)

// batchSource sends n batches of the same events, each acknowledged on
// acked.
type batchSource struct {
	events []event.Event
	n      int
	acked  chan struct{}
}

func (s *batchSource) Run(ctx context.Context, out chan<- event.Batch) error {
	for range s.n {
		select {
		case out <- event.Batch{Events: s.events, Ack: func() { s.acked <- struct{}{} }}:
		case <-ctx.Done():
			return nil
		}
	}
	<-ctx.Done()
	return nil
}

// BenchmarkInFlight runs the pipeline into the output against a _bulk
// server that answers after 10 ms (a store busy parsing), with 1, 2 and 4
// requests in flight (Workers, as -w sets it): ns/op is per batch of 1000
// events (two requests of 500).
func BenchmarkInFlight(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		time.Sleep(10 * time.Millisecond) // the store at work
		docs := strings.Count(string(body), "\n") / 2
		fmt.Fprintf(w, `{"errors":false,"items":[%s]}`, strings.TrimSuffix(strings.Repeat(`{"index":{"status":201}},`, docs), ","))
	}))
	defer srv.Close()
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			o, _ := newOutput(b, srv, func(c *Config) { c.Workers, c.FlushSize = workers, 500 })
			src := &batchSource{events: events(strings.Split(strings.Repeat("x ", 1000), " ")[:1000]...), n: b.N, acked: make(chan struct{}, b.N)}
			p := &pipeline.Pipeline{Inputs: []pipeline.NamedInput{{Name: "src", Input: src}}, Workers: workers,
				Outputs: []*pipeline.NamedOutput{{Name: "es", Output: o}}}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.ResetTimer()
			go func() { done <- p.Run(ctx) }()
			for range b.N {
				<-src.acked
			}
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
