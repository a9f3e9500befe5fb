package tail

import (
	"context"
	"fmt"
	"os"
)

// whenAcked arranges, for a file read mode read to its end, that its
// completed action runs once every line is acknowledged.
func (t *Tailer) whenAcked(r *reader) {
	if r.completedAt == r.commit {
		return // completed before (a restart found it so)
	}
	r.progress.completeWhenAcked(r.commit, func() {
		t.completedMu.Lock()
		t.completed = append(t.completed, r)
		t.completedMu.Unlock()
		select {
		case t.completeSig <- struct{}{}:
		default:
		}
	})
}

// completeDue runs the completed actions that are due.
func (t *Tailer) completeDue(ctx context.Context, out chan<- Chunk) {
	t.completedMu.Lock()
	due := t.completed
	t.completed = nil
	t.completedMu.Unlock()
	for _, r := range due {
		t.complete(ctx, out, r)
	}
}

// complete does file_completed_action for a file read to its end with
// every line acknowledged: log its path, delete it, or both (log first,
// and delete only once logged). A file that grew meanwhile is read on
// and completed at its new end.
func (t *Tailer) complete(ctx context.Context, out chan<- Chunk, r *reader) {
	if r.running {
		return // it grew and is read again: it completes at its new end
	}
	fi, err := os.Stat(r.at)
	if err != nil || keyOf(fi) != r.key {
		t.log.Warn("completed file is no longer there: no completed action", "path", r.at)
		r.progress.forget(r.key)
		t.remove(r)
		return
	}
	if fi.Size() != r.commit {
		t.start(ctx, out, r)
		return
	}
	if t.cfg.CompletedLog != "" {
		if err := appendLine(t.cfg.CompletedLog, r.at); err != nil {
			t.report(r.at, "file_completed_log_path", err)
			r.failed = true // retried at the next scan
			return
		}
	}
	if t.cfg.CompletedDelete {
		if err := os.Remove(r.at); err != nil {
			t.report(r.at, "file_completed_action delete", err)
			r.failed = true
			return
		}
		t.log.Info("deleted completed file", "path", r.at)
		r.progress.forget(r.key)
		t.remove(r)
		return
	}
	r.completedAt = r.commit
	r.progress.start(r.entry(), false)
	t.log.Info("completed file", "path", r.at)
}

// appendLine appends line and a newline to path, creating it.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("append to %s: %w", path, err)
	}
	return nil
}
