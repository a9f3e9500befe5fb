package redistest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/appstack/appstack/internal/freeport"
)

// StartSentinel starts a Sentinel (redis-server --sentinel) that monitors
// master under masterName with quorum, and waits until it answers PING.
// lines are extra sentinel.conf lines, such as "sentinel
// down-after-milliseconds mymaster 1000" or ACL "user ..." lines. The
// Sentinel is stopped at cleanup; Kill, Stop and Restart work as for
// servers, and Restart keeps the config Sentinel has rewritten.
func StartSentinel(tb testing.TB, masterName string, master *Server, quorum int, lines ...string) *Server {
	tb.Helper()
	s := &Server{tb: tb, Dir: tb.TempDir()}
	s.LogFile = filepath.Join(s.Dir, "sentinel.log")
	s.sentinelConf = filepath.Join(s.Dir, "sentinel.conf")
	conf := append([]string{
		"sentinel monitor " + masterName + " 127.0.0.1 " + strconv.Itoa(master.Port) + " " + strconv.Itoa(quorum),
	}, lines...)
	if err := os.WriteFile(s.sentinelConf, []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		tb.Fatalf("redistest: write sentinel.conf: %v", err)
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if err = s.start(freeport.Get(tb)); err == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("redistest: start sentinel: %v", err)
	return nil
}
