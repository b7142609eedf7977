package emulator_test

// The conformance suite: ordinary integration tests through the AWS SDK
// that run against the embedded emulator, or against any endpoint
// SQSFLOW_TEST_ENDPOINT names (fauxqs, moto, ...):
//
//	go test ./emulator/ -run Conformance
//	SQSFLOW_TEST_ENDPOINT=http://127.0.0.1:4566 go test ./emulator/ -run Conformance
//	SQSFLOW_TEST_ENDPOINT=http://127.0.0.1:5000 go test ./emulator/ -run 'Conformance.*Smoke'
//
// Tests whose names end in Smoke are the subset for slow references (moto).
// Where the references disagree, AWS's documentation decides and the test
// says so in a comment.

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/internal/testenv"
)

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sendBody(t *testing.T, env *testenv.Env, url, body string) string {
	t.Helper()
	out, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body})
	if err != nil {
		t.Fatalf("send %q: %v", body, err)
	}
	return aws.ToString(out.MessageId)
}

func receive(t *testing.T, env *testenv.Env, in *sqs.ReceiveMessageInput) []types.Message {
	t.Helper()
	out, err := env.SQS.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

func queueAttrs(t *testing.T, env *testenv.Env, url string, names ...types.QueueAttributeName) map[string]string {
	t.Helper()
	out, err := env.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: names})
	if err != nil {
		t.Fatalf("get queue attributes: %v", err)
	}
	return out.Attributes
}

// deviates reports whether the endpoint is a reference known to deviate
// from AWS's documented behaviour on the point a check is about, logging
// why; the caller then skips that check.
func deviates(t *testing.T, env *testenv.Env, reference, why string) bool {
	t.Helper()
	if env.Reference == reference {
		t.Logf("skipping a check: %s deviates from AWS's documentation: %s", reference, why)
		return true
	}
	return false
}

// skipFor applies deviates to a list "reference: why | reference: why".
func skipFor(t *testing.T, env *testenv.Env, list string) bool {
	t.Helper()
	for _, item := range strings.Split(list, " | ") {
		if ref, why, ok := strings.Cut(item, ": "); ok && deviates(t, env, ref, why) {
			return true
		}
	}
	return false
}

// apiError returns the error code and HTTP status of an SDK error.
func apiError(t *testing.T, err error) (code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error, got none")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

func TestConformanceQueueLifecycleSmoke(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	name := env.Name(t, "lifecycle")

	created, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name})
	is.NoErr(err)
	url := aws.ToString(created.QueueUrl)

	got, err := env.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
	is.NoErr(err)
	is.Equal(aws.ToString(got.QueueUrl), url)

	again, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name}) // idempotent
	is.NoErr(err)
	is.Equal(aws.ToString(again.QueueUrl), url)

	attrs := queueAttrs(t, env, url, types.QueueAttributeNameAll)
	is.Equal(attrs["VisibilityTimeout"], "30")
	is.Equal(attrs["DelaySeconds"], "0")
	is.Equal(attrs["MessageRetentionPeriod"], "345600")
	is.Equal(attrs["ReceiveMessageWaitTimeSeconds"], "0")
	is.Equal(attrs["MaximumMessageSize"], "1048576") // 1 MiB since AWS raised the limit in 2025
	is.Equal(attrs["ApproximateNumberOfMessages"], "0")
	is.True(attrs["QueueArn"] != "")
	// AWS documents CreatedTimestamp as epoch seconds, an integer.
	if !deviates(t, env, "moto", "returns CreatedTimestamp with a fraction") {
		_, err = strconv.ParseInt(attrs["CreatedTimestamp"], 10, 64)
		is.NoErr(err)
	}

	list, err := env.SQS.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: &name})
	is.NoErr(err)
	is.Equal(list.QueueUrls, []string{url})

	_, err = env.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url})
	is.NoErr(err)
	_, err = env.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
	var missing *types.QueueDoesNotExist
	is.True(errors.As(err, &missing)) // typed error after deletion
}

