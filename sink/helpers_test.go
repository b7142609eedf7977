package sink_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/internal/testenv"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type Order struct {
	ID     int    `json:"id"`
	Amount int    `json:"amount"`
	Note   string `json:"note,omitempty"`
}

type Invoice struct {
	OrderID int `json:"order_id"`
	Total   int `json:"total"`
}

var svc = envelope.Service{Name: "billing", UUID: "5d0b530f-5c44-4981-b01f-342801bd48f5"}

func createQueue(t *testing.T, env *testenv.Env, name string, attrs map[string]string) (url, arn string) {
	t.Helper()
	out, err := env.SQS.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	a, err := env.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes["QueueArn"]
}

// subscribedQueue creates topic (FIFO when name ends .fifo) and a queue
// subscribed to it, and returns the queue URL.
func subscribedQueue(t *testing.T, env *testenv.Env, topic, queue string, raw bool) string {
	t.Helper()
	var tattrs, qattrs map[string]string
	if len(topic) > 5 && topic[len(topic)-5:] == ".fifo" {
		tattrs = map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "false"}
		qattrs = map[string]string{"FifoQueue": "true"}
	}
	tout, err := env.SNS.CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(topic), Attributes: tattrs})
	if err != nil {
		t.Fatal(err)
	}
	url, arn := createQueue(t, env, queue, qattrs)
	sub := &sns.SubscribeInput{TopicArn: tout.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn)}
	if raw {
		sub.Attributes = map[string]string{"RawMessageDelivery": "true"}
	}
	if _, err := env.SNS.Subscribe(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	return url
}

// drain receives and deletes messages until want have arrived (or 30s).
func drain(t *testing.T, env *testenv.Env, url string, want int) []sqstypes.Message {
	t.Helper()
	var got []sqstypes.Message
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		out, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			got = append(got, m)
			if _, err := env.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return got
}

// sendOrders sends orders 0..n-1 as tomodachi's sqs_send_message would.
func sendOrders(t *testing.T, env *testenv.Env, url string, n int) {
	t.Helper()
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = orderBody(t, url, Order{ID: i, Amount: 100 + i})
	}
	env.Fill(t, url, 0, n, func(i int) string { return bodies[i] })
}

// orderBody is o in the JSON base envelope, in sqs_send_message's body.
func orderBody(t testing.TB, url string, o Order) string {
	t.Helper()
	payload, err := envelope.JSON(svc).Seal("", o, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := envelope.SQSBody(url, payload, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// counter closes reached when it has counted target items.
type counter struct {
	mu      sync.Mutex
	n       int
	target  int
	reached chan struct{}
}

func newCounter(target int) *counter { return &counter{target: target, reached: make(chan struct{})} }

func (c *counter) add() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n++; c.n == c.target {
		close(c.reached)
	}
}

// faultySNS wraps an SNS client: every failEvery-th PublishBatch call fails
// with a 500, and in the others every dropEvery-th entry is reported failed
// (AWS's fault, so worth retrying) without being published. callLimit and
// dropLimit, when set, bound how many of each it injects.
type faultySNS struct {
	awsiface.SNS
	failEvery, dropEvery int
	callLimit, dropLimit int64
	calls, entries       atomic.Int64
	failedCalls, dropped atomic.Int64
}

// within reports whether another fault may be injected, counting it.
func within(n *atomic.Int64, limit int64) bool {
	if limit == 0 {
		n.Add(1)
		return true
	}
	for {
		v := n.Load()
		if v >= limit {
			return false
		}
		if n.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

func (f *faultySNS) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	if f.calls.Add(1)%int64(f.failEvery) == 0 && within(&f.failedCalls, f.callLimit) {
		return nil, &smithy.GenericAPIError{Code: "InternalError", Message: "injected failure", Fault: smithy.FaultServer}
	}
	var keep []snstypes.PublishBatchRequestEntry
	var drop []snstypes.BatchResultErrorEntry
	for _, e := range in.PublishBatchRequestEntries {
		if f.entries.Add(1)%int64(f.dropEvery) == 0 && within(&f.dropped, f.dropLimit) {
			drop = append(drop, snstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), Message: aws.String("injected"), SenderFault: false})
			continue
		}
		keep = append(keep, e)
	}
	out := &sns.PublishBatchOutput{Failed: drop}
	if len(keep) > 0 {
		cp := *in
		cp.PublishBatchRequestEntries = keep
		real, err := f.SNS.PublishBatch(ctx, &cp, opts...)
		if err != nil {
			return nil, err
		}
		out.Successful = real.Successful
		out.Failed = append(out.Failed, real.Failed...)
	}
	return out, nil
}
