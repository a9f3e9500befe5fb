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
	WaitAuto        bool // wait only once the primary has a replica (auto in direct mode)
	WaitTimeout     time.Duration
	SessionMax      int // bytes of a stored session, beyond which it is discarded
	ShutdownTimeout time.Duration
}

// Defaults. The retry budget in Sentinel mode outlasts a failover
// (down-after-milliseconds 2-3 s, then election and promotion); in direct
// mode there is nothing to wait for, so one attempt.
const (
	defaultHTTPPort       = "3000"
	defaultSentinelBudget = 8 * time.Second
	maxRedisTimeout       = time.Second
	// A session of connect's is about 110 bytes; Redis's strings end at
	// 512 MiB.
	minSessionMax = 1 << 10
	maxSessionMax = 512 << 20
)

// draft is a config being read, with what the environment said that the
// config does not keep as such.
type draft struct {
	config
	redisHost, redisPort string
	given                map[string]bool // variables set (non-empty)
}

// envVar is one environment variable webapp reads: a non-empty value is
// handed to set, whose error says what the variable wants. A secret is
// read from NAME or NAME_FILE, and its value never appears in an error.
type envVar struct {
	name   string
	secret bool
	set    func(d *draft, v string) error
}

// envVars are the variables, in the order their errors are reported. The
// README's configuration table lists the same.
var envVars = []envVar{
	{name: "HTTP_PORT", set: func(d *draft, v string) error { d.HTTPPort = v; return port(v, 0) }},
	{name: "LOG_FILE", set: func(d *draft, v string) error { d.LogFile = v; return nil }},
	{name: "SESSION_SECRET", secret: true, set: func(d *draft, v string) (err error) { d.Secrets, err = splitSecrets(v); return err }},
	{name: "REDIS_PASSWORD", secret: true, set: func(d *draft, v string) error { d.RedisPassword = v; return nil }},
	{name: "REDIS_SENTINEL_PASSWORD", secret: true, set: func(d *draft, v string) error { d.SentinelPass = v; return nil }},
	{name: "REDIS_HOST", set: func(d *draft, v string) error { d.redisHost = v; return nil }},
	{name: "REDIS_PORT", set: func(d *draft, v string) error { d.redisPort = v; return port(v, 1) }},
	{name: "REDIS_DB", set: func(d *draft, v string) (err error) {
		if d.RedisDB, err = strconv.Atoi(v); err != nil || d.RedisDB < 0 {
			return errors.New("want a database number >= 0")
		}
		return nil
	}},
	{name: "REDIS_USERNAME", set: func(d *draft, v string) error { d.RedisUsername = v; return nil }},
	{name: "REDIS_SENTINELS", set: func(d *draft, v string) error {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if _, _, err := net.SplitHostPort(a); err != nil {
				return fmt.Errorf("want host:port,host:port: %w", err)
			}
			d.Sentinels = append(d.Sentinels, a)
		}
		return nil
	}},
	{name: "REDIS_MASTER_NAME", set: func(d *draft, v string) error { d.MasterName = v; return nil }},
	{name: "REDIS_SENTINEL_USERNAME", set: func(d *draft, v string) error { d.SentinelUser = v; return nil }},
	{name: "SESSION_WAIT_REPLICAS", set: func(d *draft, v string) (err error) {
		if v == "auto" {
			return nil
		}
		d.WaitAuto = false
		if d.WaitReplicas, err = strconv.Atoi(v); err != nil || d.WaitReplicas < 0 {
			return errors.New("want auto or a number of replicas >= 0 (0 disables WAIT)")
		}
		return nil
	}},
	{name: "SESSION_MAX_BYTES", set: func(d *draft, v string) (err error) {
		if d.SessionMax, err = strconv.Atoi(v); err != nil || d.SessionMax < minSessionMax || d.SessionMax > maxSessionMax {
			return fmt.Errorf("want a number of bytes between %d and %d", minSessionMax, maxSessionMax)
		}
		return nil
	}},
	{name: "SESSION_WAIT_TIMEOUT", set: duration(func(d *draft) *time.Duration { return &d.WaitTimeout }, time.Millisecond, maxRedisTimeout)},
	{name: "REDIS_TIMEOUT", set: duration(func(d *draft) *time.Duration { return &d.RedisTimeout }, time.Millisecond, maxRedisTimeout)},
	{name: "SESSION_RETRY_BUDGET", set: duration(func(d *draft) *time.Duration { return &d.RetryBudget }, 0, time.Minute)},
	{name: "SHUTDOWN_TIMEOUT", set: duration(func(d *draft) *time.Duration { return &d.ShutdownTimeout }, 0, 10*time.Minute)},
}

