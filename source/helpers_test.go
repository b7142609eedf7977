package source_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type Order struct {
	ID       int    `json:"id"`
	Currency string `json:"currency"`
}

var svc = envelope.Service{Name: "test-service", UUID: "5d0b530f-5c44-4981-b01f-342801bd48f5"}

// publish publishes orders 0..n-1 to the topic, JSON-enveloped, with a
// currency attribute, ten at a time.
func publish(t *testing.T, env *testenv.Env, topicARN string, from, n int, currency func(i int) string) {
	t.Helper()
	jb := envelope.JSON(svc)
	for start := from; start < from+n; start += 10 {
		var entries []snstypes.PublishBatchRequestEntry
		for i := start; i < min(start+10, from+n); i++ {
			cur := currency(i)
			payload, err := jb.Seal("orders", Order{ID: i, Currency: cur}, nil)
			if err != nil {
				t.Fatal(err)
			}
			entries = append(entries, snstypes.PublishBatchRequestEntry{
				Id:      aws.String(strconv.Itoa(i)),
				Message: aws.String(payload),
				MessageAttributes: map[string]snstypes.MessageAttributeValue{
					"currency": {DataType: aws.String("String"), StringValue: aws.String(cur)},
				},
			})
		}
		out, err := env.SNS.PublishBatch(context.Background(), &sns.PublishBatchInput{TopicArn: aws.String(topicARN), PublishBatchRequestEntries: entries})
		if err != nil {
			t.Fatalf("publish: %v", err)
		}
		if len(out.Failed) > 0 {
			t.Fatalf("publish: %d entries failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
		}
	}
}

func eur(int) string { return "EUR" }

// topicARN creates (idempotently) a topic and returns its ARN.
func topicARN(t *testing.T, env *testenv.Env, name string) string {
	t.Helper()
	out, err := env.SNS.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TopicArn)
}

// queueCounts returns the visible and in-flight message counts of a queue.
func queueCounts(t *testing.T, env *testenv.Env, queue string) (visible, inFlight int) {
	t.Helper()
	url, err := env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := env.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: url.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	visible, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ = strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return visible, inFlight
}

// receiveAll drains a queue with plain SDK calls, returning the bodies.
func receiveAll(t *testing.T, env *testenv.Env, queue string, want int) []sqstypes.Message {
	t.Helper()
	url, err := env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	if err != nil {
		t.Fatal(err)
	}
	var got []sqstypes.Message
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		out, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: url.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.Messages...)
	}
	return got
}

// counter counts items and closes reached when the count reaches its target.
type counter struct {
	mu      sync.Mutex
	n       int
	target  int
	reached chan struct{}
	seen    map[int]int
	watch   []watch
}

type watch struct {
	at int
	ch chan struct{}
}

func newCounter(target int) *counter {
	return &counter{target: target, reached: make(chan struct{}), seen: map[int]int{}}
}

func (c *counter) add(id int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	c.seen[id]++
	if c.n == c.target {
		close(c.reached)
	}
	for _, w := range c.watch {
		if c.n == w.at {
			close(w.ch)
		}
	}
}

func (c *counter) duplicates() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := 0
	for _, n := range c.seen {
		d += n - 1
	}
	return d
}

func (c *counter) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// sqsBody returns the body tomodachi's sqs_send_message writes for o.
func sqsBody(t *testing.T, o Order) string {
	t.Helper()
	payload, err := envelope.JSON(svc).Seal("", o, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := envelope.SQSBody("http://example/queue", payload, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func queueURL(t *testing.T, env *testenv.Env, queue string) string {
	t.Helper()
	out, err := env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl)
}

func sendRaw(t *testing.T, env *testenv.Env, url, body string) {
	t.Helper()
	if _, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)}); err != nil {
		t.Fatal(err)
	}
}
