package geoip

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/filter/filtertest"
	"github.com/appstack/appstack/internal/filter/geoip/geoiptest"
	"github.com/appstack/appstack/internal/plugin"
)

// unitedStates is a country-level record, as GeoLite2-City has for
// 8.8.8.8 and for 2607:f0d0:1002:51::4 (the addresses of the plugin's
// spec): a country and a location, no city.
var unitedStates = mmdbtype.Map{
	"continent": mmdbtype.Map{"code": mmdbtype.String("NA"), "geoname_id": mmdbtype.Uint32(6255149), "names": geoiptest.Names("North America")},
	"country":   mmdbtype.Map{"geoname_id": mmdbtype.Uint32(6252001), "iso_code": mmdbtype.String("US"), "names": geoiptest.Names("United States")},
	"location": mmdbtype.Map{"accuracy_radius": mmdbtype.Uint16(1000), "latitude": mmdbtype.Float64(37.751),
		"longitude": mmdbtype.Float64(-97.822)},
	"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("US"), "names": geoiptest.Names("United States")},
}

// cityDB is a GeoLite2-City database with the records of the spec's
// addresses, a full city one (Worcester, the spec's 173.9.34.107), one
// with a non-ASCII name, and one without a location.
func cityDB(tb testing.TB) string {
	return geoiptest.WriteDB(tb, "GeoLite2-City", map[string]mmdbtype.Map{
		"8.8.8.0/24":          unitedStates,
		"2607:f0d0:1002::/48": unitedStates,
		"173.9.34.0/24":       geoiptest.Worcester,
		"189.2.0.0/16": {
			"city":      mmdbtype.Map{"names": geoiptest.Names("São Paulo")},
			"continent": mmdbtype.Map{"code": mmdbtype.String("SA"), "names": geoiptest.Names("South America")},
			"country":   mmdbtype.Map{"iso_code": mmdbtype.String("BR"), "names": geoiptest.Names("Brazil")},
			"location":  mmdbtype.Map{"latitude": mmdbtype.Float64(-23.5335), "longitude": mmdbtype.Float64(-46.6359), "time_zone": mmdbtype.String("America/Sao_Paulo")},
			// Two levels: the region is the most specific, the last.
			"subdivisions": mmdbtype.Slice{
				mmdbtype.Map{"iso_code": mmdbtype.String("SP"), "names": geoiptest.Names("São Paulo")},
				mmdbtype.Map{"iso_code": mmdbtype.String("X1"), "names": geoiptest.Names("Zona Sul")},
			},
		},
		"1.1.1.0/24": {
			"country": mmdbtype.Map{"iso_code": mmdbtype.String("AU"), "names": geoiptest.Names("Australia")},
		},
	})
}

// keys returns the keys of the map at field, sorted.
func keys(e *event.Event, field string) []string {
	v, _ := e.Lookup(event.MustRef(field))
	var out []string
	for _, f := range v.Map() {
		out = append(out, f.Key)
	}
	slices.Sort(out)
	return out
}

