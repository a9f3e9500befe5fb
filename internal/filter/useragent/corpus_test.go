package useragent

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	yaml "go.yaml.in/yaml/v3"
)

// The user agents of testdata/uap-core are ua-parser's test data at the
// commit of the embedded regexes.yaml (uap-core 23bfabe34b86): the files
// logstash-filter-useragent 3.2.3's build downloads and runs its parser
// against. Their expected values are what Logstash 5.6.16 gives, turned
// into its fields (useragent_test.go checks that part): a null version
// is a field Logstash does not set; os_major and os_minor are set only
// when both are known.
//
// One known difference: for the few operating systems whose regexes
// give a version as "$1" (test_os.yaml: Windows 3.1/95/NT/8.1/10 in
// some agents, MacOutlook), uap-java 3.2.3 copies "$1" literally, a bug
// its 3.2.4 fixed; like uap-go and ua-parser's test data, this filter
// gives the captured version.

// uapCase is one test case: an agent and what it parses to (nil: null).
type uapCase struct {
	UA, Family          string
	Major, Minor, Patch *string
}

func loadCases(tb testing.TB, name string) []uapCase {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "uap-core", name+".gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			UA     string  `yaml:"user_agent_string"`
			JSUA   *string `yaml:"js_ua"`
			Family string  `yaml:"family"`
			Major  *string `yaml:"major"`
			Minor  *string `yaml:"minor"`
			Patch  *string `yaml:"patch"`
		} `yaml:"test_cases"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	out := make([]uapCase, 0, len(doc.Cases))
	for _, c := range doc.Cases {
		// uap-java (so Logstash) skips the cases that need the JavaScript
		// overrides ua-parser-js has.
		if c.JSUA == nil {
			out = append(out, uapCase{UA: c.UA, Family: c.Family, Major: c.Major, Minor: c.Minor, Patch: c.Patch})
		}
	}
	return out
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestUapCoreCorpus parses the agents of each file with the list it tests
// (agents, operating systems or devices); the filter's tests check how
// the values become fields.
func TestUapCoreCorpus(t *testing.T) {
	t.Parallel()
	p, err := newParser(defaultRegexes)
	if err != nil {
		t.Fatal(err)
	}
	type parsed struct{ family, major, minor, patch string }
	agent := func(s *subject) parsed {
		r := p.agent(s)
		return parsed{r.Family, r.Major, r.Minor, r.Patch}
	}
	opSys := func(s *subject) parsed {
		r := p.os(s)
		return parsed{r.Family, r.Major, r.Minor, r.Patch}
	}
	device := func(s *subject) parsed { return parsed{family: p.device(s)} }
	for _, c := range []struct {
		file  string
		parse func(*subject) parsed
		min   int // the number of cases the file has: a guard against loading none
	}{
		{"test_ua.yaml", agent, 1_000},
		{"firefox_user_agent_strings.yaml", agent, 200},
		{"opera_mini_user_agent_strings.yaml", agent, 100},
		{"pgts_browser_list.yaml", agent, 12_000},
		{"test_os.yaml", opSys, 300},
		{"additional_os_tests.yaml", opSys, 20},
		{"test_device.yaml", device, 15_000},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			cases := loadCases(t, c.file)
			if len(cases) < c.min {
				t.Fatalf("%s has %d cases; want at least %d", c.file, len(cases), c.min)
			}
			failed, checked := 0, 0
			for i, uc := range cases {
				if i%corpusStride != 0 {
					continue
				}
				checked++
				s := newSubject(uc.UA)
				got := c.parse(&s)
				want := parsed{uc.Family, orEmpty(uc.Major), orEmpty(uc.Minor), orEmpty(uc.Patch)}
				if c.file == "test_device.yaml" {
					want = parsed{family: uc.Family}
				}
				if got != want {
					failed++
					if failed <= 10 {
						t.Errorf("%q parses to %+v; want %+v", uc.UA, got, want)
					}
				}
			}
			if failed > 0 {
				t.Errorf("%s: %d of %d cases wrong", c.file, failed, checked)
			}
			t.Logf("%s: %d cases checked", c.file, checked)
		})
	}
}
