package geoip

import (
	"slices"
	"strings"
)

// field is one field Logstash 5's geoip can set, in the order of its
// Fields enum (the order it looks them up in).
type field uint8

const (
	asn field = iota
	asOrg
	cityName
	countryName
	continentCode
	continentName
	countryCode2
	countryCode3
	ip
	isp
	postalCode
	dmaCode
	regionName
	regionCode
	timezone
	location
	latitude
	longitude
	organization
	numFields
)

// fieldInfo names each field: the value the fields option takes (the
// enum constant's name, which Logstash matches in upper case) and the
// key in the event.
var fieldInfo = [numFields]struct{ option, key string }{
	asn:           {"autonomous_system_number", "asn"},
	asOrg:         {"autonomous_system_organization", "as_org"},
	cityName:      {"city_name", "city_name"},
	countryName:   {"country_name", "country_name"},
	continentCode: {"continent_code", "continent_code"},
	continentName: {"continent_name", "continent_name"},
	countryCode2:  {"country_code2", "country_code2"},
	countryCode3:  {"country_code3", "country_code3"},
	ip:            {"ip", "ip"},
	isp:           {"isp", "isp"},
	postalCode:    {"postal_code", "postal_code"},
	dmaCode:       {"dma_code", "dma_code"},
	regionName:    {"region_name", "region_name"},
	regionCode:    {"region_code", "region_code"},
	timezone:      {"timezone", "timezone"},
	location:      {"location", "location"},
	latitude:      {"latitude", "latitude"},
	longitude:     {"longitude", "longitude"},
	organization:  {"organization", "organization"},
}

// fieldSet is a set of fields, one bit each.
type fieldSet uint32

func setOf(fs ...field) fieldSet {
	var s fieldSet
	for _, f := range fs {
		s |= 1 << f
	}
	return s
}

func (s fieldSet) has(f field) bool { return s&(1<<f) != 0 }

// The fields each kind of database gives when the fields option is not
// set (Logstash's DEFAULT_*_FIELDS).
var defaultFields = map[kind]fieldSet{
	city: setOf(ip, cityName, continentCode, countryName, countryCode2, countryCode3, postalCode, dmaCode,
		regionName, regionCode, timezone, location, latitude, longitude),
	country: setOf(ip, countryCode2, countryName, continentName),
	asnDB:   setOf(ip, asn, asOrg),
	ispDB:   setOf(ip, asn, asOrg, isp, organization),
}

// parseField returns the field the fields option names by name, case
// ignored as Logstash upper-cases it.
func parseField(name string) (field, bool) {
	for f := range numFields {
		if strings.EqualFold(fieldInfo[f].option, name) {
			return f, true
		}
	}
	return 0, false
}

// optionNames lists the values the fields option takes.
func optionNames() string {
	names := make([]string, 0, numFields)
	for _, fi := range fieldInfo {
		names = append(names, fi.option)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
