package elasticsearch

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestReadAnswerSortsFailures(t *testing.T) {
	t.Parallel()
	const (
		stored  = `{"took":1,"errors":false,"items":[{"create":{"status":201}},{"create":{"status":201}}]}`
		partial = `{"took":1,"errors":true,"items":[{"create":{"status":201}},{"create":{"status":429}}]}`
		unsaid  = `{"took":1,"items":[{"create":{"status":201}},{"create":{}}]}`
	)
	tests := []struct {
		name      string
		status    int
		body      string
		want      failureKind
		wantErr   string // "" for an answer that is read
		wantItems int    // items to look at: none when all were stored
	}{
		{"errors false: every item stored, none to read", 200, stored, 0, "", 0},
		{"errors true: the items are read", 200, partial, 0, "", 2},
		{"no errors field: the items are read", 200, unsaid, 0, "", 2},
		{"errors false with too few items is rejected", 200, `{"errors":false,"items":[{"create":{"status":201}}]}`, rejected, "1 items for 2 documents", 0},
		{"a 503 is retried", 503, "busy", retryable, "503", 0},
		{"a 500 is retried", 500, "<html>oops</html>", retryable, "oops", 0},
		{"a 429 is retried", 429, `{"error":"too many"}`, retryable, "429", 0},
		{"a 408 is retried", 408, "", retryable, "408", 0},
		{"a 401 waits for the credentials to be fixed", 401, "Unauthorized", retryable, "401", 0},
		{"a 413 is split", 413, "too large", tooLarge, "413", 0},
		{"a 400 is rejected", 400, "cannot parse", rejected, "cannot parse", 0},
		{"a 404 is rejected", 404, "no such path", rejected, "404", 0},
		{"an empty 200 (a wrong path on VictoriaLogs) is rejected", 200, "", rejected, "unreadable _bulk answer", 0},
		{"a 200 that is not JSON is rejected", 200, "<html>", rejected, "unreadable _bulk answer", 0},
		{"a 200 with fewer items than documents is rejected", 200, `{"items":[{"create":{"status":201}}]}`, rejected, "1 items for 2 documents", 0},
		{"a 200 with no items is rejected", 200, `{"took":0,"errors":false,"items":[]}`, rejected, "0 items for 2 documents", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := readAnswer(tt.status, fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status)), []byte(tt.body), 2)
			if tt.wantErr == "" {
				if err != nil || len(items) != tt.wantItems {
					t.Fatalf("readAnswer(%d, %q) = %d items, %v; want %d items", tt.status, tt.body, len(items), err, tt.wantItems)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || kindOf(err) != tt.want {
				t.Errorf("readAnswer(%d, %q) = %v (kind %d); want kind %d, an error containing %q", tt.status, tt.body, err, kindOf(err), tt.want, tt.wantErr)
			}
		})
	}
}
