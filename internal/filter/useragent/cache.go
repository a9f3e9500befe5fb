package useragent

import "container/list"

// lru maps user agent strings to what they parse to, keeping the max
// most recently used, as Logstash's LRUMap does. It is not safe for
// concurrent use: a filter instance is used by one goroutine at a time.
type lru struct {
	max   int
	items map[string]*list.Element // of *cached
	order list.List                // most recent first
}

type cached struct {
	ua string
	r  *result
}

func newLRU(max int) *lru {
	return &lru{max: max, items: map[string]*list.Element{}}
}

func (c *lru) get(ua string) (*result, bool) {
	el, ok := c.items[ua]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cached).r, true
}

// add stores r for ua, which must not share memory the caller will
// reuse: the cache keeps it.
func (c *lru) add(ua string, r *result) {
	if c.order.Len() >= c.max {
		last := c.order.Back()
		delete(c.items, last.Value.(*cached).ua)
		c.order.Remove(last)
	}
	c.items[ua] = c.order.PushFront(&cached{ua, r})
}
