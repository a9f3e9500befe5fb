// Package geoiptest writes small MaxMind databases for tests, with
// MaxMind's own writer (github.com/maxmind/mmdbwriter).
package geoiptest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// WriteDB writes a database of type dbType (its metadata's
// database_type, e.g. GeoLite2-City) holding records by network (CIDR)
// into a temporary directory and returns its path.
func WriteDB(tb testing.TB, dbType string, records map[string]mmdbtype.Map) string {
	tb.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: dbType, RecordSize: 28})
	if err != nil {
		tb.Fatal(err)
	}
	for cidr, rec := range records {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			tb.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			tb.Fatalf("insert %s: %v", cidr, err)
		}
	}
	path := filepath.Join(tb.TempDir(), dbType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Names is a record's names in English, and in German to show that the
// English ones are read.
func Names(en string) mmdbtype.Map {
	return mmdbtype.Map{"en": mmdbtype.String(en), "de": mmdbtype.String(en + " (de)")}
}

// Worcester is the GeoLite2-City record of 173.9.34.107, the address of
// the geoip plugin's spec, as the spec reads it (Worcester,
// Massachusetts).
var Worcester = mmdbtype.Map{
	"city":      mmdbtype.Map{"geoname_id": mmdbtype.Uint32(4956184), "names": Names("Worcester")},
	"continent": mmdbtype.Map{"code": mmdbtype.String("NA"), "names": Names("North America")},
	"country":   mmdbtype.Map{"iso_code": mmdbtype.String("US"), "names": Names("United States")},
	"location": mmdbtype.Map{"accuracy_radius": mmdbtype.Uint16(5), "latitude": mmdbtype.Float64(42.2684),
		"longitude": mmdbtype.Float64(-71.8107), "metro_code": mmdbtype.Uint16(506), "time_zone": mmdbtype.String("America/New_York")},
	"postal": mmdbtype.Map{"code": mmdbtype.String("01604")},
	"subdivisions": mmdbtype.Slice{
		mmdbtype.Map{"iso_code": mmdbtype.String("MA"), "names": Names("Massachusetts")},
	},
}
