package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/appstack/appstack/internal/redistest"
)

// The ACL rules the stack gives webapp's users, read from the files the
// images are built from.
func aclRules(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "images", "redis", name))
	if err != nil {
		t.Fatal(err)
	}
	rules := strings.TrimSpace(string(b))
	if strings.Contains(rules, "\n") || strings.Contains(rules, ">") || strings.Contains(rules, " on ") {
		t.Fatalf("%s must be one line of rules without user name, on or password: %q", name, rules)
	}
	return rules
}

const adminPass = "admin-secret"

// startACLRedis starts a server whose default user is off, with an admin
// and the webapp user under exactly the rules of webapp.acl.
func startACLRedis(t *testing.T, rules string, extra ...string) (*redistest.Server, *redis.Client) {
	t.Helper()
	acl := filepath.Join(t.TempDir(), "users.acl")
	users := "user default off\nuser admin on >" + adminPass + " ~* &* +@all\nuser webapp on >web-secret " + rules + "\n"
	if err := os.WriteFile(acl, []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t, append([]string{"--aclfile", acl}, extra...)...)
	return srv, srv.Client(&redis.Options{Username: "admin", Password: adminPass})
}

func do(t *testing.T, c *redis.Client, args ...any) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := c.Do(ctx, args...).Result()
	if err != nil && err != redis.Nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// noDenials fails if an ACL LOG holds a denial: every command webapp sent
// was allowed.
func noDenials(t *testing.T, who string, admin *redis.Client) {
	t.Helper()
	if log, _ := do(t, admin, "ACL", "LOG").([]any); len(log) > 0 {
		t.Errorf("%s ACL LOG has %d denials; want none: %v", who, len(log), log)
	}
}

// exercise runs a new and a returning session through webapp and checks
// that it answered with a cookie, then without.
func exercise(t *testing.T, a *app) {
	t.Helper()
	first := roundTrip(t, a.Addr, get("/"))
	sc := first.Get("Set-Cookie")
	if !strings.HasPrefix(first.StatusLine, "HTTP/1.1 200") || sc == "" {
		m := roundTrip(t, a.Addr, get("/metrics"))
		var lines []string
		for _, l := range strings.Split(string(m.Body), "\n") {
			if strings.HasPrefix(l, "webapp_session") {
				lines = append(lines, l)
			}
		}
		t.Fatalf("new session through ACL user:\n%s\n%s\n%s", first, a.Stderr, strings.Join(lines, "\n"))
	}
	cookie := sc[:strings.IndexByte(sc, ';')]
	again := roundTrip(t, a.Addr, get("/hello/acl", "Cookie: "+cookie+"\r\n"))
	if !strings.HasPrefix(again.StatusLine, "HTTP/1.1 200") || again.Get("Set-Cookie") != "" {
		t.Fatalf("returning session through ACL user:\n%s\n%s", again, a.Stderr)
	}
	if r := roundTrip(t, a.Addr, get("/readyz")); !strings.HasPrefix(r.StatusLine, "HTTP/1.1 200") {
		t.Fatalf("/readyz through ACL user:\n%s", r)
	}
}

// exerciseLong serves a returning session too long for the shared read
// (over 16 KiB), which webapp measures (STRLEN) and reads again.
func exerciseLong(t *testing.T, a *app, admin *redis.Client) {
	t.Helper()
	first := roundTrip(t, a.Addr, get("/"))
	sc := first.Get("Set-Cookie")
	if sc == "" {
		t.Fatalf("new session through ACL user:\n%s\n%s", first, a.Stderr)
	}
	cookie := sc[:strings.IndexByte(sc, ';')]
	key := "sess:" + sessionID(cookie)
	do(t, admin, "SETEX", key, 1000, `{"cookie":{"originalMaxAge":2592000000,"expires":"2026-12-25T20:04:30.204Z","httpOnly":true,"path":"/"},"pad":"`+strings.Repeat("x", 20<<10)+`"}`)
	again := roundTrip(t, a.Addr, get("/", "Cookie: "+cookie+"\r\n"))
	if ttl, _ := do(t, admin, "TTL", key).(int64); again.Get("Set-Cookie") != "" || ttl < 2591990 {
		t.Fatalf("returning 20 KiB session through ACL user: TTL %d after\n%s\nwant it served and saved back\n%s", ttl, again, a.Stderr)
	}
}

func TestWebappWorksUnderItsACL(t *testing.T) {
	t.Parallel()
	rules := aclRules(t, "webapp.acl")
	p, admin := startACLRedis(t, rules)
	_, replicaAdmin := startACLRedis(t, rules, "--replicaof", "127.0.0.1", strconv.Itoa(p.Port), "--masteruser", "admin", "--masterauth", adminPass)
	waitLinked(t, replicaAdmin)
	waitAcked(t, admin)
	passFile := filepath.Join(t.TempDir(), "redis-password")
	if err := os.WriteFile(passFile, []byte("web-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"0", "3"} {
		a := startWebapp(t, map[string]string{
			"SESSION_SECRET": "s", "REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(p.Port), "REDIS_DB": db,
			"REDIS_USERNAME": "webapp", "REDIS_PASSWORD_FILE": passFile,
		})
		exercise(t, a)
		if db == "0" {
			exerciseLong(t, a, admin)
		}
	}
	noDenials(t, "primary", admin)

	web := p.Client(&redis.Options{Username: "webapp", Password: "web-secret", Protocol: 2, DisableIdentity: true})
	ctx := context.Background()
	for _, cmd := range [][]any{{"SET", "foo", "bar"}, {"KEYS", "*"}, {"GET", "foo"}, {"SET", "sess:x", "y"}, {"DEL", "sess:x"},
		{"FLUSHALL"}, {"CONFIG", "GET", "*"}, {"SCAN", "0"}, {"EVAL", "return 1", "0"}, {"SUBSCRIBE", "x"}, {"ACL", "LIST"}} {
		if err := web.Do(ctx, cmd...).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
			t.Errorf("webapp user %v = %v; want NOPERM", cmd, err)
		}
	}
	if err := web.SetEx(ctx, "sess:allowed", "{}", time.Minute).Err(); err != nil {
		t.Errorf("webapp user SETEX sess:allowed: %v", err)
	}
}

