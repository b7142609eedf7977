package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The story runs to its end: the legacy order goes to the DLQ at once,
// order 13 after three receives spaced by the backoff, the redrive brings
// both back, and every order is charged exactly once.
func TestRunRetriesDeadLettersAndRedrives(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var out bytes.Buffer
	is.NoErr(run(exampletest.Context(t, time.Minute), Config{Env: exampletest.Env(t)}, &out))
	got := out.String()
	t.Log("\n" + got)

	for _, line := range []string{
		"cannot be decoded, which no retry can fix: to the DLQ at once",
		`"7;7000" is not an order`,
		"  order 13, receive 1: declined by the payment provider",
		"  order 13 has been received 3 times: SQS moves it to the DLQ",
		"  the DLQ holds both messages; deploying the fix and redriving them",
		"  order 7 charged after the redrive (70.00)",
		"  order 13 charged after the redrive (130.00)",
		"  orders charged        20 (2 after the redrive)",
		"  failed attempts        3 (order 13, retried with backoff)",
		"  redriven from the DLQ  2 (and deleted there: 2)",
	} {
		if !strings.Contains(got, line) {
			t.Errorf("missing from the output: %q", line)
		}
	}
	// The backoff: 1s after the first receive, 2s after the second (SQS
	// counts visibility in whole seconds; a loaded machine may only add).
	gaps := regexp.MustCompile(`order 13, receive (\d), ([\d.]+)s later`).FindAllStringSubmatch(got, -1)
	is.Equal(len(gaps), 2)
	for _, g := range gaps {
		receive, _ := strconv.Atoi(g[1])
		secs, _ := strconv.ParseFloat(g[2], 64)
		want := map[int]float64{2: 1, 3: 2}[receive]
		if secs < want-0.1 {
			t.Errorf("receive %d came %.1fs after the one before; the backoff is %.0fs", receive, secs, want)
		}
	}
	// The DLQ was full (both messages) before anything was redriven.
	is.True(strings.Index(got, "moves it to the DLQ") < strings.Index(got, "the DLQ holds both messages"))
	is.True(strings.Index(got, "the DLQ holds both messages") < strings.Index(got, "charged after the redrive"))
}

// Stopped before the DLQ holds both messages, the example fails, and what
// reached the DLQ (the legacy order, dead-lettered at once) stays there:
// nothing is redriven without the fix.
func TestRunStoppedEarlyLeavesTheDLQAlone(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := exampletest.Env(t)
	var out bytes.Buffer
	// Order 13 cannot reach the DLQ before its backoffs (1s, 2s, 2s) have passed.
	err := run(exampletest.Context(t, 2500*time.Millisecond), Config{Env: env}, &out)
	t.Log("\n" + out.String())
	is.True(err != nil && strings.Contains(err.Error(), "stopped with 2 orders still to charge"))
	is.True(!strings.Contains(out.String(), "redriv")) // neither the fix nor a redrive

	client := sqs.NewFromConfig(env.AWS)
	url, err := client.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: aws.String(env.Naming.QueuePrefix + "payments-order-placed-dlq")})
	is.NoErr(err)
	attrs, err := client.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl:       url.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
	})
	is.NoErr(err)
	visible, _ := strconv.Atoi(attrs.Attributes["ApproximateNumberOfMessages"])
	inFlight, _ := strconv.Atoi(attrs.Attributes["ApproximateNumberOfMessagesNotVisible"])
	is.Equal(visible+inFlight, 1) // the legacy order, still in the DLQ
}
