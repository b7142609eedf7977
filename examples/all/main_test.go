package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/examples/internal/exampletest"
	"github.com/sqsflow/sqsflow/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every example directory is in the list all runs, and nothing else is.
func TestEveryExampleIsListed(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	entries, err := os.ReadDir("..")
	is.NoErr(err)
	var found []string
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "all" || e.Name() == "internal" {
			continue
		}
		src, err := os.ReadFile(filepath.Join("..", e.Name(), "main.go"))
		if err == nil && bytes.Contains(src, []byte("\npackage main\n")) {
			found = append(found, e.Name())
		}
	}
	slices.Sort(found)
	listed := slices.Sorted(slices.Values(examples))
	is.Equal(listed, found) // examples/all's list and the example directories differ
}

// all builds the examples, runs them, passes its flags on, and reports each
// one's outcome; a failing example makes it fail, naming the example.
func TestRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
		want    []string
	}{
		{
			name: "passes",
			want: []string{"=== tomodachi\n", "summary: the Go service handled 3 JSON and 2 protobuf messages", "=== all\n  ok    tomodachi "},
		},
		{
			name:    "fails",
			args:    []string{"-no-such-flag"},
			wantErr: "1 of 1 examples failed: tomodachi",
			want:    []string{"flag provided but not defined: -no-such-flag", "  FAIL  tomodachi "},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			var out bytes.Buffer
			args := tc.args
			if ep := os.Getenv(testenv.EndpointVariable); ep != "" {
				args = append([]string{"-endpoint", ep}, args...)
			}
			err := run(exampletest.Context(t, 5*time.Minute), Config{Examples: []string{"tomodachi"}, Args: args}, &out)
			t.Log("\n" + out.String())
			if tc.wantErr == "" {
				is.NoErr(err)
			} else {
				is.True(err != nil && strings.Contains(err.Error(), tc.wantErr))
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("missing from the output: %q", w)
				}
			}
		})
	}
}
