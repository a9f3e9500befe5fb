package elasticsearch

// Tests against the real store of the stack: the victoria-logs binary
// (internal/logstoretest), on a free loopback port with a temporary data
// directory.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/logstoretest"
	"github.com/appstack/appstack/internal/output/outputtest"
)

// victoriaParams is what VictoriaLogs' docs tell Logstash users to set.
var victoriaParams = url.Values{"_msg_field": {"message"}, "_time_field": {"@timestamp"}, "_stream_fields": {"host,path"}}

func nowEvents(prefix string, n int) []event.Event {
	d := &outputtest.Decoration{Type: "nodeapp", Host: "web1"}
	ts := time.Now().UTC().Truncate(time.Millisecond)
	out := make([]event.Event, n)
	for i := range out {
		out[i] = outputtest.Event(d, fmt.Sprintf("%s %04d GET /p/%d", prefix, i, i), "/var/log/nodeapp/nodeapp.log", ts.Add(time.Duration(i)*time.Millisecond))
	}
	return out
}

func storeOutput(tb testing.TB, hosts []string, mod func(*Config)) (*Output, string) {
	tb.Helper()
	dead := filepath.Join(tb.TempDir(), "dead.ndjson")
	cfg := Config{Hosts: hosts, Parameters: victoriaParams, DeadLetterPath: dead, RetryInitial: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	o, err := FromConfig(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { o.Close() })
	return o, dead
}

// waitCount polls the store until filter matches want entries (they show
// about a second after they are stored), and fails on more or on timeout.
func waitCount(tb testing.TB, c *logstoretest.Client, filter string, want int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		n, err := c.Count(ctx, filter)
		switch {
		case err != nil && ctx.Err() == nil:
			tb.Fatal(err)
		case n == want:
			return
		case n > want:
			tb.Fatalf("store has %d entries matching %s; want %d", n, filter, want)
		case ctx.Err() != nil:
			tb.Fatalf("store has %d entries matching %s after 20s; want %d", n, filter, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestVictoriaLogsStoresEveryEventWithMessageAndTimestamp(t *testing.T) {
	t.Parallel()
	s := logstoretest.Start(t)
	// The host carries part of the query, as the config does; the
	// rest comes from parameters.
	o, dead := storeOutput(t, []string{s.InsertURL() + "?_msg_field=message"}, func(c *Config) {
		c.Parameters = url.Values{"_time_field": {"@timestamp"}, "_stream_fields": {"host,path"}}
		c.FlushSize = 100
	})
	evs := nowEvents("stored", 1000)
	if err := o.Write(context.Background(), evs); err != nil {
		t.Fatalf("Write = %v", err)
	}
	c := s.Client()
	waitCount(t, c, `"stored"`, 1000)
	rows, err := c.Query(context.Background(), `"stored 0042"`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"_msg": "stored 0042 GET /p/42", "@version": "1", "type": "nodeapp", "host": "web1",
		"path": "/var/log/nodeapp/nodeapp.log", "_stream": `{host="web1",path="/var/log/nodeapp/nodeapp.log"}`,
	}
	if len(rows) != 1 {
		t.Fatalf("query for one line = %v; want 1 row", rows)
	}
	for k, v := range want {
		if rows[0][k] != v {
			t.Errorf("field %s = %q; want %q (row %v)", k, rows[0][k], v, rows[0])
		}
	}
	// VictoriaLogs prints _time without trailing zeros: compare instants.
	ts, _ := evs[42].Get("@timestamp")
	if got, err := time.Parse(time.RFC3339Nano, rows[0]["_time"]); err != nil || !got.Equal(ts.Time()) {
		t.Errorf("_time = %q (%v); want the event's @timestamp %s", rows[0]["_time"], err, ts.Time().Format(time.RFC3339Nano))
	}
	// The message is the searchable text: a word of it finds the line.
	if n, err := c.Count(context.Background(), `"/p/999"`); err != nil || n != 1 {
		t.Errorf("count of a word of one message = %d, %v; want 1", n, err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("dead-letter file exists (%v); want none", err)
	}
}

func TestVictoriaLogsDownThenUpLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	s := logstoretest.Start(t)
	// Gzipped bodies, too: the store reads them by Content-Encoding.
	o, _ := storeOutput(t, []string{s.InsertURL()}, func(c *Config) { c.Compression = true })
	if err := o.Write(context.Background(), nowEvents("before", 10)); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	down := nowEvents("during", 10)
	err := o.Write(context.Background(), down)
	if err == nil || kindOf(err) != retryable || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Write to a stopped store = %v; want a retryable connection error", err)
	}
	if strings.Contains(err.Error(), "_msg_field") {
		t.Errorf("error %q shows the query; want the URL without it", err)
	}
	s.Restart()
	if err := o.Write(context.Background(), down); err != nil {
		t.Fatalf("Write after the restart = %v", err)
	}
	waitCount(t, s.Client(), `"before" OR "during"`, 20)
}

func TestVictoriaLogsWrongPathIsDeadLetteredNotRetried(t *testing.T) {
	t.Parallel()
	s := logstoretest.Start(t)
	deadCount := prometheus.NewCounter(prometheus.CounterOpts{Name: "dead"})
	// The store's root, not its Elasticsearch API: POST /_bulk is refused.
	o, dead := storeOutput(t, []string{s.URL}, func(c *Config) { c.DeadLetters = deadCount })
	if err := o.Write(context.Background(), nowEvents("lost", 3)); err != nil {
		t.Fatalf("Write = %v; want nil, the documents set aside", err)
	}
	recs := readDead(t, dead)
	if len(recs) != 3 {
		t.Fatalf("dead letters: %+v; want 3", recs)
	}
	if reason, _ := recs[0].Error.(string); recs[0].Status != 400 || !strings.Contains(reason, "unsupported path") {
		t.Errorf("dead letter %+v; want status 400 and the store's reason", recs[0])
	}
	if n := counterValue(t, deadCount); n != 3 {
		t.Errorf("dead-letter counter = %v; want 3", n)
	}
}

func TestVictoriaLogsOverTLSWithBasicAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caFile, certFile, keyFile := selfSigned(t, dir)
	pwFile := filepath.Join(dir, "password")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := logstoretest.Start(t, "-tls", "-tlsCertFile="+certFile, "-tlsKeyFile="+keyFile,
		"-httpAuth.username=appstack", "-httpAuth.password=file://"+pwFile)
	// No scheme: ssl makes it https; cacert is the only CA trusted.
	host := strings.TrimPrefix(s.InsertURL(), "https://")
	o, _ := storeOutput(t, []string{host}, func(c *Config) {
		c.SSL, c.CACert, c.User, c.PasswordFile = true, caFile, "appstack", pwFile
	})
	if err := o.Write(context.Background(), nowEvents("secure", 5)); err != nil {
		t.Fatalf("Write over TLS with basic auth = %v", err)
	}
	c := s.Client()
	c.User, c.Password = "appstack", "s3cret"
	c.HTTP = tlsClient(t, caFile)
	waitCount(t, c, `"secure"`, 5)

	// A wrong password is waited out (the operator fixes it), not set aside.
	wrong, dead := storeOutput(t, []string{host}, func(c *Config) { c.SSL, c.CACert, c.User, c.Password = true, caFile, "appstack", "wrong" })
	if err := wrong.Write(context.Background(), nowEvents("refused", 1)); err == nil || kindOf(err) != retryable || !strings.Contains(err.Error(), "401") {
		t.Errorf("Write with a wrong password = %v; want a retryable 401", err)
	}
	// Without the CA, the store's certificate is not trusted.
	untrusted, _ := storeOutput(t, []string{host}, func(c *Config) { c.SSL, c.User, c.PasswordFile = true, "appstack", pwFile })
	if err := untrusted.Write(context.Background(), nowEvents("untrusted", 1)); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Write without cacert = %v; want a certificate error", err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("dead-letter file exists (%v); want none", err)
	}
}

// selfSigned writes a CA and a certificate for 127.0.0.1 signed by it.
func selfSigned(tb testing.TB, dir string) (caFile, certFile, keyFile string) {
	tb.Helper()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			tb.Fatal(err)
		}
		return p
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "logstoretest CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", leafDER), write("key.pem", "EC PRIVATE KEY", keyDER)
}

func tlsClient(tb testing.TB, caFile string) *http.Client {
	tb.Helper()
	c, err := newClient(caFile, 10*time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
