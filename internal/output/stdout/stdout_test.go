package stdout

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/appstack/appstack/internal/event"
	"github.com/appstack/appstack/internal/output/outputtest"
	"github.com/appstack/appstack/internal/pipeline"
)

func TestConformance(t *testing.T) {
	outputtest.Run(t, outputtest.Harness{New: func(t testing.TB) (pipeline.Output, func() []map[string]any) {
		var buf bytes.Buffer
		return New(&buf, event.JSON{Delimiter: "\n"}), func() []map[string]any {
			return outputtest.DecodeLines(t, bytes.Split(buf.Bytes(), []byte("\n")))
		}
	}})
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrorsAreReturned(t *testing.T) {
	t.Parallel()
	o := New(failing{}, event.Rubydebug{})
	e := outputtest.Event(&event.Decoration{}, "m", "/p", time.Unix(0, 0))
	err := o.Write(context.Background(), []event.Event{e})
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Write to a broken stream = %v; want the write error", err)
	}
}