func TestSpecExamples(t *testing.T) {
	t.Parallel()
	db := cityDB(t)
	countryFields := []string{"continent_code", "country_code2", "country_code3", "country_name", "ip", "latitude", "location", "longitude"}
	for _, c := range []struct {
		name, block string
		event       *event.Event
		result      plugin.Result
		keys        []string // of the target, sorted
		want        map[string]string
	}{
		{"defaults: 8.8.8.8", `geoip { source => "ip" database => "` + db + `" }`, filtertest.Event("ip", "8.8.8.8"),
			plugin.Match, countryFields, map[string]string{
				"[geoip][ip]": `"8.8.8.8"`, "[geoip][country_code2]": `"US"`, "[geoip][country_code3]": `"US"`,
				"[geoip][country_name]": `"United States"`, "[geoip][continent_code]": `"NA"`,
				"[geoip][latitude]": "37.751", "[geoip][longitude]": "-97.822",
				"[geoip][location][lat]": "37.751", "[geoip][location][lon]": "-97.822", "tags": filtertest.Absent}},
		{"defaults: localhost is not found", `geoip { source => "ip" database => "` + db + `" }`, filtertest.Event("ip", "127.0.0.1"),
			plugin.NoMatch, nil, map[string]string{"geoip": "{}", "tags": `["_geoip_lookup_failure"]`}},
		{"a target", `geoip { source => "ip" database => "` + db + `" target => src_ip }`, filtertest.Event("ip", "8.8.8.8"),
			plugin.Match, countryFields, map[string]string{"[src_ip][ip]": `"8.8.8.8"`, "geoip": filtertest.Absent}},
		{"source within the target", `geoip { source => "[target][ip]" target => "target" fields => [ "city_name", "region_name" ] database => "` + db + `" }`,
			filtertest.Event("[target][ip]", "173.9.34.107"), plugin.Match, []string{"city_name", "ip", "region_name"},
			map[string]string{"[target][ip]": `"173.9.34.107"`, "[target][city_name]": `"Worcester"`, "[target][region_name]": `"Massachusetts"`}},
		{"every city field", `geoip { source => "ip" database => "` + db + `" }`, filtertest.Event("ip", "173.9.34.107"),
			plugin.Match, []string{"city_name", "continent_code", "country_code2", "country_code3", "country_name", "dma_code", "ip",
				"latitude", "location", "longitude", "postal_code", "region_code", "region_name", "timezone"},
			map[string]string{"[geoip][dma_code]": "506", "[geoip][postal_code]": `"01604"`, "[geoip][region_code]": `"MA"`,
				"[geoip][timezone]": `"America/New_York"`, "[geoip][latitude]": "42.2684"}},
		{"UTF-8 names, the most specific region", `geoip { source => "ip" database => "` + db + `" }`, filtertest.Event("ip", "189.2.0.0"),
			plugin.Match, []string{"city_name", "continent_code", "country_code2", "country_code3", "country_name", "ip",
				"latitude", "location", "longitude", "region_code", "region_name", "timezone"},
			map[string]string{"[geoip][city_name]": `"São Paulo"`, "[geoip][region_name]": `"Zona Sul"`, "[geoip][region_code]": `"X1"`}},
		{"location without latitude and longitude", `geoip { source => "message" fields => ["country_name", "location"] database => "` + db + `" }`,
			filtertest.Event("message", "8.8.8.8"), plugin.Match, []string{"country_name", "location"},
			map[string]string{"[geoip][location][lat]": "37.751"}},
		{"IPv6, written as Java writes it", `geoip { source => "message" database => "` + db + `" }`, filtertest.Event("message", "2607:f0d0:1002:51::4"),
			plugin.Match, countryFields, map[string]string{"[geoip][ip]": `"2607:f0d0:1002:51:0:0:0:4"`}},
		{"an array: its first item", `geoip { source => "ip" database => "` + db + `" }`, filtertest.Event("ip", event.Strings("8.8.8.8", "1.2.3.4")),
			plugin.Match, countryFields, map[string]string{"[geoip][ip]": `"8.8.8.8"`}},
		{"a record without a location gives nothing", `geoip { source => "ip" database => "` + db + `" }`, filtertest.Event("ip", "1.1.1.1"),
			plugin.NoMatch, nil, map[string]string{"geoip": "{}", "tags": `["_geoip_lookup_failure"]`}},
		{"no source field: tags, no target", `geoip { source => "ip" database => "` + db + `" }`, filtertest.Event("other", "8.8.8.8"),
			plugin.NoMatch, nil, map[string]string{"geoip": filtertest.Absent, "tags": `["_geoip_lookup_failure"]`}},
		{"a source that is not a string: tags, no target", `geoip { source => "ip" database => "` + db + `" }`, filtertest.Event("ip", event.Int(8)),
			plugin.NoMatch, nil, map[string]string{"geoip": filtertest.Absent, "tags": `["_geoip_lookup_failure"]`}},
		{"tag_on_failure", `geoip { source => "ip" database => "` + db + `" tag_on_failure => ["a", "b"] }`, filtertest.Event("ip", "N/A"),
			plugin.NoMatch, nil, map[string]string{"geoip": "{}", "tags": `["a","b"]`}},
		{"fields already in the target are replaced", `geoip { source => "[geoip][ip]" database => "` + db + `" fields => ["ip"] }`,
			filtertest.Event("[geoip][ip]", "::ffff:8.8.8.8"), plugin.Match, []string{"ip"}, map[string]string{"[geoip][ip]": `"8.8.8.8"`}},
		{"the target's other keys stay", `geoip { source => "[geoip][ip]" database => "` + db + `" fields => ["country_name"] }`,
			filtertest.Event("[geoip][ip]", "8.8.8.8", "[geoip][note]", "kept"), plugin.Match, []string{"country_name", "ip", "note"},
			map[string]string{"[geoip][note]": `"kept"`, "[geoip][ip]": `"8.8.8.8"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := filtertest.Build(t, c.block, New)
			t.Cleanup(func() { f.Close() })
			if got := f.Apply(c.event); got != c.result {
				t.Fatalf("Apply = %v; want %v (event %s)", got, c.result, filtertest.Show(c.event))
			}
			if c.keys != nil {
				target := "geoip"
				if strings.Contains(c.block, "target =>") {
					target = strings.Fields(c.block[strings.Index(c.block, "target =>")+len("target =>"):])[0]
					target = strings.Trim(target, `"`)
				}
				if got := keys(c.event, target); !slices.Equal(got, c.keys) {
					t.Errorf("%s has %v; want %v\nevent: %s", target, got, c.keys, filtertest.Show(c.event))
				}
			}
			filtertest.Check(t, c.event, c.want)
		})
	}
}

