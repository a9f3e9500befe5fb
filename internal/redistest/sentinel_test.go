package redistest

import (
	"strconv"
	"testing"
)

func TestSentinelMonitorsTheMaster(t *testing.T) {
	t.Parallel()
	p := Start(t)
	s := StartSentinel(t, "mymaster", p, 1)
	got, _ := s.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").([]any)
	if len(got) != 2 || got[0] != "127.0.0.1" || got[1] != strconv.Itoa(p.Port) {
		t.Fatalf("SENTINEL GET-MASTER-ADDR-BY-NAME mymaster = %v; want [127.0.0.1 %d]", got, p.Port)
	}
	s.Kill()
	s.Restart()
	if got, _ := s.Do("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").([]any); len(got) != 2 {
		t.Fatalf("after Restart, SENTINEL GET-MASTER-ADDR-BY-NAME mymaster = %v; want the master", got)
	}
}
