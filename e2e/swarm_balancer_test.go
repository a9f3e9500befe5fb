//go:build e2e

package e2e

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Balancer spreads requests over webapp on several Swarm nodes, as the load
// balancer in front of a Swarm with host-mode ports does (there is no
// routing mesh without IPVS): round robin over the nodes it holds up. A
// node whose connection fails (refused while its task is replaced, or
// unreachable) is taken out, and the request goes to the next node: it never
// reached a server, so resending it is safe, as HAProxy's redispatch and
// nginx's proxy_next_upstream do. A node taken out comes back once its
// /readyz answers 200 (probed every 100 ms). A request that reached webapp
// is never resent: its answer, or its failure, is the result.
type Balancer struct {
	urls   []string
	next   atomic.Uint64
	resent atomic.Int64

	mu   sync.Mutex
	down map[int]bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// NewBalancer balances over the base URLs (http://addr:port) until the
// test ends.
func NewBalancer(tb testing.TB, urls []string) *Balancer {
	b := &Balancer{urls: urls, down: map[int]bool{}, stop: make(chan struct{})}
	b.wg.Add(1)
	go b.probe()
	tb.Cleanup(func() {
		close(b.stop)
		b.wg.Wait()
	})
	return b
}

// Get sends GET path to the next node up, resending it to the following
// ones while connections fail.
func (b *Balancer) Get(path, cookie string) (Response, error) {
	var err error
	for range b.urls {
		i := b.pick()
		var r Response
		r, err = GetURL(b.urls[i]+path, cookie)
		if !notConnected(err) {
			return r, err
		}
		b.setDown(i, true)
		b.resent.Add(1)
	}
	return Response{}, err
}

// Resent is how many requests were resent after a failed connection.
func (b *Balancer) Resent() int64 { return b.resent.Load() }

func (b *Balancer) pick() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range b.urls {
		i := int(b.next.Add(1) % uint64(len(b.urls)))
		if !b.down[i] {
			return i
		}
	}
	// Every node is out: try them in turn rather than fail outright.
	return int(b.next.Add(1) % uint64(len(b.urls)))
}

func (b *Balancer) setDown(i int, down bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down[i] = down
}

func (b *Balancer) isDown(i int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.down[i]
}

// probe brings nodes that are out back once they are ready.
func (b *Balancer) probe() {
	defer b.wg.Done()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
		}
		for i, u := range b.urls {
			if !b.isDown(i) {
				continue
			}
			if r, err := GetURL(u+"/readyz", ""); err == nil && r.Status == 200 {
				b.setDown(i, false)
			}
		}
	}
}

// notConnected says whether err means no connection was made: the request
// was not sent.
func notConnected(err error) bool {
	var op *net.OpError
	return err != nil && errors.As(err, &op) && op.Op == "dial"
}
