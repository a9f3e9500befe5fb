package main

import (
	"path/filepath"
	"strconv"

	esOut "github.com/appstack/appstack/internal/output/elasticsearch"
	"github.com/appstack/appstack/internal/pipeline"
	"github.com/appstack/appstack/internal/plugin"
)

func newElasticsearch(o *plugin.Options, e *env, index int) pipeline.Output {
	n := name(o, "elasticsearch", index)
	out := esOut.New(o, esOut.Env{
		DeadLetterPath: filepath.Join(e.dataDir, "dead_letter", "elasticsearch-"+strconv.Itoa(index)+".ndjson"),
		Retries:        e.pipeline.Retries.WithLabelValues(n),
		DeadLetters:    e.deadLetters.WithLabelValues(n),
		Log:            e.log,
		Workers:        e.workers,
	})
	if out == nil {
		return nil // o.Err() says why
	}
	return out
}
