package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/attrconv"
	"github.com/sqsflow/sqsflow/internal/testenv"
)

// result is what one in-process command line did.
type result struct {
	code           int
	stdout, stderr string
}

// cli runs `sqsflow COMMAND -endpoint <env> ARGS...` in-process, with stdin
// read from stdin.
func cli(t *testing.T, env *testenv.Env, stdin string, command string, args ...string) result {
	t.Helper()
	full := append([]string{command, "-endpoint", env.Endpoint}, args...)
	return cliArgs(t, stdin, full...)
}

// cliArgs runs a command line in-process.
func cliArgs(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr strings.Builder
	ctx := withStdin(context.Background(), strings.NewReader(stdin))
	code := run(ctx, args, &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// ok fails the test unless the command succeeded with nothing on stderr.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit status %d, stderr: %s\nstdout: %s", r.code, r.stderr, r.stdout)
	}
	return r
}

// failed fails the test unless the command exited with code and one line
// on stderr containing want.
func (r result) failed(t *testing.T, code int, want string) {
	t.Helper()
	if r.code != code || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("want exit status %d and one line containing %q; got %d, stderr: %q", code, want, r.code, r.stderr)
	}
}

// received is a message taken off a queue by a test, unwrapped.
type received struct {
	msg      sqstypes.Message
	delivery envelope.Delivery
}

// receiveAll receives every message visible on a queue (with the given
// visibility timeout) until a receive returns none.
func receiveAll(t *testing.T, env *testenv.Env, url string, visibility int32) []received {
	t.Helper()
	var all []received
	for {
		out, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: visibility, WaitTimeSeconds: 0,
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatalf("receive from %s: %v", url, err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		for _, m := range out.Messages {
			d, err := envelope.Unwrap(aws.ToString(m.Body), attrconv.FromSQS(m.MessageAttributes), envelope.UnwrapOptions{})
			if err != nil {
				t.Fatalf("unwrap %s: %v", aws.ToString(m.Body), err)
			}
			all = append(all, received{m, d})
		}
	}
}

// sendRaw sends bodies to a queue with the SDK, as is.
func sendRaw(t *testing.T, env *testenv.Env, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b)}); err != nil {
			t.Fatalf("send to %s: %v", url, err)
		}
	}
}

// openJSON opens a JSON base envelope and returns its data.
func openJSON(t *testing.T, payload string) (string, envelope.Metadata) {
	t.Helper()
	o, err := envelope.JSON(envelope.Service{}).Open(payload)
	if err != nil {
		t.Fatalf("open %s: %v", payload, err)
	}
	return string(o.Data), o.Meta
}

// buildBinary builds the sqsflow command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sqsflow")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

// TestBinaryEndToEnd runs every command of the built binary against
// `sqsflow local` and, when SQSFLOW_TEST_ENDPOINT is set, against that
// endpoint too (fauxqs, moto): provision a topic, queue and dead-letter
// queue, publish and send, tail, dead-letter the messages, redrive them,
// and print names.
func TestBinaryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the sqsflow binary")
	}
	bin := buildBinary(t)
	t.Run("local", func(t *testing.T) {
		is := is.New(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		local := exec.CommandContext(ctx, bin, "local", "-addr", "127.0.0.1:0")
		out, err := local.StdoutPipe()
		is.NoErr(err)
		is.NoErr(local.Start())
		t.Cleanup(func() {
			local.Process.Signal(os.Interrupt)
			local.Wait()
		})
		lines := bufio.NewScanner(out)
		is.True(lines.Scan())
		endToEnd(t, bin, lines.Text())
	})
	if ep := os.Getenv(testenv.EndpointVariable); ep != "" {
		t.Run("reference", func(t *testing.T) {
			endToEnd(t, bin, ep)
		})
	}
}

// endToEnd runs the command sequence against endpoint.
func endToEnd(t *testing.T, bin, endpoint string) {
	is := is.New(t)
	var r [4]byte
	rand.Read(r[:])
	base := "cli-" + hex.EncodeToString(r[:])
	sh := func(stdin string, args ...string) string {
		t.Helper()
		if args[0] != "names" {
			args = append(args[:1:1], append([]string{"-endpoint", endpoint}, args[1:]...)...)
		}
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_PROFILE=", "AWS_REGION=", "AWS_DEFAULT_REGION=")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("sqsflow %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		return string(out)
	}
	contains := func(out, want string) {
		t.Helper()
		if !strings.Contains(out, want) {
			t.Fatalf("output does not contain %q:\n%s", want, out)
		}
	}
	lines := func(out string, n int) {
		t.Helper()
		if got := strings.Count(out, "\n"); got != n {
			t.Fatalf("%d lines of output, want %d:\n%s", got, n, out)
		}
	}
	topic, queue, dlq := base+"-orders", base+"-billing", base+"-billing-dlq"

	out := sh("", "provision", "-topic", topic, "-queue", queue, "-dlq", dlq, "-max-receives", "1", "-visibility", "30s")
	contains(out, "5 changes made")
	contains(sh("", "provision", "-topic", topic, "-queue", queue, "-dlq", dlq, "-max-receives", "1", "-visibility", "30s"), "up to date")

	ids := sh("{\"n\": 1}\n{\"n\": 2}\n", "publish", "-attr", "currency=EUR", topic)
	is.Equal(len(strings.Fields(ids)), 2)
	is.Equal(len(strings.Fields(sh("", "send", queue, `{"n": 3}`))), 1)

	tailed := sh("", "tail", "-wait", "1s", "-json", queue)
	lines(tailed, 3)
	contains(tailed, `"currency":"EUR"`)
	contains(tailed, `"data":{"n":3}`)

	// The tail received each message once; with maxReceiveCount 1 the next
	// receive moves them to the dead-letter queue.
	contains(sh("", "tail", "-wait", "1s", queue), "-- no messages")
	lines(sh("", "tail", "-wait", "1s", "-json", dlq), 3)

	contains(sh("", "redrive", "-wait", "1s", dlq), "moved 3 messages")
	back := sh("", "tail", "-wait", "1s", "-delete", "-json", queue)
	lines(back, 3)

	names := sh("", "names", "-queue-prefix", "dev-", "test-topic")
	contains(names, "dev-c6fb053c1b70aabd10bfefd087166b532b7c79ed12d24f2d43a9999c724797fd")
}
