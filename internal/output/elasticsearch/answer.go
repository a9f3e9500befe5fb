package elasticsearch

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// A failed _bulk request is one of three kinds, by what sending it again
// could do.
//
//   - retryable: the store is unreachable, overloaded or failing for now
//     (a connection error, 408, 429, 5xx), or refuses the credentials (401,
//     403: fixed by an operator, not by setting the logs aside). Sent again,
//     with backoff, for as long as it takes; meanwhile reading pauses and
//     the lines wait in their files.
//   - tooLarge: 413. The batch is split in halves, down to one document.
//   - rejected: an answer that will never be different (another 4xx, a 2xx
//     that is not a _bulk answer, items that do not match the documents):
//     the documents go to the dead-letter file with the reason.
type failureKind uint8

const (
	retryable failureKind = iota
	tooLarge
	rejected
)

// requestError is a _bulk request that failed as a whole.
type requestError struct {
	kind   failureKind
	status int // 0 without an HTTP answer
	msg    string
	err    error
}

func (e *requestError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *requestError) Unwrap() error { return e.err }

func kindOf(err error) failureKind {
	var re *requestError
	if errors.As(err, &re) {
		return re.kind
	}
	return retryable
}

// bulkResponse is the part of a _bulk answer the output reads.
type bulkResponse struct {
	Items []map[string]json.RawMessage `json:"items"`
}

// bulkSummary is what a _bulk answer says as a whole: with errors false,
// Elasticsearch stored every item, and items are only counted.
type bulkSummary struct {
	Errors *bool      `json:"errors"`
	Items  []struct{} `json:"items"`
}

type itemResult struct {
	Status int             `json:"status"`
	Error  json.RawMessage `json:"error"`
}

// readAnswer classifies a whole answer to a _bulk request of docs
// documents and returns its items, or none when every one was stored.
func readAnswer(status int, statusText string, body []byte, docs int) ([]map[string]json.RawMessage, error) {
	if status < 200 || status > 299 {
		e := &requestError{kind: rejected, status: status, msg: fmt.Sprintf("%s: %s", statusText, snippet(body))}
		switch {
		case status == http.StatusRequestEntityTooLarge:
			e.kind = tooLarge
		case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500,
			status == http.StatusUnauthorized, status == http.StatusForbidden:
			e.kind = retryable
		}
		return nil, e
	}
	var sum bulkSummary
	if err := json.Unmarshal(body, &sum); err != nil {
		// A 2xx that is not a _bulk answer: the request reached something
		// else (a wrong path answers 200 with an empty body on
		// VictoriaLogs). Sending it again gets the same answer.
		return nil, &requestError{kind: rejected, status: status,
			msg: fmt.Sprintf("unreadable _bulk answer %q (is the host's path right?)", snippet(body)), err: err}
	}
	if len(sum.Items) != docs {
		return nil, &requestError{kind: rejected, status: status,
			msg: fmt.Sprintf("_bulk answered %d items for %d documents: %q", len(sum.Items), docs, snippet(body))}
	}
	if sum.Errors != nil && !*sum.Errors {
		return nil, nil // the common case, read at a third of the cost of the items
	}
	var br bulkResponse
	if err := json.Unmarshal(body, &br); err != nil {
		return nil, &requestError{kind: rejected, status: status, msg: fmt.Sprintf("unreadable _bulk items %q", snippet(body)), err: err}
	}
	return br.Items, nil
}

func snippet(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return strings.TrimSpace(string(b))
}
