package redistest

import (
	"context"
	"testing"
	"time"
)

func TestStartServesAndReplicates(t *testing.T) {
	t.Parallel()
	p := Start(t)
	r := p.ReplicaOf()
	p.Do("SET", "k", "v")
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := r.Client(nil).Get(context.Background(), "k").Result()
		if err == nil && got == "v" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica GET k = %q, %v; want %q", got, err, "v")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKillAndRestartKeepsPort(t *testing.T) {
	t.Parallel()
	s := Start(t)
	port := s.Port
	s.Kill()
	if err := ping(s.Addr); err == nil {
		t.Fatalf("PING after Kill succeeded; want an error")
	}
	s.Restart()
	if s.Port != port {
		t.Fatalf("port after Restart = %d; want %d", s.Port, port)
	}
	if err := ping(s.Addr); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
}
