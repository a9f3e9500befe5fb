package redis

import (
	"context"
	"fmt"
	"time"
)

// waitReplicas returns how many replicas the next batch of writes waits
// for: WaitReplicas, or with AutoWait, 0 until the primary has reported
// a replica. It runs on the write pipeline's worker, before the batch, so
// that the first write to a lone Redis already goes without WAIT; the
// ROLE it may send costs that batch one round trip, at most once a
// second.
func (s *Store) waitReplicas(ctx context.Context) int {
	if !s.opt.AutoWait || s.replicaSeen.Load() {
		return s.opt.WaitReplicas
	}
	now := s.now()
	last := s.roleAnswered.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < recheckReplicas {
		return 0
	}
	n, err := s.primaryReplicas(ctx)
	switch {
	case err == nil && n > 0:
		s.replicaSeen.Store(true)
		s.waitGauge.Set(float64(s.opt.WaitReplicas))
		s.opt.Log.Info("session writes now wait for replicas: the primary has some",
			"replicas", n, "wait_replicas", s.opt.WaitReplicas)
		return s.opt.WaitReplicas
	case err == nil:
		if last == 0 {
			s.opt.Log.Info("session writes do not wait for replicas: the primary has none; they will once it has",
				"recheck", recheckReplicas.String())
		}
		s.roleAnswered.Store(now.UnixNano())
		return 0
	case Kind(err) == KindDenied:
		// Without ROLE there is no telling: keep the guarantee.
		s.replicaSeen.Store(true)
		s.waitGauge.Set(float64(s.opt.WaitReplicas))
		s.opt.Log.Warn("cannot ask the primary for its replicas (allow ROLE in the ACL); every session write waits for replicas",
			"wait_replicas", s.opt.WaitReplicas, "err", err)
		return s.opt.WaitReplicas
	case last != 0:
		return 0 // Redis is failing; the batch will tell. Ask again next batch.
	default:
		return s.opt.WaitReplicas // never answered: keep the guarantee
	}
}

// primaryReplicas asks ROLE how many replicas are online on the primary.
func (s *Store) primaryReplicas(ctx context.Context) (int, error) {
	v, err := s.client.Do(ctx, "role").Slice()
	if err != nil {
		return 0, fmt.Errorf("ROLE: %w", err)
	}
	if len(v) < 3 || v[0] != "master" {
		return 0, fmt.Errorf("ROLE: %.40v: not a primary", v)
	}
	replicas, ok := v[2].([]any)
	if !ok {
		return 0, fmt.Errorf("ROLE: %.40v: no replica list", v)
	}
	return len(replicas), nil
}