// TestBadAddresses: what the spec's "an invalid IP" checks, and what
// Java's InetAddress does not read as an address.
func TestBadAddresses(t *testing.T) {
	t.Parallel()
	f := filtertest.Build(t, `geoip { source => "message" database => "`+cityDB(t)+`" }`, New)
	t.Cleanup(func() { f.Close() })
	for _, s := range []string{"-", "~", "N/A", "123.45.67.89,61.160.232.222", "0.0.0.0", "::1", "", "example.com", " 8.8.8.8", "8.8.8.8.8", "[8.8.8.8]", "256.1.1.1"} {
		e := filtertest.Event("message", s)
		if got := f.Apply(e); got != plugin.NoMatch {
			t.Errorf("Apply(%q) = %v; want NoMatch", s, got)
		}
		filtertest.Check(t, e, map[string]string{"geoip": "{}", "tags": `["_geoip_lookup_failure"]`})
	}
}

func TestAddressForms(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"8.8.8.8", "8.8.8.8"},
		{"008.008.008.008", "8.8.8.8"}, // leading zeros are decimal in Java
		{"8.8.2056", "8.8.8.8"},        // a.b.c: c fills the last two bytes
		{"8.526344", "8.8.8.8"},
		{"134744072", "8.8.8.8"},
		{"::ffff:8.8.8.8", "8.8.8.8"}, // IPv4-mapped: the IPv4 address
		{"[2607:f0d0:1002:51::4]", "2607:f0d0:1002:51:0:0:0:4"},
		{"2607:F0D0:1002:0051:0000:0000:0000:0004", "2607:f0d0:1002:51:0:0:0:4"},
		{"fe80::1%eth0", "fe80:0:0:0:0:0:0:1%eth0"},
		{"::", "0:0:0:0:0:0:0:0"},
	} {
		a, ok := parseAddr(c.in)
		if !ok || a.text != c.want {
			t.Errorf("parseAddr(%q) = %q, %v; want %q, true", c.in, a.text, ok, c.want)
		}
	}
	for _, s := range []string{"", "8.8.8.8.8", "8.8.8.256", "8.16777216", "8..8.8", ".8.8.8", "8.8.8.", "1234567890123456", "a.b.c.d", "-1.2.3.4", "[8.8.8.8]", "[::1", "example.com"} {
		if a, ok := parseAddr(s); ok {
			t.Errorf("parseAddr(%q) = %q; want no address", s, a.text)
		}
	}
}

