package redis

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	goredis "github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/session"
)

// Kinds of store errors, the label values of
// webapp_session_store_errors_total.
const (
	KindTimeout       = "timeout"        // an attempt ran out of time
	KindConnection    = "connection"     // dial failed, connection lost or pool exhausted
	KindReadOnly      = "readonly"       // the node is a replica now (READONLY)
	KindNotReplicated = "not_replicated" // WAIT confirmed too few replicas, or NOREPLICAS
	KindLoading       = "loading"        // LOADING, MASTERDOWN, TRYAGAIN: the node is not ready
	KindDenied        = "denied"         // NOPERM, NOAUTH, WRONGPASS: configuration, not weather
	KindCanceled      = "canceled"       // the request went away
	KindClosed        = "closed"         // the store or its client is closed: shutting down
	KindOther         = "other"
)

// ErrClosed is the error of operations on a closed Store, including those
// still queued when it was closed.
var ErrClosed = errors.New("session store closed")

// sentinelsUnreachable is the text of go-redis's error when no Sentinel
// answered. go-redis makes it with fmt.Errorf and gives it no type or
// sentinel value, so only its text identifies it.
const sentinelsUnreachable = "all sentinels specified in configuration are unreachable"

// Kind classifies a store error for metrics and retries.
func Kind(err error) string {
	var (
		netErr   net.Error
		redisErr goredis.Error
		opErr    *net.OpError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrClosed), errors.Is(err, goredis.ErrClosed):
		return KindClosed
	case errors.Is(err, session.ErrNotReplicated), goredis.IsNoReplicasError(err):
		return KindNotReplicated
	case goredis.IsReadOnlyError(err):
		return KindReadOnly
	case goredis.IsLoadingError(err), goredis.IsMasterDownError(err), goredis.IsTryAgainError(err):
		return KindLoading
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return KindTimeout
	case errors.Is(err, goredis.ErrPoolTimeout):
		return KindTimeout
	case goredis.IsAuthError(err), goredis.IsPermissionError(err):
		return KindDenied
	case strings.Contains(err.Error(), sentinelsUnreachable):
		// Before the Redis-error case: this error joins what each
		// Sentinel answered, which may be Redis errors.
		return KindConnection
	case errors.As(err, &redisErr):
		return KindOther
	case errors.As(err, &opErr), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindConnection
	}
	return KindOther
}

// retryable reports whether an error of kind may go away by itself within
// a failover: connections come back, a new primary is elected, a replica
// reconnects.
func retryable(kind string) bool {
	switch kind {
	case KindTimeout, KindConnection, KindReadOnly, KindNotReplicated, KindLoading:
		return true
	}
	return false
}
