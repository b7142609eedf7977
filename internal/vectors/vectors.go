// Package vectors finds the tomodachi interop vectors for tests: the
// payloads, names and policies made by tomodachi's own code, kept beside the
// project in ../shared/interop/vectors.
package vectors

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the directory of the interop vectors: ../shared/interop/vectors
// relative to the module root (the nearest directory above the test's
// working directory that holds go.mod). It fails the test, saying where it
// looked, if they are missing.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("vectors: no go.mod above the test's working directory")
		}
		dir = parent
	}
	v := filepath.Join(dir, "..", "shared", "interop", "vectors")
	if _, err := os.Stat(filepath.Join(v, "README.md")); err != nil {
		t.Fatalf("vectors: the tomodachi interop vectors are not at %s: %v", v, err)
	}
	return v
}