func TestWebappWorksUnderItsSentinelACL(t *testing.T) {
	t.Parallel()
	rules := aclRules(t, "webapp.acl")
	// The primary needs masteruser too: after a failover it is a replica.
	p, admin := startACLRedis(t, rules, "--masteruser", "admin", "--masterauth", adminPass)
	_, replicaAdmin := startACLRedis(t, rules, "--replicaof", "127.0.0.1", strconv.Itoa(p.Port), "--masteruser", "admin", "--masterauth", adminPass)
	waitLinked(t, replicaAdmin)
	waitAcked(t, admin)
	lines := []string{
		"sentinel down-after-milliseconds mymaster 2000",
		"sentinel failover-timeout mymaster 10000",
		"sentinel auth-user mymaster admin",
		"sentinel auth-pass mymaster " + adminPass,
		"sentinel sentinel-user admin",
		"sentinel sentinel-pass " + adminPass,
		"user default off",
		"user admin on >" + adminPass + " ~* &* +@all",
		"user webapp on >sentinel-secret " + aclRules(t, "webapp-sentinel.acl"),
	}
	var addrs []string
	var sentinels []*redis.Client
	for range 3 {
		s := redistest.StartSentinel(t, "mymaster", p, 2, lines...)

		addrs = append(addrs, s.Addr)
		sentinels = append(sentinels, s.Client(&redis.Options{Username: "admin", Password: adminPass}))
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		others, _ := do(t, sentinels[0], "SENTINEL", "SENTINELS", "mymaster").([]any)
		reps, _ := do(t, sentinels[0], "SENTINEL", "REPLICAS", "mymaster").([]any)
		if len(others) == 2 && len(reps) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Sentinels did not find each other and the replica: %v %v", others, reps)
		}
		time.Sleep(50 * time.Millisecond)
	}
	a := startWebapp(t, map[string]string{
		"SESSION_SECRET": "s", "REDIS_SENTINELS": strings.Join(addrs, ","), "REDIS_MASTER_NAME": "mymaster",
		"REDIS_SENTINEL_USERNAME": "webapp", "REDIS_SENTINEL_PASSWORD": "sentinel-secret",
		"REDIS_USERNAME": "webapp", "REDIS_PASSWORD": "web-secret",
	})
	exercise(t, a)
	// A failover makes webapp use the rest of what it may: the switch
	// event and a new primary.
	old := p.Addr
	do(t, sentinels[0], "SENTINEL", "FAILOVER", "mymaster")
	deadline = time.Now().Add(20 * time.Second)
	for {
		v, _ := do(t, sentinels[1], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").([]any)
		if len(v) == 2 && v[0].(string)+":"+v[1].(string) != old {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no failover within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// With one replica, the new primary has none until Sentinel demotes
	// the old one (up to 10 s after a graceful failover); until then WAIT
	// rightly acknowledges nothing.
	waitLinked(t, admin)
	waitAcked(t, replicaAdmin)
	exercise(t, a)
	noDenials(t, "old primary", admin)
	noDenials(t, "new primary", replicaAdmin)
	for i, s := range sentinels {
		noDenials(t, "sentinel "+strconv.Itoa(i), s)
	}

	web := redis.NewClient(&redis.Options{Addr: addrs[0], Username: "webapp", Password: "sentinel-secret", DisableIdentity: true})
	defer web.Close()
	ctx := context.Background()
	for _, cmd := range [][]any{{"SENTINEL", "FAILOVER", "mymaster"}, {"SENTINEL", "SET", "mymaster", "quorum", "1"},
		{"SENTINEL", "REMOVE", "mymaster"}, {"SENTINEL", "MASTERS"}, {"SENTINEL", "CONFIG", "GET", "*"}, {"ACL", "LIST"},
		{"SUBSCRIBE", "__sentinel__:hello"}, {"PSUBSCRIBE", "*"}, {"SHUTDOWN"}} {
		if err := web.Do(ctx, cmd...).Err(); err == nil || !strings.Contains(err.Error(), "NOPERM") {
			t.Errorf("webapp Sentinel user %v = %v; want NOPERM", cmd, err)
		}
	}
}

func waitLinked(t *testing.T, replica *redis.Client) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, _ := do(t, replica, "INFO", "replication").(string)
		if strings.Contains(info, "master_link_status:up") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica never linked: %s", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitAcked waits until a replica acknowledges the primary's writes.
// Redis 7.0 streams nothing to a replica after a full sync until the
// replica's first REPLCONF ACK, up to a second after the link is up; WAIT
// rightly counts no replica before.
func waitAcked(t *testing.T, primary *redis.Client) {
	t.Helper()
	do(t, primary, "SET", "replication-probe", "1")
	if n, _ := do(t, primary, "WAIT", "1", "5000").(int64); n != 1 {
		t.Fatalf("WAIT 1 5000 = %d: no replica acknowledged within 5 s", n)
	}
	do(t, primary, "DEL", "replication-probe")
}
