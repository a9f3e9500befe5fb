package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/appstack/appstack/internal/filter/geoip/geoiptest"
)

// TestAnAccessLogEnriched runs an Apache line through the pipeline users
// write around it: grok, then useragent on the agent, geoip on the
// client's address (a GeoLite2-City database written for the test),
// translate on the status, into json_lines; a second line from an
// address the database lacks gets geoip's failure.
func TestAnAccessLogEnriched(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := geoiptest.WriteDB(t, "GeoLite2-City", map[string]mmdbtype.Map{"173.9.34.0/24": geoiptest.Worcester})
	logFile, out := filepath.Join(dir, "access.log"), filepath.Join(dir, "out.json")
	const agent = `"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/69.0.3497.100 Safari/537.36"`
	lines := []string{
		`173.9.34.107 - - [11/Dec/2013:00:01:45 -0800] "GET /xampp/status.php HTTP/1.1" 200 3891 "-" ` + agent,
		`10.0.0.1 - - [11/Dec/2013:00:01:46 -0800] "GET /missing HTTP/1.1" 404 12 "-" "curl/7.52.1"`,
	}
	if err := os.WriteFile(logFile, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`input { file { path => %q } }
filter {
  grok { match => { "message" => "%%{COMBINEDAPACHELOG}" } }
  useragent { source => "agent" target => "ua" }
  geoip { source => "clientip" database => %q fields => ["city_name", "region_name", "country_code2", "location"] }
  translate { field => "response" destination => "status_text" dictionary => { "200" => "OK" "404" => "Not Found" } }
}
output { file { path => %q } }`, logFile, db, out)
	_, stderr, stop := started(t, "-e", cfg, "--path.data", filepath.Join(dir, "data"))
	read := func() string { b, _ := os.ReadFile(out); return string(b) }
	waitFor(t, "both events", func() bool { return strings.Count(read(), "\n") == 2 })
	if err := stop(); err != nil {
		t.Fatalf("run = %v\n%s", err, stderr.String())
	}
	events := strings.Split(strings.TrimSpace(read()), "\n")
	for i, want := range []map[string]string{
		{"ua.name": "Chrome", "ua.major": "69", "ua.os": "Mac OS X", "ua.os_major": "10", "ua.os_minor": "13", "ua.device": "Other",
			"geoip.city_name": "Worcester", "geoip.region_name": "Massachusetts", "geoip.country_code2": "US",
			"geoip.location.lat": "42.2684", "geoip.location.lon": "-71.8107", "status_text": "OK", "tags": "<nil>"},
		{"ua.name": "curl", "ua.major": "7", "geoip": "map[]", "status_text": "Not Found", "tags": "[_geoip_lookup_failure]"},
	} {
		var got map[string]any
		if err := json.Unmarshal([]byte(events[i]), &got); err != nil {
			t.Fatal(err)
		}
		for path, w := range want {
			var v any = got
			for _, k := range strings.Split(path, ".") {
				m, _ := v.(map[string]any)
				v = m[k]
			}
			if fmt.Sprint(v) != w {
				t.Errorf("event %d: %s = %v; want %s\nevent: %s", i+1, path, v, w, events[i])
			}
		}
	}
}

// TestTranslateReloadFailureIsLogged: a translate dictionary file that
// stops parsing keeps its old dictionary, and the failure reaches
// logship's log.
func TestTranslateReloadFailureIsLogged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	logFile, dict, out := filepath.Join(dir, "in.log"), filepath.Join(dir, "dict.yml"), filepath.Join(dir, "out.json")
	if err := os.WriteFile(dict, []byte("a: one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg := fmt.Sprintf(`input { file { path => %q } }
filter { translate { field => "message" dictionary_path => %q refresh_interval => 0.05 } }
output { file { path => %q } }`, logFile, dict, out)
	_, stderr, stop := started(t, "-e", cfg, "--path.data", filepath.Join(dir, "data"))
	read := func() string { b, _ := os.ReadFile(out); return string(b) }
	if _, err := f.WriteString("a\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first event, translated", func() bool { return strings.Contains(read(), `"translation":"one"`) })
	if err := os.WriteFile(dict, []byte("foo: a colon: here\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Each event past refresh_interval tries a reload: send until one
	// has, and its failure is logged.
	waitFor(t, "the reload failure in the log", func() bool {
		f.WriteString("a\n")
		return strings.Contains(stderr.String(), "dictionary reload failed")
	})
	if err := stop(); err != nil {
		t.Fatalf("run = %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), dict) {
		t.Errorf("log %s; want the reload failure to name %s", stderr.String(), dict)
	}
	for i, line := range strings.Split(strings.TrimSpace(read()), "\n") {
		if !strings.Contains(line, `"translation":"one"`) {
			t.Errorf("event %d: %s; want the old dictionary's translation", i+1, line)
		}
	}
}
