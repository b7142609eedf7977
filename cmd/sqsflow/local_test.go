package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/matryer/is"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// health asks an endpoint's /health and returns the status code.
func health(t *testing.T, endpoint string) int {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(endpoint + "/health")
	if err != nil {
		t.Fatalf("GET /health: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestLocalServesUntilCancelled(t *testing.T) {
	is := is.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"local", "-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	is.True(lines.Scan()) // the endpoint line
	endpoint := lines.Text()
	is.True(strings.HasPrefix(endpoint, "http://127.0.0.1:"))
	is.Equal(health(t, endpoint), http.StatusOK)
	cancel()
	go io.Copy(io.Discard, pr) // drain the rest
	is.Equal(<-code, 0)
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"local", "-bogus"}, "sqsflow local: flag provided but not defined: -bogus"},
		{"stray argument", []string{"local", "extra"}, `sqsflow local: unexpected argument "extra"`},
		{"bad flag value", []string{"local", "-addr"}, "sqsflow local: flag needs an argument: -addr"},
		{"unknown command", []string{"frobnicate"}, `sqsflow: unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			var stdout, stderr bytes.Buffer
			is.Equal(run(context.Background(), tt.args, &stdout, &stderr), 2)
			is.Equal(strings.Count(stderr.String(), "\n"), 1) // one clear line
			is.True(strings.HasPrefix(stderr.String(), tt.want))
			is.Equal(stdout.Len(), 0)
		})
	}
}

func TestLocalFailsOnBusyAddress(t *testing.T) {
	is := is.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"local", "-addr", "127.0.0.1:0"}, pw, io.Discard)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	is.True(lines.Scan())
	addr := strings.TrimPrefix(lines.Text(), "http://")
	go io.Copy(io.Discard, pr)

	var stderr bytes.Buffer
	is.Equal(run(context.Background(), []string{"local", "-addr", addr}, io.Discard, &stderr), 1)
	is.True(strings.Contains(stderr.String(), "address already in use"))
	cancel()
	is.Equal(<-done, 0)
}

func TestHelp(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var stdout bytes.Buffer
	is.Equal(run(context.Background(), []string{"-h"}, &stdout, io.Discard), 0)
	is.True(strings.Contains(stdout.String(), "sqsflow local -addr 127.0.0.1:4566")) // an example per command
	stdout.Reset()
	is.Equal(run(context.Background(), []string{"local", "-h"}, &stdout, io.Discard), 0)
	is.True(strings.Contains(stdout.String(), "-addr host:port"))
	is.Equal(run(context.Background(), nil, io.Discard, io.Discard), 2)
}

// TestLocalExitsCleanlyOnSignal runs the real binary: SIGINT and SIGTERM
// stop it with status 0.
func TestLocalExitsCleanlyOnSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sqsflow binary")
	}
	bin := filepath.Join(t.TempDir(), "sqsflow")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			is := is.New(t)
			cmd := exec.Command(bin, "local", "-addr", "127.0.0.1:0")
			out, err := cmd.StdoutPipe()
			is.NoErr(err)
			is.NoErr(cmd.Start())
			lines := bufio.NewScanner(out)
			is.True(lines.Scan())
			is.Equal(health(t, lines.Text()), http.StatusOK)
			is.True(lines.Scan()) // the description line
			is.NoErr(cmd.Process.Signal(sig))
			for lines.Scan() {
			}
			is.NoErr(cmd.Wait()) // exit status 0
		})
	}
}
