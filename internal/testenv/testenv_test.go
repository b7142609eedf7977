package testenv_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestNewStartsAnEmulator(t *testing.T) {
	if testenv.External() {
		t.Skip("SQSFLOW_TEST_ENDPOINT is set: this test is about the embedded default")
	}
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	is.True(env.Server != nil)
	is.True(strings.HasPrefix(env.Endpoint, "http://127.0.0.1:"))
	_, url := env.CreateQueue(t, "orders", nil)
	_, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
	is.NoErr(err)
	st, ok := env.Stats()
	is.True(ok)
	is.Equal(st.Requests["sqs:SendMessage"], int64(1))
}

func TestNewUsesExternalEndpoint(t *testing.T) {
	is := is.New(t)
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	is.NoErr(err)
	t.Cleanup(func() { srv.Close() })
	t.Setenv(testenv.EndpointVariable, srv.Endpoint())

	env := testenv.New(t)
	is.True(env.Server == nil)
	is.Equal(env.Endpoint, srv.Endpoint())
	name, _ := env.CreateQueue(t, "shared", nil)
	_, err = env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: &name})
	is.NoErr(err)
	st, ok := env.Stats() // served over HTTP by the emulator
	is.True(ok)
	is.Equal(st.Requests["sqs:GetQueueUrl"], int64(1))
}

func TestName(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}(\.fifo)?$`)
	tests := []struct{ base, suffix string }{
		{"orders", ""},
		{"orders.fifo", ".fifo"},
		{"Test/With Spaces!", ""},
		{strings.Repeat("x", 200), ""},
		{strings.Repeat("y", 200) + ".fifo", ".fifo"},
	}
	env := &testenv.Env{}
	for _, tt := range tests {
		is := is.New(t)
		a, b := env.Name(t, tt.base), env.Name(t, tt.base)
		is.True(a != b) // unique
		is.True(valid.MatchString(a))
		is.True(len(a) <= 80)
		is.True(strings.HasSuffix(a, tt.suffix))
	}
}

func TestFill(t *testing.T) {
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "fill", nil)
	env.Fill(t, url, 5, 95, func(i int) string { return fmt.Sprint(i) })
	seen := map[string]bool{}
	for len(seen) < 95 {
		out, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil || len(out.Messages) == 0 {
			t.Fatalf("received %d of 95: %v", len(seen), err)
		}
		for _, m := range out.Messages {
			seen[*m.Body] = true
		}
	}
	if !seen["5"] || !seen["99"] || seen["4"] || seen["100"] {
		t.Fatalf("wrong range: %v", seen)
	}
}