func TestOtherDatabases(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, dbType, block string
		record              mmdbtype.Map
		keys                []string
		want                map[string]string
	}{
		{"GeoLite2-ASN (the spec's)", "GeoLite2-ASN", "", mmdbtype.Map{
			"autonomous_system_number": mmdbtype.Uint32(15169), "autonomous_system_organization": mmdbtype.String("Google Inc.")},
			[]string{"as_org", "asn", "ip"}, map[string]string{"[geoip][asn]": "15169", "[geoip][as_org]": `"Google Inc."`}},
		{"GeoIP2-ISP", "GeoIP2-ISP", "", mmdbtype.Map{
			"autonomous_system_number": mmdbtype.Uint32(15169), "autonomous_system_organization": mmdbtype.String("Google LLC"),
			"isp": mmdbtype.String("Google"), "organization": mmdbtype.String("Google Public DNS")},
			[]string{"as_org", "asn", "ip", "isp", "organization"}, map[string]string{"[geoip][isp]": `"Google"`, "[geoip][organization]": `"Google Public DNS"`}},
		{"GeoLite2-Country", "GeoLite2-Country", "", unitedStates,
			[]string{"continent_name", "country_code2", "country_name", "ip"}, map[string]string{"[geoip][continent_name]": `"North America"`}},
		{"fields a database does not have are left out", "GeoLite2-ASN", `fields => ["ip", "city_name", "AUTONOMOUS_SYSTEM_NUMBER"]`,
			mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(15169)}, []string{"asn", "ip"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			db := geoiptest.WriteDB(t, c.dbType, map[string]mmdbtype.Map{"8.8.8.0/24": c.record})
			f := filtertest.Build(t, `geoip { source => "ip" database => "`+db+`" `+c.block+` }`, New)
			t.Cleanup(func() { f.Close() })
			e := filtertest.Event("ip", "8.8.8.8")
			if got := f.Apply(e); got != plugin.Match {
				t.Fatalf("Apply = %v; want Match (event %s)", got, filtertest.Show(e))
			}
			if got := keys(e, "geoip"); !slices.Equal(got, c.keys) {
				t.Errorf("geoip has %v; want %v\nevent: %s", got, c.keys, filtertest.Show(e))
			}
			filtertest.Check(t, e, c.want)
		})
	}
}

// TestCache: a record read once is served from the cache, bounded by
// cache_size; addresses sharing a record still get their own ip.
func TestCache(t *testing.T) {
	t.Parallel()
	f := filtertest.Build(t, `geoip { source => "ip" database => "`+cityDB(t)+`" cache_size => 1 }`, New)
	t.Cleanup(func() { f.Close() })
	for _, ip := range []string{"8.8.8.8", "8.8.8.9", "173.9.34.107", "8.8.8.10"} {
		e := filtertest.Event("ip", ip)
		f.Apply(e)
		filtertest.Check(t, e, map[string]string{"[geoip][ip]": `"` + ip + `"`})
	}
	if len(f.cache) != 1 {
		t.Errorf("the cache holds %d records; want 1 (cache_size)", len(f.cache))
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a database\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := geoiptest.WriteDB(t, "GeoIP2-Enterprise", map[string]mmdbtype.Map{"8.8.8.0/24": unitedStates})
	db := cityDB(t)
	for _, c := range []struct{ block, want string }{
		{`geoip { database => "` + db + `" }`, `missing required option "source"`},
		{`geoip { source => "ip" }`, `"database": is required: logship ships no GeoIP database; download GeoLite2-City.mmdb`},
		{`geoip { source => "ip" default_database_type => "ASN" }`, "download GeoLite2-ASN.mmdb"},
		{`geoip { source => "ip" default_database_type => "Country" database => "` + db + `" }`, "default_database_type"},
		{`geoip { source => "ip" database => "` + filepath.Join(dir, "absent.mmdb") + `" }`, "absent.mmdb does not exist"},
		{`geoip { source => "ip" database => "` + text + `" }`, "notes.txt is not a MaxMind database"},
		{`geoip { source => "ip" database => "` + other + `" }`, `is a "GeoIP2-Enterprise" database`},
		{`geoip { source => "ip" database => "` + db + `" fields => ["city", "ip"] }`, `illegal field value "city"; valid values are`},
		{`geoip { source => "ip" database => "` + db + `" cache_size => 0 }`, "cache_size"},
		{`geoip { source => "ip" database => "` + db + `" target => "a]" }`, "target"},
	} {
		filtertest.Refused(t, c.block, func(o *plugin.Options) *Filter {
			f := New(o)
			t.Cleanup(func() { f.Close() })
			return f
		}, c.want)
	}
	o := filtertest.Options(t, `geoip { source => "ip" database => "`+db+`" lru_cache_size => 10 }`)
	f := New(o)
	t.Cleanup(func() { f.Close() })
	if err := o.Err(); err != nil {
		t.Fatalf("lru_cache_size: %v; want it accepted", err)
	}
	if w := o.Warnings(); len(w) != 1 || !strings.Contains(w[0], "deprecated in favor of cache_size") {
		t.Errorf("lru_cache_size warnings %q; want one saying it is deprecated", w)
	}
}
