package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("from-file,older\n"), 0o600)
	emptyFile := filepath.Join(dir, "empty")
	os.WriteFile(emptyFile, []byte("\n"), 0o600)
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("p@ss\n"), 0o600)

	defaults := config{
		HTTPPort: "3000", LogFile: "/var/log/nodeapp/nodeapp.log", Secrets: []string{"s"},
		RedisAddr: "redis_primary:6379", RedisTimeout: 250 * time.Millisecond,
		WaitReplicas: 1, WaitAuto: true, WaitTimeout: 250 * time.Millisecond, SessionMax: 1 << 20, ShutdownTimeout: 20 * time.Second,
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    func(c *config)
		wantErr string
	}{
		{name: "the seed's defaults", env: map[string]string{"SESSION_SECRET": "s"}, want: func(*config) {}},
		{name: "the seed's variables", env: map[string]string{"SESSION_SECRET": "s", "HTTP_PORT": "8080", "REDIS_HOST": "r", "REDIS_PORT": "7000", "REDIS_DB": "2", "LOG_FILE": "/tmp/x.log"},
			want: func(c *config) { c.HTTPPort, c.RedisAddr, c.RedisDB, c.LogFile = "8080", "r:7000", 2, "/tmp/x.log" }},
		{name: "a secret list signs with the first", env: map[string]string{"SESSION_SECRET": "new, old ,older"},
			want: func(c *config) { c.Secrets = []string{"new", "old", "older"} }},
		{name: "secrets and passwords from files", env: map[string]string{"SESSION_SECRET_FILE": secretFile, "REDIS_USERNAME": "webapp", "REDIS_PASSWORD_FILE": passFile},
			want: func(c *config) {
				c.Secrets, c.RedisUsername, c.RedisPassword = []string{"from-file", "older"}, "webapp", "p@ss"
			}},
		{name: "Sentinel mode gets a retry budget", env: map[string]string{"SESSION_SECRET": "s", "REDIS_SENTINELS": "s1:26379, s2:26379", "REDIS_MASTER_NAME": "m",
			"REDIS_SENTINEL_USERNAME": "u", "REDIS_SENTINEL_PASSWORD_FILE": passFile},
			want: func(c *config) {
				c.Sentinels, c.MasterName, c.SentinelUser, c.SentinelPass, c.RetryBudget = []string{"s1:26379", "s2:26379"}, "m", "u", "p@ss", 8*time.Second
				c.WaitAuto = false // auto is 1 in Sentinel mode
			}},
		{name: "auto, said out loud, waits once the primary has a replica", env: map[string]string{"SESSION_SECRET": "s", "SESSION_WAIT_REPLICAS": "auto"}, want: func(*config) {}},
		{name: "auto in Sentinel mode is 1", env: map[string]string{"SESSION_SECRET": "s", "SESSION_WAIT_REPLICAS": "auto", "REDIS_SENTINELS": "s1:26379", "REDIS_MASTER_NAME": "m"},
			want: func(c *config) {
				c.Sentinels, c.MasterName, c.RetryBudget, c.WaitAuto = []string{"s1:26379"}, "m", 8*time.Second, false
			}},
		{name: "a number of replicas is always waited for", env: map[string]string{"SESSION_SECRET": "s", "SESSION_WAIT_REPLICAS": "2"},
			want: func(c *config) { c.WaitReplicas, c.WaitAuto = 2, false }},
		{name: "a session cap", env: map[string]string{"SESSION_SECRET": "s", "SESSION_MAX_BYTES": "4096"}, want: func(c *config) { c.SessionMax = 4096 }},
		{name: "tuning", env: map[string]string{"SESSION_SECRET": "s", "SESSION_WAIT_REPLICAS": "0", "SESSION_WAIT_TIMEOUT": "100ms", "REDIS_TIMEOUT": "400ms", "SESSION_RETRY_BUDGET": "3s", "SHUTDOWN_TIMEOUT": "1s"},
			want: func(c *config) {
				c.WaitReplicas, c.WaitTimeout, c.RedisTimeout, c.RetryBudget, c.ShutdownTimeout = 0, 100*time.Millisecond, 400*time.Millisecond, 3*time.Second, time.Second
				c.WaitAuto = false
			}},

		{name: "no secret", env: map[string]string{}, wantErr: "SESSION_SECRET or SESSION_SECRET_FILE is required"},
		{name: "both a secret and a secret file", env: map[string]string{"SESSION_SECRET": "s", "SESSION_SECRET_FILE": secretFile}, wantErr: "both SESSION_SECRET and SESSION_SECRET_FILE"},
		{name: "an empty secret file", env: map[string]string{"SESSION_SECRET_FILE": emptyFile}, wantErr: "is empty"},
		{name: "a missing secret file", env: map[string]string{"SESSION_SECRET_FILE": filepath.Join(dir, "nope")}, wantErr: "no such file"},
		{name: "an empty entry in the secret list", env: map[string]string{"SESSION_SECRET": "a,,b"}, wantErr: "entry 2 of 3 is empty"},
		{name: "a bad port", env: map[string]string{"SESSION_SECRET": "s", "HTTP_PORT": "http"}, wantErr: "HTTP_PORT"},
		{name: "a bad Redis port", env: map[string]string{"SESSION_SECRET": "s", "REDIS_PORT": "99999"}, wantErr: "REDIS_PORT"},
		{name: "a bad database", env: map[string]string{"SESSION_SECRET": "s", "REDIS_DB": "-1"}, wantErr: "REDIS_DB"},
		{name: "Sentinels without a master name", env: map[string]string{"SESSION_SECRET": "s", "REDIS_SENTINELS": "a:1"}, wantErr: "REDIS_MASTER_NAME is not"},
		{name: "a master name without Sentinels", env: map[string]string{"SESSION_SECRET": "s", "REDIS_MASTER_NAME": "m"}, wantErr: "REDIS_SENTINELS is not"},
		{name: "a Sentinel without a port", env: map[string]string{"SESSION_SECRET": "s", "REDIS_SENTINELS": "a", "REDIS_MASTER_NAME": "m"}, wantErr: "host:port"},
		{name: "a bad duration", env: map[string]string{"SESSION_SECRET": "s", "SESSION_WAIT_TIMEOUT": "soon"}, wantErr: "SESSION_WAIT_TIMEOUT"},
		{name: "a Redis timeout of a second or more", env: map[string]string{"SESSION_SECRET": "s", "REDIS_TIMEOUT": "2s"}, wantErr: "REDIS_TIMEOUT"},
		{name: "a write that could take a second", env: map[string]string{"SESSION_SECRET": "s", "REDIS_TIMEOUT": "600ms", "SESSION_WAIT_TIMEOUT": "500ms"}, wantErr: "must stay under 1s"},
		{name: "negative replicas", env: map[string]string{"SESSION_SECRET": "s", "SESSION_WAIT_REPLICAS": "-1"}, wantErr: "SESSION_WAIT_REPLICAS"},
		{name: "a word for replicas", env: map[string]string{"SESSION_SECRET": "s", "SESSION_WAIT_REPLICAS": "some"}, wantErr: "want auto or a number"},
		{name: "a session cap below 1 KiB", env: map[string]string{"SESSION_SECRET": "s", "SESSION_MAX_BYTES": "100"}, wantErr: "SESSION_MAX_BYTES"},
		{name: "a session cap beyond Redis's strings", env: map[string]string{"SESSION_SECRET": "s", "SESSION_MAX_BYTES": "1000000000"}, wantErr: "SESSION_MAX_BYTES"},
		{name: "a session cap in other units", env: map[string]string{"SESSION_SECRET": "s", "SESSION_MAX_BYTES": "1MiB"}, wantErr: "SESSION_MAX_BYTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig(%v) error = %v; want one containing %q", tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("loadConfig(%v): %v", tt.env, err)
			}
			want := defaults
			want.Secrets = append([]string(nil), defaults.Secrets...)
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("loadConfig(%v) mismatch (-want +got):\n%s", tt.env, diff)
			}
		})
	}
}

