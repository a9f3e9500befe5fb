// Package nodetest runs small JavaScript programs on the real node
// binary, so that tests can check webapp's copies of JavaScript and
// connect behaviour against the originals.
package nodetest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/appstack/appstack/internal/seedref"
)

// SeedApp is the directory of the seed's Node app, whose node_modules
// hold connect, cookie-signature and friends (see seedref). It fails the
// test if the app cannot be found.
func SeedApp(tb testing.TB) string {
	tb.Helper()
	dir, err := seedref.NodeApp(os.Getenv)
	if err != nil {
		tb.Fatalf("nodetest: %v", err)
	}
	return dir
}

// Eval runs script with node in the seed app's directory (so require
// finds its node_modules), passing in as JSON on stdin, and decodes the
// JSON the script prints to out. It fails the test if node is missing or
// the script fails: interop tests must not pass by skipping.
func Eval(tb testing.TB, script string, in, out any) {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatalf("nodetest: node is required: %v", err)
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		tb.Fatalf("nodetest: encode input: %v", err)
	}
	prelude := `const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const print = (v) => process.stdout.write(JSON.stringify(v));
`
	cmd := exec.Command(node, "-e", prelude+script)
	cmd.Dir = SeedApp(tb)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("nodetest: node: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		tb.Fatalf("nodetest: decode node output %q: %v", stdout.String(), err)
	}
}
