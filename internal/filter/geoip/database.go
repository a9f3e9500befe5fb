package geoip

import (
	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/appstack/appstack/internal/event"
)

// kind is the structure of a database's records, which Logstash 5 reads
// from its metadata's database_type.
type kind uint8

const (
	city kind = iota + 1
	country
	asnDB
	ispDB
)

// kinds are the database types Logstash 5's geoip reads.
var kinds = map[string]kind{
	"GeoLite2-City": city, "GeoIP2-City": city,
	"GeoLite2-Country": country, "GeoIP2-Country": country,
	"GeoLite2-ASN": asnDB,
	"GeoIP2-ISP":   ispDB,
}

// facts are the values one record gives, by field: a value of kind
// event.Nil is one the record does not have. ip is the looked-up
// address's, set per event.
type facts [numFields]event.Value

// names holds a record's localized names; Logstash (GeoIP2-java's
// default locale) takes the English one.
type names struct {
	En string `maxminddb:"en"`
}

type cityRecord struct {
	City struct {
		Names names `maxminddb:"names"`
	} `maxminddb:"city"`
	Continent struct {
		Code  string `maxminddb:"code"`
		Names names  `maxminddb:"names"`
	} `maxminddb:"continent"`
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
		MetroCode *uint64  `maxminddb:"metro_code"`
		TimeZone  string   `maxminddb:"time_zone"`
	} `maxminddb:"location"`
	Postal struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"postal"`
	Subdivisions []struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
}

type asnRecord struct {
	Number       *uint64 `maxminddb:"autonomous_system_number"`
	Organization string  `maxminddb:"autonomous_system_organization"`
	ISP          string  `maxminddb:"isp"`
	Org          string  `maxminddb:"organization"`
}

// decode reads the record of r as Logstash's retrieve*GeoData does.
// found is false when the record gives nothing: a city record without a
// location gives nothing at all, as Logstash decides.
func decode(k kind, r maxminddb.Result) (fs facts, found bool, err error) {
	str := func(f field, s string) {
		if s != "" {
			fs[f] = event.String(s)
		}
	}
	switch k {
	case city, country:
		var rec cityRecord
		if err := r.Decode(&rec); err != nil {
			return fs, false, err
		}
		if k == city {
			loc := rec.Location
			if loc.Latitude == nil && loc.Longitude == nil {
				return fs, false, nil
			}
			str(cityName, rec.City.Names.En)
			str(continentCode, rec.Continent.Code)
			str(postalCode, rec.Postal.Code)
			str(timezone, loc.TimeZone)
			if loc.MetroCode != nil {
				fs[dmaCode] = event.Int(int64(*loc.MetroCode))
			}
			// The most specific subdivision: the last.
			if n := len(rec.Subdivisions); n > 0 {
				str(regionName, rec.Subdivisions[n-1].Names.En)
				str(regionCode, rec.Subdivisions[n-1].ISOCode)
			}
			if loc.Latitude != nil {
				fs[latitude] = event.Float(*loc.Latitude)
			}
			if loc.Longitude != nil {
				fs[longitude] = event.Float(*loc.Longitude)
			}
			if loc.Latitude != nil && loc.Longitude != nil {
				fs[location] = event.Map(event.Field{Key: "lat", Value: fs[latitude]}, event.Field{Key: "lon", Value: fs[longitude]})
			}
		}
		str(countryName, rec.Country.Names.En)
		str(continentName, rec.Continent.Names.En)
		str(countryCode2, rec.Country.ISOCode)
		// Logstash 5 fills country_code3 with the same two-letter code.
		str(countryCode3, rec.Country.ISOCode)
	case asnDB, ispDB:
		var rec asnRecord
		if err := r.Decode(&rec); err != nil {
			return fs, false, err
		}
		if rec.Number != nil {
			fs[asn] = event.Int(int64(*rec.Number))
		}
		str(asOrg, rec.Organization)
		if k == ispDB {
			str(isp, rec.ISP)
			str(organization, rec.Org)
		}
	}
	return fs, true, nil
}

// applies reports whether a database of kind k gives field f: Logstash's
// retrieve*GeoData ignores the others.
func applies(k kind, f field) bool {
	switch k {
	case city:
		return f != asn && f != asOrg && f != isp && f != organization
	case country:
		return f == ip || f == countryCode2 || f == countryName || f == continentName
	case asnDB:
		return f == ip || f == asn || f == asOrg
	}
	return f == ip || f == asn || f == asOrg || f == isp || f == organization
}
