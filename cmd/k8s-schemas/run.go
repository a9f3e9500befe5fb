package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/appstack/appstack/internal/k8sschema"
)

func run(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("spec", "", "the OpenAPI v2 document (api/openapi-spec/swagger.json of k8s.io/kubernetes)")
	out := fs.String("out", "", "folder to write the schemas to")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *spec == "" || *out == "" || fs.NArg() == 0 {
		return fmt.Errorf("usage: k8s-schemas -spec swagger.json -out DIR APIVERSION/KIND...")
	}
	var kinds []k8sschema.Kind
	for _, a := range fs.Args() {
		k, err := k8sschema.ParseKind(a)
		if err != nil {
			return err
		}
		kinds = append(kinds, k)
	}
	doc, err := os.ReadFile(*spec)
	if err != nil {
		return err
	}
	files, err := k8sschema.Generate(doc, kinds)
	if err != nil {
		return fmt.Errorf("%s: %w", *spec, err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	stale, err := filepath.Glob(filepath.Join(*out, "*.json"))
	if err != nil {
		return err
	}
	for _, f := range stale {
		if _, keep := files[filepath.Base(f)]; !keep {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (%d bytes)\n", filepath.Join(*out, name), len(b))
	}
	return nil
}
