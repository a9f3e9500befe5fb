package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	sessionredis "github.com/appstack/appstack/internal/session/redis"
)

// config is everything webapp reads from its environment.
type config struct {
	HTTPPort string
	LogFile  string
	Secrets  []string

	RedisAddr       string // direct mode: REDIS_HOST:REDIS_PORT
	RedisDB         int
	RedisUsername   string
	RedisPassword   string
	Sentinels       []string // Sentinel mode when set, with MasterName
	MasterName      string
	SentinelUser    string
	SentinelPass    string
	RedisTimeout    time.Duration // bound of one Redis attempt
	RetryBudget     time.Duration // how long one request retries a failing Redis
	WaitReplicas    int
	WaitTimeout     time.Duration
	ShutdownTimeout time.Duration
}

// Defaults. The retry budget in Sentinel mode outlasts a failover
// (down-after-milliseconds 2-3 s, then election and promotion); in direct
// mode there is nothing to wait for, so one attempt.
const (
	defaultHTTPPort        = "3000"
	defaultLogFile         = "/var/log/nodeapp/nodeapp.log"
	defaultRedisHost       = "redis_primary"
	defaultRedisPort       = "6379"
	defaultRedisTimeout    = 250 * time.Millisecond
	defaultSentinelBudget  = 8 * time.Second
	defaultWaitTimeout     = 250 * time.Millisecond
	defaultShutdownTimeout = 20 * time.Second
	maxRedisTimeout        = time.Second
)

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		HTTPPort:        or(getenv("HTTP_PORT"), defaultHTTPPort),
		LogFile:         or(getenv("LOG_FILE"), defaultLogFile),
		RedisUsername:   getenv("REDIS_USERNAME"),
		MasterName:      getenv("REDIS_MASTER_NAME"),
		SentinelUser:    getenv("REDIS_SENTINEL_USERNAME"),
		RedisTimeout:    defaultRedisTimeout,
		WaitReplicas:    1,
		WaitTimeout:     defaultWaitTimeout,
		ShutdownTimeout: defaultShutdownTimeout,
	}
	var errs []error
	fail := func(err error) { errs = append(errs, err) }

	if p, err := strconv.Atoi(c.HTTPPort); err != nil || p < 0 || p > 65535 {
		fail(fmt.Errorf("HTTP_PORT %q: want a TCP port number", c.HTTPPort))
	}

	secret, err := secretValue(getenv, "SESSION_SECRET")
	switch {
	case err != nil:
		fail(err)
	case secret == "":
		fail(errors.New("SESSION_SECRET or SESSION_SECRET_FILE is required: a comma-separated list of secrets, the first signs new cookies"))
	default:
		if c.Secrets, err = splitSecrets(secret); err != nil {
			fail(err)
		}
	}

	if c.RedisPassword, err = secretValue(getenv, "REDIS_PASSWORD"); err != nil {
		fail(err)
	}
	if c.SentinelPass, err = secretValue(getenv, "REDIS_SENTINEL_PASSWORD"); err != nil {
		fail(err)
	}

	host, port := or(getenv("REDIS_HOST"), defaultRedisHost), or(getenv("REDIS_PORT"), defaultRedisPort)
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		fail(fmt.Errorf("REDIS_PORT %q: want a TCP port number", port))
	}
	c.RedisAddr = net.JoinHostPort(host, port)
	if db := getenv("REDIS_DB"); db != "" {
		if c.RedisDB, err = strconv.Atoi(db); err != nil || c.RedisDB < 0 {
			fail(fmt.Errorf("REDIS_DB %q: want a database number >= 0", db))
		}
	}

	if s := getenv("REDIS_SENTINELS"); s != "" {
		for _, a := range strings.Split(s, ",") {
			a = strings.TrimSpace(a)
			if _, _, err := net.SplitHostPort(a); err != nil {
				fail(fmt.Errorf("REDIS_SENTINELS %q: want host:port,host:port: %w", s, err))
				break
			}
			c.Sentinels = append(c.Sentinels, a)
		}
		if c.MasterName == "" {
			fail(errors.New("REDIS_SENTINELS is set but REDIS_MASTER_NAME is not"))
		}
	} else if c.MasterName != "" {
		fail(errors.New("REDIS_MASTER_NAME is set but REDIS_SENTINELS is not"))
	}
	if len(c.Sentinels) > 0 {
		c.RetryBudget = defaultSentinelBudget
	}

	if v := getenv("SESSION_WAIT_REPLICAS"); v != "" {
		if c.WaitReplicas, err = strconv.Atoi(v); err != nil || c.WaitReplicas < 0 {
			fail(fmt.Errorf("SESSION_WAIT_REPLICAS %q: want a number of replicas >= 0 (0 disables WAIT)", v))
		}
	}
	durations := []struct {
		name     string
		dst      *time.Duration
		min, max time.Duration
	}{
		{"SESSION_WAIT_TIMEOUT", &c.WaitTimeout, time.Millisecond, maxRedisTimeout},
		{"REDIS_TIMEOUT", &c.RedisTimeout, time.Millisecond, maxRedisTimeout},
		{"SESSION_RETRY_BUDGET", &c.RetryBudget, 0, time.Minute},
		{"SHUTDOWN_TIMEOUT", &c.ShutdownTimeout, 0, 10 * time.Minute},
	}
	for _, d := range durations {
		v := getenv(d.name)
		if v == "" {
			continue
		}
		got, err := time.ParseDuration(v)
		if err != nil || got < d.min || got > d.max {
			fail(fmt.Errorf("%s %q: want a Go duration between %s and %s", d.name, v, d.min, d.max))
			continue
		}
		*d.dst = got
	}
	if c.WaitReplicas > 0 && c.WaitTimeout+c.RedisTimeout > maxRedisTimeout {
		fail(fmt.Errorf("SESSION_WAIT_TIMEOUT %s + REDIS_TIMEOUT %s: one session write must stay under %s", c.WaitTimeout, c.RedisTimeout, maxRedisTimeout))
	}
	if d := c.sessionAttempts(); len(c.Sentinels) == 0 && d >= maxRedisTimeout {
		fail(fmt.Errorf("REDIS_TIMEOUT %s twice (load, save) + SESSION_WAIT_TIMEOUT %s + %s queueing = %s: in direct mode one request's session load and save must stay under %s",
			c.RedisTimeout, c.waitTimeout(), 2*sessionredis.QueueGrace, d, maxRedisTimeout))
	}
	return c, errors.Join(errs...)
}