// rules are what must hold between variables once all are read; each
// returns nil or what is wrong.
var rules = []func(d *draft) error{
	func(d *draft) error {
		if !d.given["SESSION_SECRET"] {
			return errors.New("SESSION_SECRET or SESSION_SECRET_FILE is required: a comma-separated list of secrets, the first signs new cookies")
		}
		return nil
	},
	func(d *draft) error {
		switch {
		case d.given["REDIS_SENTINELS"] && d.MasterName == "":
			return errors.New("REDIS_SENTINELS is set but REDIS_MASTER_NAME is not")
		case !d.given["REDIS_SENTINELS"] && d.MasterName != "":
			return errors.New("REDIS_MASTER_NAME is set but REDIS_SENTINELS is not")
		}
		return nil
	},
	func(d *draft) error {
		if d.WaitReplicas > 0 && d.WaitTimeout+d.RedisTimeout > maxRedisTimeout {
			return fmt.Errorf("SESSION_WAIT_TIMEOUT %s + REDIS_TIMEOUT %s: one session write must stay under %s", d.WaitTimeout, d.RedisTimeout, maxRedisTimeout)
		}
		return nil
	},
	func(d *draft) error {
		// In direct mode, where nothing is retried by default, a request's
		// session load and save must answer within a second.
		b := d.storeOptions().Bounds()
		if len(d.Sentinels) == 0 && b.Request() >= maxRedisTimeout {
			return fmt.Errorf("REDIS_TIMEOUT %s twice (load, save) + SESSION_WAIT_TIMEOUT %s = %s: in direct mode one request's session load and save must stay under %s",
				d.RedisTimeout, b.Set-d.RedisTimeout, b.Request(), maxRedisTimeout)
		}
		return nil
	},
}

func loadConfig(getenv func(string) string) (config, error) {
	d := &draft{
		config: config{
			HTTPPort:        defaultHTTPPort,
			LogFile:         "/var/log/nodeapp/nodeapp.log",
			RedisTimeout:    250 * time.Millisecond,
			WaitReplicas:    1,
			WaitAuto:        true,
			WaitTimeout:     250 * time.Millisecond,
			SessionMax:      sessionredis.DefaultMaxValueBytes,
			ShutdownTimeout: 20 * time.Second,
		},
		redisHost: "redis_primary",
		redisPort: "6379",
		given:     map[string]bool{},
	}
	var errs []error
	for _, ev := range envVars {
		v := getenv(ev.name)
		if ev.secret {
			d.given[ev.name] = v != "" || getenv(ev.name+"_FILE") != ""
			var err error
			if v, err = secretValue(getenv, ev.name); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if v == "" {
			continue
		}
		d.given[ev.name] = true
		if err := ev.set(d, v); err != nil {
			if ev.secret {
				errs = append(errs, fmt.Errorf("%s: %w", ev.name, err))
			} else {
				errs = append(errs, fmt.Errorf("%s %q: %w", ev.name, v, err))
			}
		}
	}
	d.RedisAddr = net.JoinHostPort(d.redisHost, d.redisPort)
	if len(d.Sentinels) > 0 {
		// auto: Sentinel mode exists for failover, so a write waits for
		// a replica; a lone Redis in direct mode (the seed's development
		// set-up) has none to wait for, so writes wait once it has one.
		d.WaitAuto = false
		if !d.given["SESSION_RETRY_BUDGET"] {
			d.RetryBudget = defaultSentinelBudget
		}
	}
	for _, rule := range rules {
		if err := rule(d); err != nil {
			errs = append(errs, err)
		}
	}
	return d.config, errors.Join(errs...)
}

// port checks a TCP port number, from min up.
func port(v string, min int) error {
	if p, err := strconv.Atoi(v); err != nil || p < min || p > 65535 {
		return errors.New("want a TCP port number")
	}
	return nil
}

// duration returns a setter of the duration field, within [min, max].
func duration(field func(*draft) *time.Duration, min, max time.Duration) func(*draft, string) error {
	return func(d *draft, v string) error {
		got, err := time.ParseDuration(v)
		if err != nil || got < min || got > max {
			return fmt.Errorf("want a Go duration between %s and %s", min, max)
		}
		*field(d) = got
		return nil
	}
}

// storeOptions are the session store's options this config gives.
func (c config) storeOptions() sessionredis.Options {
	return sessionredis.Options{
		WaitReplicas:   c.WaitReplicas,
		AutoWait:       c.WaitAuto,
		WaitTimeout:    c.WaitTimeout,
		AttemptTimeout: c.RedisTimeout,
		RetryBudget:    c.RetryBudget,
		MaxValueBytes:  c.SessionMax,
	}
}

// waitTimeout is how long a session write may block in WAIT.
func (c config) waitTimeout() time.Duration {
	if c.WaitReplicas == 0 {
		return 0
	}
	return c.WaitTimeout
}

// describeWait says which session writes wait for replicas, for the
// startup log line.
func (c config) describeWait() string {
	switch {
	case c.WaitReplicas == 0:
		return "off"
	case c.WaitAuto:
		return fmt.Sprintf("auto: %d once the primary has a replica", c.WaitReplicas)
	case len(c.Sentinels) > 0:
		return fmt.Sprintf("%d (Sentinel mode)", c.WaitReplicas)
	}
	return strconv.Itoa(c.WaitReplicas)
}

func (c config) describeRedis() string {
	if len(c.Sentinels) > 0 {
		return fmt.Sprintf("sentinel master %q via %v", c.MasterName, c.Sentinels)
	}
	return c.RedisAddr
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
			return nil, fmt.Errorf("entry %d of %d is empty", i+1, len(parts))
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