func TestConformanceSendReceiveDeleteSmoke(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "basic", nil)

	body := "hello \"world\"\n\t<&> é €"
	sent, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body})
	is.NoErr(err)
	is.Equal(aws.ToString(sent.MD5OfMessageBody), md5Hex(body))

	msgs := receive(t, env, &sqs.ReceiveMessageInput{
		QueueUrl:                    &url,
		WaitTimeSeconds:             5,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	is.Equal(len(msgs), 1)
	m := msgs[0]
	is.Equal(aws.ToString(m.Body), body)
	is.Equal(aws.ToString(m.MessageId), aws.ToString(sent.MessageId))
	is.Equal(aws.ToString(m.MD5OfBody), md5Hex(body))
	is.Equal(m.Attributes["ApproximateReceiveCount"], "1")
	sentAt, err := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64)
	is.NoErr(err)
	is.True(time.Since(time.UnixMilli(sentAt)).Abs() < time.Minute)

	// In flight: not received again.
	is.Equal(len(receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url})), 0)
	attrs := queueAttrs(t, env, url, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
	is.Equal(attrs["ApproximateNumberOfMessagesNotVisible"], "1")

	_, err = env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
	is.NoErr(err)
	attrs = queueAttrs(t, env, url, types.QueueAttributeNameAll)
	is.Equal(attrs["ApproximateNumberOfMessages"], "0")
	is.Equal(attrs["ApproximateNumberOfMessagesNotVisible"], "0")
}

func TestConformanceBatchesSmoke(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "batch", nil)

	var entries []types.SendMessageBatchRequestEntry
	for i := range 10 {
		entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("m%d", i)), MessageBody: aws.String(fmt.Sprint("body ", i))})
	}
	sent, err := env.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries})
	is.NoErr(err)
	is.Equal(len(sent.Successful), 10)
	is.Equal(len(sent.Failed), 0)

	seen := map[string]bool{}
	var del []types.DeleteMessageBatchRequestEntry
	for len(seen) < 10 {
		msgs := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
		is.True(len(msgs) > 0)
		for i, m := range msgs {
			is.True(!seen[*m.Body]) // each message once
			seen[*m.Body] = true
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprintf("d%d_%d", len(del), i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	for len(del) > 0 {
		n := min(len(del), 10)
		out, err := env.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del[:n]})
		is.NoErr(err)
		is.Equal(len(out.Successful), n)
		del = del[n:]
	}
	is.Equal(queueAttrs(t, env, url, types.QueueAttributeNameApproximateNumberOfMessages)["ApproximateNumberOfMessages"], "0")
}

func TestConformanceLongPollWakesOnSend(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "longpoll", nil)

	start := time.Now()
	got := make(chan []types.Message, 1)
	go func() {
		out, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		if err != nil {
			t.Errorf("receive: %v", err)
		}
		got <- out.Messages
	}()
	sendBody(t, env, url, "wake up")
	msgs := <-got
	is.Equal(len(msgs), 1)
	is.Equal(aws.ToString(msgs[0].Body), "wake up")
	is.True(time.Since(start) < 10*time.Second) // woke on arrival, not at the end of the 20 s wait
}

func TestConformanceVisibilityTimeoutRedelivers(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "visibility", nil)
	sendBody(t, env, url, "again")

	first := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 1, WaitTimeSeconds: 2})
	is.Equal(len(first), 1)
	// The long poll returns once the message is visible again, after ~1 s.
	second := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
	is.Equal(len(second), 1)
	is.Equal(aws.ToString(second[0].MessageId), aws.ToString(first[0].MessageId))
	is.Equal(second[0].Attributes["ApproximateReceiveCount"], "2")
	is.True(aws.ToString(second[0].ReceiptHandle) != aws.ToString(first[0].ReceiptHandle)) // a new handle per receive
}

func TestConformanceChangeVisibilityToZero(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "nack", nil)
	sendBody(t, env, url, "nack me")

	first := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, VisibilityTimeout: 600, WaitTimeSeconds: 2})
	is.Equal(len(first), 1)
	_, err := env.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle, VisibilityTimeout: 0})
	is.NoErr(err)
	second := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 2})
	is.Equal(len(second), 1)
	is.Equal(aws.ToString(second[0].Body), "nack me")
}

func TestConformanceNonExistentQueueSmoke(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	ctx := context.Background()
	url := env.Endpoint + "/000000000000/" + env.Name(t, "missing")
	calls := map[string]func() error{
		"GetQueueUrl": func() error {
			_, err := env.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(env.Name(t, "missing"))})
			return err
		},
		"SendMessage": func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
			return err
		},
		"ReceiveMessage": func() error {
			_, err := env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url})
			return err
		},
		"GetQueueAttributes": func() error {
			_, err := env.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url})
			return err
		},
		"DeleteQueue": func() error {
			_, err := env.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			var missing *types.QueueDoesNotExist
			is.True(errors.As(call(), &missing))
		})
	}
}