// sessionAttempts bounds one attempt at loading a session plus one at
// saving it: what a request spends on Redis in direct mode, where there is
// no retry budget by default.
func (c config) sessionAttempts() time.Duration {
	return 2*(c.RedisTimeout+sessionredis.QueueGrace) + c.waitTimeout()
}

// waitTimeout is how long a session write may block in WAIT.
func (c config) waitTimeout() time.Duration {
	if c.WaitReplicas == 0 {
		return 0
	}
	return c.WaitTimeout
}

// secretValue reads NAME or NAME_FILE (a path, as Docker secrets are
// mounted). Setting both is an error: which one wins would be a guess.
// A trailing newline in the file is not part of the secret.
func secretValue(getenv func(string) string, name string) (string, error) {
	v, path := getenv(name), getenv(name+"_FILE")
	if path == "" {
		return v, nil
	}
	if v != "" {
		return "", fmt.Errorf("both %s and %s_FILE are set; set one", name, name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s_FILE %s is empty", name, path)
	}
	return s, nil
}

// splitSecrets splits a comma-separated secret list. An empty entry is a
// typo that would otherwise silently drop a rotation secret.
func splitSecrets(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
		if parts[i] == "" {
			return nil, fmt.Errorf("SESSION_SECRET: entry %d of %d is empty", i+1, len(parts))
		}
	}
	return parts, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
