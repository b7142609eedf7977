// Command sqsflow is the sqsflow command line: run `sqsflow -h` for the
// list of commands, `sqsflow COMMAND -h` for one command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand. Each lives in its own file and adds itself to
// the table with register in an init function:
//
//	func init() {
//		register(&command{
//			Name: "local", Short: "...", Example: "sqsflow local -addr 127.0.0.1:4566",
//			Setup: func(fs *flag.FlagSet) runFunc {
//				addr := fs.String("addr", "127.0.0.1:4566", "...")
//				return func(ctx context.Context, args []string, stdout io.Writer) error { ... }
//			},
//		})
//	}
type command struct {
	// Name is the word after "sqsflow".
	Name string
	// Short is a one-line description for the command list.
	Short string
	// Example is a typical invocation, shown in the help texts.
	Example string
	// Args describes the positional arguments for the help text, for
	// example "TOPIC MESSAGE". Empty means the command takes none, and
	// stray arguments are a usage error.
	Args string
	// Setup defines the command's flags on fs and returns the function that
	// runs the command once they are parsed.
	Setup func(fs *flag.FlagSet) runFunc
}

// runFunc runs a command with its positional arguments. It writes results
// to stdout and returns when done or when ctx is cancelled (SIGINT,
// SIGTERM). A usageError it returns exits with status 2, any other error
// with status 1.
type runFunc func(ctx context.Context, args []string, stdout io.Writer) error

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.Name]; dup {
		panic("sqsflow: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// usageError is a mistake on the command line; it exits with status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// usagef returns a usageError.
func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit status: 0 on
// success, 1 when the command failed, 2 on a usage mistake.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		mainHelp(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				commandHelp(stdout, c)
				return 0
			}
		}
		mainHelp(stdout)
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sqsflow: unknown command %q (run 'sqsflow -h' for the list)\n", args[0])
		return 2
	}
	fs := flag.NewFlagSet("sqsflow "+c.Name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runCmd := c.Setup(fs)
	err := fs.Parse(args[1:])
	if err == nil && c.Args == "" && fs.NArg() > 0 {
		err = usagef("unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		err = runCmd(ctx, fs.Args(), stdout)
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		commandHelp(stdout, c)
		return 0
	case errors.As(err, &ue) || isFlagError(err):
		fmt.Fprintf(stderr, "sqsflow %s: %v (run 'sqsflow %s -h')\n", c.Name, err, c.Name)
		return 2
	default:
		fmt.Fprintf(stderr, "sqsflow %s: %v\n", c.Name, err)
		return 1
	}
}

// isFlagError reports whether err came from flag parsing (the flag package
// has no error type of its own; its errors are returned before Run starts).
func isFlagError(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "flag provided but not defined") || strings.HasPrefix(s, "invalid value") ||
		strings.HasPrefix(s, "invalid boolean") || strings.HasPrefix(s, "flag needs an argument") ||
		strings.HasPrefix(s, "bad flag syntax")
}

func mainHelp(w io.Writer) {
	fmt.Fprintln(w, "sqsflow: typed SNS+SQS pipelines, on the command line.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: sqsflow COMMAND [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %-10s %s\n", c.Name, c.Short)
		fmt.Fprintf(w, "  %-10s   e.g. %s\n", "", c.Example)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'sqsflow COMMAND -h' for the flags of a command.")
}

func commandHelp(w io.Writer, c *command) {
	fs := flag.NewFlagSet("sqsflow "+c.Name, flag.ContinueOnError)
	c.Setup(fs)
	fmt.Fprintf(w, "Usage: sqsflow %s [flags] %s\n\n%s\n\nExample:\n  %s\n\nFlags:\n", c.Name, c.Args, c.Short, c.Example)
	var sb strings.Builder
	fs.SetOutput(&sb)
	fs.PrintDefaults()
	if sb.Len() == 0 {
		sb.WriteString("  (none)\n")
	}
	fmt.Fprint(w, sb.String())
}
