package redis

import (
	"context"
	"errors"
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
	KindOther         = "other"
)

// Kind classifies a store error for metrics and retries.
func Kind(err error) string {
	var netErr net.Error
	switch {
	case err == nil:
		return ""
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
	}
	var redisErr goredis.Error
	if errors.As(err, &redisErr) && !strings.Contains(redisErr.Error(), "sentinels") {
		return KindOther
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, goredis.ErrClosed) || strings.Contains(err.Error(), "EOF") ||
		strings.Contains(err.Error(), "sentinels") {
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
