package plugin

import "github.com/appstack/appstack/internal/event"

// Decorate applies the common options to an event an input built, as
// Logstash 5's Inputs::Base#decorate does: type, unless the event has
// one; add_field (a field already there becomes an array); then tags,
// appended without removing duplicates, as Logstash 5 does here.
func (c InputCommon) Decorate(e *event.Event) {
	if c.Type != "" {
		if _, ok := e.Get("type"); !ok {
			e.Set("type", event.String(c.Type))
		}
	}
	for _, f := range c.AddField {
		AddField(e, e.Sprintf(f.Key), f.Values)
	}
	if len(c.Tags) > 0 {
		tags := tagList(e)
		for _, t := range c.Tags {
			tags = append(tags, event.String(e.Sprintf(t)))
		}
		e.Set(event.TagsKey, event.List(tags...))
	}
}
