package joda

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // logship's image has no zoneinfo files
)

// Zone returns the time zone Joda's DateTimeZone.forID accepts for id:
// "UTC", an IANA id ("Europe/Paris", "EST", "Etc/GMT+2"), or an offset
// "+HH", "+HH:mm", "+HHmm", "+HH:mm:ss" (fixed). Ids are case-sensitive.
func Zone(id string) (*time.Location, error) {
	switch {
	case id == "UTC":
		return time.UTC, nil
	case id == "" || id == "Local":
		return nil, fmt.Errorf("the time zone id %q is not recognised", id)
	case id[0] == '+' || id[0] == '-':
		var b bucket
		if end := parseOffset(id, 0, "", &b); end != len(id) {
			return nil, fmt.Errorf("the time zone offset %q is not ±HH:mm", id)
		}
		if b.offset == 0 {
			return time.UTC, nil
		}
		return time.FixedZone(id, int(b.offset/1000)), nil
	}
	loc, err := time.LoadLocation(id)
	if err != nil {
		return nil, fmt.Errorf("the time zone id %q is not recognised", id)
	}
	return loc, nil
}

// Zones caches Zone's answers. It is safe for concurrent use and holds
// at most maxZones ids (then it stops caching new ones): ids may come
// from events (timezone => "%{tz}").
type Zones struct {
	mu sync.Mutex
	m  map[string]zoneAnswer
}

type zoneAnswer struct {
	loc *time.Location
	err error
}

const maxZones = 1024

// NewZones returns an empty cache.
func NewZones() *Zones { return &Zones{m: map[string]zoneAnswer{}} }

// Lookup is Zone, cached.
func (z *Zones) Lookup(id string) (*time.Location, error) {
	z.mu.Lock()
	a, ok := z.m[id]
	z.mu.Unlock()
	if ok {
		return a.loc, a.err
	}
	loc, err := Zone(id)
	z.mu.Lock()
	if len(z.m) < maxZones {
		z.m[id] = zoneAnswer{loc, err}
	}
	z.mu.Unlock()
	return loc, err
}

// parseID is Joda's TimeZoneId parser (pattern ZZZ): the longest zone id
// at pos.
func (z *Zones) parseID(s string, pos int, b *bucket) int {
	end := pos
	for end < len(s) && (isLetter(rune(s[end])) || isDigit(s[end]) || strings.IndexByte("/_-+", s[end]) >= 0) {
		end++
	}
	for ; end > pos; end-- {
		id := s[pos:end]
		if id[0] == '+' || id[0] == '-' || id == "Local" {
			continue
		}
		if loc, err := z.Lookup(id); err == nil {
			b.zone = loc
			return end
		}
	}
	return -1
}
