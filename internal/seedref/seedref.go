// Package seedref finds the seed's reference material: the chapter's
// files (seed/) and the runnable Node app (reference/seed-nodeapp/). It
// lives outside the repository, in a folder named shared beside it or
// above it; tests and benchmarks compare against it rather than against
// copies of our own.
package seedref

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Env names the variable that points at the shared folder, for checkouts
// that do not sit below it (CI's clean clone: .ci/run sets it).
const Env = "APPSTACK_SHARED"

// marker is a file that only the shared folder holds.
var marker = filepath.Join("seed", "logstash.conf")

// Dir returns the shared folder: $APPSTACK_SHARED if set, otherwise the
// first folder named shared, holding seed/logstash.conf, beside the
// working directory or one of its parents.
func Dir(getenv func(string) string) (string, error) {
	if dir := getenv(Env); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return "", fmt.Errorf("%s=%s is not the shared folder: %w", Env, dir, err)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the shared folder: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "shared")
		if _, err := os.Stat(filepath.Join(candidate, marker)); err == nil {
			return candidate, nil
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return "", errors.New("the shared folder (seed/ and reference/) is not beside " + wd + " or any parent: set " + Env)
}

// NodeApp returns the seed's Node app folder, whose node_modules hold
// connect, connect-redis, cookie-signature and uid2.
func NodeApp(getenv func(string) string) (string, error) {
	dir, err := Dir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "reference", "seed-nodeapp"), nil
}
