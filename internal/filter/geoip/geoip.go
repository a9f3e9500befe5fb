// Package geoip is Logstash's geoip filter (logstash-filter-geoip 4.3.1,
// as in Logstash 5.6): it adds where an IP address is, from a MaxMind
// database (GeoLite2 or GeoIP2 City, Country, ASN, or ISP) read with
// github.com/oschwald/maxminddb-golang, under Logstash 5's field names.
//
// Logstash 5 ships a GeoLite2-City database; logship ships none (MaxMind
// licenses it, and it would go stale), so the database option is
// required. Addresses are IP literals, read as Java's InetAddress reads
// them; Logstash would also resolve a host name through DNS, which a
// filter here does not do (it would stall the pipeline on every lookup):
// a name is a lookup failure.
package geoip

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"os"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/plugin"
)

// Filter is one geoip block.
type Filter struct {
	source, target event.Ref
	tagOnFailure   []string
	db             *maxminddb.Reader
	kind           kind
	fields         fieldSet
	// cache keeps what records give, by their offset in the database, up
	// to cacheSize of them and then no more, as Logstash's CHMCache does.
	cache     map[uintptr]*facts
	cacheSize int
}

// New reads the geoip options from o: source (required), database
// (required here), target ("geoip"), fields (default: all the database
// type gives), tag_on_failure (["_geoip_lookup_failure"]), cache_size
// (1000), default_database_type ("City" or "ASN": it picks the database
// Logstash ships, so without one it only names what to download), and
// lru_cache_size (deprecated and unused in Logstash 5). It opens the
// database.
func New(o *plugin.Options) *Filter {
	o.Require("source")
	f := &Filter{
		source:       o.Ref("source", ""),
		target:       o.Ref("target", "geoip"),
		tagOnFailure: o.StringList("tag_on_failure", []string{"_geoip_lookup_failure"}),
		cacheSize:    o.Int("cache_size", 1000, 1, math.MaxInt32),
	}
	if o.Has("lru_cache_size") {
		o.Int("lru_cache_size", 1000, 1, math.MaxInt32)
		o.Warn("lru_cache_size", "is deprecated in favor of cache_size, and has no effect")
	}
	dbType := o.Enum("default_database_type", "City", "City", "ASN")
	var fields []field
	for _, name := range o.StringList("fields", nil) {
		fl, ok := parseField(name)
		if !ok {
			o.Errorf("fields", "illegal field value %q; valid values are %s", name, optionNames())
			continue
		}
		fields = append(fields, fl)
	}
	path := o.String("database", "")
	if path == "" {
		o.Errorf("database", "is required: logship ships no GeoIP database; download GeoLite2-%s.mmdb from MaxMind and name it here", dbType)
		return f
	}
	db, err := open(path)
	if err != nil {
		o.Errorf("database", "%v", err)
		return f
	}
	f.db, f.kind = db, kinds[db.Metadata.DatabaseType]
	if len(fields) == 0 {
		f.fields = defaultFields[f.kind]
	} else {
		f.fields = setOf(fields...)
	}
	f.cache = make(map[uintptr]*facts)
	return f
}

// open opens the MaxMind database at path and checks it is of a type
// Logstash 5 reads.
func open(path string) (*maxminddb.Reader, error) {
	db, err := maxminddb.Open(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("the database %s does not exist", path)
	case err != nil:
		if _, serr := os.Stat(path); serr != nil {
			return nil, serr
		}
		return nil, fmt.Errorf("%s is not a MaxMind database: %w", path, err)
	}
	t := db.Metadata.DatabaseType
	if _, ok := kinds[t]; !ok {
		db.Close()
		return nil, fmt.Errorf("%s is a %q database; Logstash 5's geoip reads GeoLite2-City, GeoIP2-City, "+
			"GeoLite2-Country, GeoIP2-Country, GeoLite2-ASN and GeoIP2-ISP databases", path, t)
	}
	return db, nil
}

// Close releases the database.
func (f *Filter) Close() error {
	if f.db == nil {
		return nil
	}
	return f.db.Close()
}

// Apply looks up the source field's address (the first item of an array)
// and sets the fields the database has for it under the target. As in
// Logstash: a missing source gets the failure tags; an address that is
// not one, or that the database does not have, gets them and an empty
// target ({}). A source that is not a string (Logstash raises an error)
// gets the tags.
func (f *Filter) Apply(e *event.Event) plugin.Result {
	v, ok := e.Lookup(f.source)
	if ok && v.Kind() == event.ListKind {
		l := v.List()
		ok = len(l) > 0
		if ok {
			v = l[0]
		}
	}
	if !ok || v.Kind() != event.StringKind {
		return f.fail(e)
	}
	var found *facts
	addr, ok := parseAddr(v.Str())
	if ok {
		found = f.lookup(addr.ip)
	}
	old, ok := e.Lookup(f.target)
	if !ok || old.Kind() == event.Nil {
		old = event.Map()
		e.Put(f.target, old)
	}
	fs := f.fieldsOf(found, addr, old)
	if fs == nil {
		return f.fail(e)
	}
	e.Put(f.target, event.Map(fs...))
	return plugin.Match
}

// fieldsOf returns the target's fields with those of found (the fields
// option's, that the database type gives and the record has) set in, in
// Logstash's order; nil when found gives none.
func (f *Filter) fieldsOf(found *facts, addr address, old event.Value) []event.Field {
	if found == nil {
		return nil
	}
	var fs []event.Field
	if old.Kind() == event.MapKind {
		fs = append(make([]event.Field, 0, len(old.Map())+int(numFields)), old.Map()...)
	}
	set := 0
	for fl := range numFields {
		if !f.fields.has(fl) || !applies(f.kind, fl) {
			continue
		}
		v := found[fl]
		if fl == ip {
			v = event.String(addr.text)
		}
		if v.Kind() == event.Nil {
			continue
		}
		if fs == nil {
			fs = make([]event.Field, 0, numFields)
		}
		set++
		key := fieldInfo[fl].key
		if i := indexOf(fs, key); i >= 0 {
			fs[i].Value = v
		} else {
			fs = append(fs, event.Field{Key: key, Value: v})
		}
	}
	if set == 0 {
		return nil
	}
	return fs
}

func indexOf(fs []event.Field, key string) int {
	for i := range fs {
		if fs[i].Key == key {
			return i
		}
	}
	return -1
}

func (f *Filter) fail(e *event.Event) plugin.Result {
	for _, t := range f.tagOnFailure {
		e.AddTag(t)
	}
	return plugin.NoMatch
}

// lookup returns what the database has for addr; nil when it does not
// have it, or on a read error (which Logstash also counts as not found).
func (f *Filter) lookup(addr netip.Addr) *facts {
	r := f.db.Lookup(addr)
	if !r.Found() {
		return nil
	}
	if fs, ok := f.cache[r.Offset()]; ok {
		return fs
	}
	d, found, err := decode(f.kind, r)
	if err != nil {
		return nil
	}
	var fs *facts
	if found {
		fs = &d
	}
	if len(f.cache) < f.cacheSize {
		f.cache[r.Offset()] = fs
	}
	return fs
}
