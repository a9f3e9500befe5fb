package elasticsearch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/appstack/appstack/internal/event"
)

// deadLetters is the file of documents the store rejected for good: one
// JSON object a line, {"status":…,"index":…,"error":…,"event":{…}}. It is
// safe for concurrent use.
type deadLetters struct {
	mu    sync.Mutex
	path  string
	f     *os.File
	codec event.JSON
	line  []byte
}

// rejection is why a document was set aside: the item's HTTP status and
// its error object, or the status and message of the whole answer.
type rejection struct {
	status int
	error  json.RawMessage
}

func requestRejection(err error) rejection {
	status := 0
	if re := (*requestError)(nil); errors.As(err, &re) {
		status = re.status
	}
	msg, _ := json.Marshal(err.Error()) // a string always marshals
	return rejection{status: status, error: msg}
}

// add appends the documents with their reasons (one reason for all, or
// one each) and syncs: a document counts as acknowledged only once it is
// safely set aside.
func (d *deadLetters) add(events []*event.Event, indexes []string, why []rejection) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		if err := os.MkdirAll(filepath.Dir(d.path), 0o755); err != nil {
			return fmt.Errorf("open dead-letter file: %w", err)
		}
		f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("open dead-letter file: %w", err)
		}
		d.f = f
	}
	d.line = d.line[:0]
	for i, e := range events {
		r := why[min(i, len(why)-1)]
		reason := r.error
		if len(reason) == 0 {
			reason = json.RawMessage("null")
		}
		d.line = fmt.Appendf(d.line, `{"status":%d,"index":%s,"error":%s,"event":`, r.status, appendString(nil, indexes[i]), reason)
		d.line = d.codec.Append(d.line, e)
		d.line = append(d.line, "}\n"...)
	}
	defer func() {
		if cap(d.line) > 1<<20 {
			d.line = nil // a batch of long lines: do not keep its memory
		}
	}()
	end, err := d.f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("write dead-letter file: %w", err)
	}
	if _, err := d.f.Write(d.line); err != nil {
		// Cut what was written, so the retry does not leave a torn record.
		return errors.Join(fmt.Errorf("write dead-letter file: %w", err), d.f.Truncate(end))
	}
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("sync dead-letter file: %w", err)
	}
	return nil
}

func (d *deadLetters) close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}
