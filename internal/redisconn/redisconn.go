// Package redisconn builds webapp's go-redis client: a plain client to one
// address, or go-redis's Sentinel failover client, both with bounded
// timeouts; and exports the client's pool statistics to Prometheus.
package redisconn

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config says where Redis is and how long one operation may take.
type Config struct {
	// Addr is host:port of the primary in direct mode.
	Addr     string
	DB       int
	Username string
	Password string

	// Sentinels, when set with MasterName, selects Sentinel discovery and
	// Addr is ignored.
	Sentinels        []string
	MasterName       string
	SentinelUsername string
	SentinelPassword string

	// Timeout bounds each dial, read and write; callers bound each
	// operation with a context deadline as well. Defaults to 250 ms.
	Timeout time.Duration
	// WaitTimeout is how long a write may block in WAIT, on top of Timeout.
	WaitTimeout time.Duration
}

// New returns a client for cfg. It does not connect: webapp must start
// while Redis is still down, and the pool dials on first use. After as
// many failed dials as the pool holds connections (go-redis's default, 10
// per CPU) go-redis fails fast and probes once a second until Redis
// answers again, which is the reconnect backoff.
//
// go-redis retries nothing (MaxRetries -1): the session store retries
// within its own budget, and a retry inside go-redis would spend the
// store's attempt timeout on a second try, or, with the store retrying
// too, multiply the attempts.
//
// The client never sends CLIENT SETINFO (DisableIdentity) and speaks
// RESP2, so the commands it sends on connect are HELLO 2 [AUTH ...] and
// SELECT when DB > 0; images/redis/webapp.acl allows those and the
// store's GETRANGE, STRLEN, SETEX, WAIT, ROLE and PING. In Sentinel mode
// go-redis's failover client asks the Sentinels for the master on every
// dial (HELLO 3, SENTINEL GET-MASTER-ADDR-BY-NAME and SENTINELS), and
// listens for +switch-master (SUBSCRIBE, PING):
// images/redis/webapp-sentinel.acl.
func New(cfg Config) *redis.Client {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 250 * time.Millisecond
	}
	// Reads may block in WAIT; callers' context deadlines bound each
	// operation more tightly.
	readTimeout := timeout + cfg.WaitTimeout
	o := &redis.UniversalOptions{
		Addrs:                 []string{cfg.Addr},
		Username:              cfg.Username,
		Password:              cfg.Password,
		DB:                    cfg.DB,
		Protocol:              2,
		DisableIdentity:       true,
		MaxRetries:            -1,
		DialTimeout:           timeout,
		DialerRetries:         1,
		ReadTimeout:           readTimeout,
		WriteTimeout:          timeout,
		ContextTimeoutEnabled: true,
		PoolTimeout:           readTimeout,
	}
	if len(cfg.Sentinels) == 0 {
		return redis.NewClient(o.Simple())
	}
	o.Addrs, o.MasterName = cfg.Sentinels, cfg.MasterName
	o.SentinelUsername, o.SentinelPassword = cfg.SentinelUsername, cfg.SentinelPassword
	return redis.NewFailoverClient(o.Failover())
}

// Logger adapts slog to go-redis's logging interface, so that its
// messages (dial failures, "sentinel: new master") are JSON on stderr like
// webapp's own.
type Logger struct{ Log *slog.Logger }

// Printf logs one go-redis message at warning level.
func (l Logger) Printf(ctx context.Context, format string, v ...any) {
	l.Log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)), "component", "go-redis")
}
