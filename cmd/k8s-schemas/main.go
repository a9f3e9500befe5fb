// Command k8s-schemas writes the strict JSON schemas that kubeconform
// validates deploy/k8s against, from the Kubernetes OpenAPI document
// (internal/k8sschema). It replaces every *.json file in the output folder,
// so the folder holds exactly the kinds named.
//
// Usage (make k8s-schemas runs it on the OpenAPI document of the
// k8s.io/kubernetes version that deploy/k8s/tools/go.mod names):
//
//	go run ./cmd/k8s-schemas -spec swagger.json -out DIR APIVERSION/KIND...
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "k8s-schemas: %v\n", err)
		os.Exit(1)
	}
}
