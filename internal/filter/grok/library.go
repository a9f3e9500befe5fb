package grok

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
)

// The patterns Logstash 5.6 ships: logstash-patterns-core v4.1.2's
// patterns/ folder, verbatim (Apache License 2.0, © Elasticsearch), with
// the legacy field names (clientip, verb, response, …). Elastic's go-grok
// ships only the later ECS names, which Logstash 5 configs do not expect.
//
//go:embed patterns
var corePatterns embed.FS

// library is a set of named patterns: NAME → regular expression.
type library map[string]string

// coreLibrary returns Logstash's built-in patterns, files loaded in name
// order so that a later definition of a name wins, as in Logstash.
func coreLibrary() (library, error) {
	lib := library{}
	entries, err := fs.ReadDir(corePatterns, "patterns")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		f, err := corePatterns.Open("patterns/" + e.Name())
		if err != nil {
			return nil, err
		}
		err = lib.read(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("built-in patterns %s: %w", e.Name(), err)
		}
	}
	return lib, nil
}

// read adds the patterns of one file in jls-grok's format: NAME, white
// space, the pattern to the end of the line; lines starting with # and
// lines without a pattern are skipped.
func (lib library) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t\r\n\f\v")
		if strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.IndexAny(line, " \t\r\n\f\v")
		if i < 0 {
			continue
		}
		pattern := strings.TrimLeft(line[i:], " \t\r\n\f\v")
		if pattern == "" {
			continue
		}
		lib[line[:i]] = strings.TrimRight(pattern, "\r")
	}
	return sc.Err()
}

// patternFiles lists the files of patterns_dir as Logstash does: a
// directory contributes its entries matching glob, a file itself; a
// path matching nothing contributes nothing. Sub-directories are skipped.
func patternFiles(dirs []string, glob string) ([]string, error) {
	if _, err := filepath.Match(glob, ""); err != nil {
		return nil, fmt.Errorf("patterns_files_glob %q: %w", glob, err)
	}
	var files []string
	for _, dir := range dirs {
		path := dir
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			path = filepath.Join(dir, glob)
		}
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, fmt.Errorf("patterns_dir %q: %w", dir, err)
		}
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && !st.IsDir() {
				files = append(files, m)
			}
		}
	}
	return files, nil
}

// withFiles returns lib with the patterns of files added, in a copy
// when there are any: lib itself is never written.
func (lib library) withFiles(files []string) (library, error) {
	if len(files) == 0 {
		return lib, nil
	}
	out := maps.Clone(lib)
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		err = out.read(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return out, nil
}
