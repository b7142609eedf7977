// Command all runs every example in turn and fails if any of them fails.
//
// `go run` runs one main package at a time, so this is the one command that
// runs them all: it builds the examples with the go command (run it from
// within the repository), then runs each, every one on its own embedded
// emulator unless told otherwise. Its flags are passed on to every example.
//
//	go run ./examples/all
//	go run ./examples/all -endpoint http://127.0.0.1:4566
//	go run ./examples/all -aws
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
)

// examples are the examples, in the order they run.
var examples = []string{"etl", "fifo", "poison", "tomodachi"}

// module is the import path the examples' packages are under.
const module = "github.com/sqsflow/sqsflow/examples/"

// Config is one run of all the examples.
type Config struct {
	Examples []string // which examples, in order
	Args     []string // the command-line flags every example gets
}

func main() {
	o := exampleenv.Flags(flag.CommandLine)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, Config{Examples: examples, Args: o.Args()}, os.Stdout)
	interrupted := ctx.Err() != nil
	stop() // which cancels ctx
	switch {
	case interrupted:
		fmt.Fprintln(os.Stderr, "interrupted")
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg Config, out io.Writer) error {
	dir, err := os.MkdirTemp("", "sqsflow-examples-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := build(ctx, dir, cfg.Examples); err != nil {
		return err
	}

	var failed []string
	results := make([]string, 0, len(cfg.Examples))
	for _, name := range cfg.Examples {
		fmt.Fprintf(out, "=== %s\n", name)
		start := time.Now()
		err := command(ctx, filepath.Join(dir, name), cfg.Args, out).Run()
		took := time.Since(start).Round(10 * time.Millisecond)
		if err != nil {
			failed = append(failed, name)
			results = append(results, fmt.Sprintf("  FAIL  %-10s %v (%v)", name, took, err))
		} else {
			results = append(results, fmt.Sprintf("  ok    %-10s %v", name, took))
		}
		fmt.Fprintln(out)
		if ctx.Err() != nil {
			break
		}
	}
	fmt.Fprintln(out, "=== all")
	fmt.Fprintln(out, strings.Join(results, "\n"))
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d examples failed: %s", len(failed), len(cfg.Examples), strings.Join(failed, ", "))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// build builds the examples into dir, one binary each, with one go command.
func build(ctx context.Context, dir string, names []string) error {
	if len(names) == 0 {
		return errors.New("no examples to run")
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, name := range names {
		args = append(args, module+name)
	}
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, goCommand(), args...)
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build the examples (run this from within the repository): %w\n%s", err, stderr.String())
	}
	return nil
}

// command returns the command that runs one example. Cancelling ctx
// interrupts it, as Ctrl-C would, so that it drains and cleans up.
func command(ctx context.Context, path string, args []string, out io.Writer) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	return cmd
}

// goCommand returns the go command: the one on PATH, or the one of the
// toolchain that built this program.
func goCommand() string {
	if path, err := exec.LookPath("go"); err == nil {
		return path
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