// TestDirectModeBoundsARequestUnderASecond: in direct mode a request's
// session load and save, one attempt each (2×REDIS_TIMEOUT and the WAIT
// timeout, as the store reports its bounds), must stay under 1 s.
func TestDirectModeBoundsARequestUnderASecond(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
	}{
		{"the defaults: 2×250 + 250 = 750 ms", nil, false},
		{"a longer attempt with WAIT off: 2×450 = 900 ms", map[string]string{"REDIS_TIMEOUT": "450ms", "SESSION_WAIT_REPLICAS": "0"}, false},
		{"exactly a second is not under it: 2×350 + 300", map[string]string{"REDIS_TIMEOUT": "350ms", "SESSION_WAIT_TIMEOUT": "300ms"}, true},
		{"a longer attempt with WAIT: 2×450 + 250 = 1150 ms", map[string]string{"REDIS_TIMEOUT": "450ms"}, true},
		{"a long attempt alone: 2×500 = 1000 ms", map[string]string{"REDIS_TIMEOUT": "500ms", "SESSION_WAIT_REPLICAS": "0"}, true},
		{"Sentinel mode retries for its budget anyway", map[string]string{"REDIS_TIMEOUT": "450ms", "REDIS_SENTINELS": "s1:26379", "REDIS_MASTER_NAME": "m"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"SESSION_SECRET": "s"}
			for k, v := range tt.env {
				env[k] = v
			}
			_, err := loadConfig(func(k string) string { return env[k] })
			switch {
			case tt.wantErr && (err == nil || !strings.Contains(err.Error(), "in direct mode one request's session load and save must stay under 1s")):
				t.Errorf("loadConfig(%v) error = %v; want one saying the request's Redis time must stay under 1s", env, err)
			case !tt.wantErr && err != nil:
				t.Errorf("loadConfig(%v): %v", env, err)
			}
		})
	}
}

// TestSecretsStayOutOfErrors: an error about a secret names the variable,
// never the value.
func TestSecretsStayOutOfErrors(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{"SESSION_SECRET": "hunter2,,x"},
		{"SESSION_SECRET": "hunter2", "SESSION_SECRET_FILE": "/nonexistent"},
		{"SESSION_SECRET": "s", "REDIS_PASSWORD": "hunter2", "REDIS_PASSWORD_FILE": "/x"},
	} {
		_, err := loadConfig(func(k string) string { return env[k] })
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("loadConfig(%v) error = %v; want an error without the secret", env, err)
		}
	}
}
