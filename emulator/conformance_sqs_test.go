package emulator_test

import (
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/internal/testenv"
)

// attributesMD5 computes MD5OfMessageAttributes the way the SQS developer
// guide describes it, independently of the emulator's implementation.
func attributesMD5(attrs map[string]types.MessageAttributeValue) string {
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf []byte
	lenPrefixed := func(b []byte) {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
		buf = append(buf, b...)
	}
	for _, n := range names {
		v := attrs[n]
		lenPrefixed([]byte(n))
		lenPrefixed([]byte(aws.ToString(v.DataType)))
		if v.BinaryValue != nil {
			buf = append(buf, 2)
			lenPrefixed(v.BinaryValue)
		} else {
			buf = append(buf, 1)
			lenPrefixed([]byte(aws.ToString(v.StringValue)))
		}
	}
	sum := md5.Sum(buf)
	return hex.EncodeToString(sum[:])
}

func strAttr(typ, v string) types.MessageAttributeValue {
	return types.MessageAttributeValue{DataType: aws.String(typ), StringValue: aws.String(v)}
}

func TestConformanceMessageAttributesSmoke(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "attrs", map[string]string{"VisibilityTimeout": "0"})

	attrs := map[string]types.MessageAttributeValue{
		"customer":    strAttr("String", "Ada"),
		"amount":      strAttr("Number", "12.50"),
		"blob":        {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
		"kind.custom": strAttr("String.Custom", "x"),
		"trace-id":    strAttr("String", "abc"),
	}
	sent, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("{}"), MessageAttributes: attrs})
	is.NoErr(err)
	is.Equal(aws.ToString(sent.MD5OfMessageAttributes), attributesMD5(attrs))

	msgs := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 2})
	is.Equal(len(msgs), 1)
	got := msgs[0]
	is.Equal(aws.ToString(got.MD5OfMessageAttributes), attributesMD5(attrs))
	is.Equal(len(got.MessageAttributes), len(attrs))
	is.Equal(got.MessageAttributes["blob"].BinaryValue, []byte{0, 1, 2, 255})
	is.Equal(aws.ToString(got.MessageAttributes["amount"].StringValue), "12.50")
	is.Equal(aws.ToString(got.MessageAttributes["kind.custom"].DataType), "String.Custom")

	// Selecting by name and by prefix; the MD5 covers what is returned.
	msgs = receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MessageAttributeNames: []string{"customer", "kind.*"}, WaitTimeSeconds: 2})
	is.Equal(len(msgs), 1)
	want := map[string]types.MessageAttributeValue{"customer": attrs["customer"], "kind.custom": attrs["kind.custom"]}
	is.Equal(len(msgs[0].MessageAttributes), 2)
	// The SDKs that verify this digest on receive (Java's) compute it over
	// the attributes they received, so AWS digests the selected ones.
	if !deviates(t, env, "fauxqs", "digests all the message's attributes, not the selected ones") {
		is.Equal(aws.ToString(msgs[0].MD5OfMessageAttributes), attributesMD5(want))
	}
}

func TestConformanceNoAttributesUnlessAsked(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "noattrs", nil)
	_, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
		MessageAttributes: map[string]types.MessageAttributeValue{"a": strAttr("String", "1")}})
	is.NoErr(err)
	msgs := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 2})
	is.Equal(len(msgs), 1)
	is.Equal(len(msgs[0].Attributes), 0)
	// AWS returns only the message attributes MessageAttributeNames selects.
	if !deviates(t, env, "fauxqs", "returns message attributes nobody asked for") {
		is.Equal(len(msgs[0].MessageAttributes), 0)
		is.Equal(msgs[0].MD5OfMessageAttributes, nil)
	}
}

func TestConformanceFIFOOrderingAndGroupLockSmoke(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "ordered.fifo", map[string]string{"ContentBasedDeduplication": "true"})

	var seqs []string
	for _, m := range []struct{ group, body string }{{"a", "a1"}, {"b", "b1"}, {"a", "a2"}, {"a", "a3"}, {"b", "b2"}} {
		out, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(m.body), MessageGroupId: aws.String(m.group)})
		is.NoErr(err)
		seqs = append(seqs, aws.ToString(out.SequenceNumber))
	}
	// AWS documents SequenceNumber in SendMessage's response for FIFO queues.
	if deviates(t, env, "moto", "returns no SequenceNumber from SendMessage to a FIFO queue") {
		seqs = nil
	}
	for _, s := range seqs {
		is.True(s != "")
	}
	// Sequence numbers grow with every message (compare as decimal strings of equal length).
	for i := 1; i < len(seqs); i++ {
		is.True(len(seqs[i]) > len(seqs[i-1]) || len(seqs[i]) == len(seqs[i-1]) && seqs[i] > seqs[i-1])
	}

	// One message of group a in flight locks group a.
	first := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 1})
	is.Equal(len(first), 1)
	is.Equal(aws.ToString(first[0].Body), "a1")
	rest := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	var bodies []string
	for _, m := range rest {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	// AWS: "SQS first attempts to return as many messages with the same
	// message group ID as possible" (FIFO queue logic, developer guide).
	if !deviates(t, env, "fauxqs", "returns at most one message per group per receive") {
		is.Equal(bodies, []string{"b1", "b2"}) // group b in order; nothing of the locked group a
	} else {
		is.Equal(bodies, []string{"b1"})
	}

	// Deleting a1 unlocks group a, which continues in order.
	_, err := env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle})
	is.NoErr(err)
	next := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	bodies = nil
	for _, m := range next {
		bodies = append(bodies, aws.ToString(m.Body))
		is.Equal(m.Attributes["MessageGroupId"], "a")
		if env.Reference != "moto" { // moto has no sequence numbers (see above)
			is.True(m.Attributes["SequenceNumber"] != "")
		}
		is.True(m.Attributes["MessageDeduplicationId"] != "")
	}
	if !deviates(t, env, "fauxqs", "returns at most one message per group per receive") {
		is.Equal(bodies, []string{"a2", "a3"})
	} else {
		is.Equal(bodies, []string{"a2"})
	}
}

// A long poll on a FIFO queue whose groups are all locked returns as soon as
// a delete unlocks one, not when its wait runs out.
func TestConformanceFIFOLongPollWakesOnUnlock(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "unlock.fifo", map[string]string{"ContentBasedDeduplication": "true"})
	for _, body := range []string{"a1", "a2"} {
		_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body), MessageGroupId: aws.String("a")})
		is.NoErr(err)
	}
	first := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 1})
	is.Equal(len(first), 1)

	type result struct {
		msgs    []types.Message
		elapsed time.Duration
	}
	got := make(chan result, 1)
	go func() {
		start := time.Now()
		out, err := env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 20})
		if err != nil {
			t.Error(err)
		}
		got <- result{out.Messages, time.Since(start)}
	}()
	// Give the long poll time to start waiting (if it has not, the delete
	// comes first and the receive returns at once: the test still passes,
	// without exercising the wake-up).
	time.Sleep(200 * time.Millisecond)
	_, err := env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle})
	is.NoErr(err)
	r := <-got
	is.Equal(len(r.msgs), 1)
	is.Equal(aws.ToString(r.msgs[0].Body), "a2")
	is.True(r.elapsed < 10*time.Second) // woken by the delete, not by the 20s wait running out
}

func TestConformanceFIFOReturnedMessageKeepsItsPlace(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "redeliver.fifo", map[string]string{"ContentBasedDeduplication": "true"})
	for _, b := range []string{"1", "2", "3"} {
		_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(b), MessageGroupId: aws.String("g")})
		is.NoErr(err)
	}
	if deviates(t, env, "fauxqs", "returns at most one message per group per receive") {
		return
	}
	got := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 2, VisibilityTimeout: 30})
	is.Equal(len(got), 2)
	// Make the second visible again, delete the first: the second comes before the third.
	_, err := env.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: got[1].ReceiptHandle, VisibilityTimeout: 0})
	is.NoErr(err)
	_, err = env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: got[0].ReceiptHandle})
	is.NoErr(err)
	again := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
	var bodies []string
	for _, m := range again {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	is.Equal(bodies, []string{"2", "3"})
}

func TestConformanceFIFODeduplicationSmoke(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		attrs map[string]string
		dedup [2]*string // deduplication ids of the two sends
		body  [2]string
		want  int // messages stored
	}{
		{"same explicit id", nil, [2]*string{aws.String("d1"), aws.String("d1")}, [2]string{"x", "y"}, 1},
		{"different explicit ids", nil, [2]*string{aws.String("d1"), aws.String("d2")}, [2]string{"x", "x"}, 2},
		{"same content", map[string]string{"ContentBasedDeduplication": "true"}, [2]*string{}, [2]string{"x", "x"}, 1},
		{"different content", map[string]string{"ContentBasedDeduplication": "true"}, [2]*string{}, [2]string{"x", "y"}, 2},
		{"explicit id beats content", map[string]string{"ContentBasedDeduplication": "true"}, [2]*string{aws.String("a"), aws.String("b")}, [2]string{"x", "x"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			_, url := env.CreateQueue(t, "dedup.fifo", tt.attrs)
			for i := range 2 {
				_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &tt.body[i],
					MessageGroupId: aws.String("g"), MessageDeduplicationId: tt.dedup[i]})
				is.NoErr(err) // a duplicate is accepted, and dropped
			}
			is.Equal(drain(t, env, url), tt.want)
		})
	}
}

// drain receives and deletes until the queue is empty and returns how many
// messages it held.
func drain(t *testing.T, env *testenv.Env, url string) int {
	t.Helper()
	n := 0
	for {
		msgs := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
		if len(msgs) == 0 {
			return n
		}
		for _, m := range msgs {
			if _, err := env.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete: %v", err)
			}
			n++
		}
	}
}

func TestConformanceDeadLetterQueueSmoke(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, dlqURL := env.CreateQueue(t, "dlq", nil)
	dlqARN := env.QueueARN(t, dlqURL)
	policy := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"2"}`, dlqARN)
	// The SDK leaves a zero VisibilityTimeout out of ReceiveMessage, so the
	// queue's default of 0 makes each received message visible again at once.
	_, url := env.CreateQueue(t, "source", map[string]string{"RedrivePolicy": policy, "VisibilityTimeout": "0"})
	srcARN := env.QueueARN(t, url)
	id := sendBody(t, env, url, "poison")

	for i := 1; i <= 2; i++ {
		msgs := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 2,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount}})
		is.Equal(len(msgs), 1)
		is.Equal(msgs[0].Attributes["ApproximateReceiveCount"], fmt.Sprint(i))
	}
	// The third receive finds the message past maxReceiveCount: it moves to the DLQ.
	is.Equal(len(receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url})), 0)
	moved := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &dlqURL, WaitTimeSeconds: 5,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	is.Equal(len(moved), 1)
	is.Equal(aws.ToString(moved[0].MessageId), id) // same message, same id
	is.Equal(aws.ToString(moved[0].Body), "poison")
	if !deviates(t, env, "fauxqs", "does not set DeadLetterQueueSourceArn") && !deviates(t, env, "moto", "does not set DeadLetterQueueSourceArn") {
		is.Equal(moved[0].Attributes["DeadLetterQueueSourceArn"], srcARN)
	}

	attrs := queueAttrs(t, env, url, types.QueueAttributeNameRedrivePolicy)
	is.True(strings.Contains(attrs["RedrivePolicy"], dlqARN))

	srcs, err := env.SQS.ListDeadLetterSourceQueues(ctx, &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: &dlqURL})
	if !deviates(t, env, "fauxqs", "does not implement ListDeadLetterSourceQueues") {
		is.NoErr(err)
		is.Equal(srcs.QueueUrls, []string{url})
	}
}

func TestConformanceDelays(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "delay", nil)

	start := time.Now()
	_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("later"), DelaySeconds: 1})
	is.NoErr(err)
	is.Equal(len(receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url})), 0) // not yet
	is.Equal(queueAttrs(t, env, url, types.QueueAttributeNameApproximateNumberOfMessagesDelayed)["ApproximateNumberOfMessagesDelayed"], "1")
	msgs := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 10})
	is.Equal(len(msgs), 1)
	is.True(time.Since(start) >= time.Second)
	is.True(time.Since(start) < 8*time.Second) // the long poll woke when the delay ended

	// A queue-level delay applies to messages sent without their own.
	_, dq := env.CreateQueue(t, "qdelay", map[string]string{"DelaySeconds": "1"})
	sendBody(t, env, dq, "queued")
	is.Equal(len(receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &dq})), 0)
	is.Equal(len(receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &dq, WaitTimeSeconds: 10})), 1)
}

func TestConformanceQueueAttributes(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}`
	_, url := env.CreateQueue(t, "attributes", map[string]string{
		"VisibilityTimeout":             "45",
		"MessageRetentionPeriod":        "3600",
		"ReceiveMessageWaitTimeSeconds": "2",
		"MaximumMessageSize":            "2048",
		"Policy":                        policy,
		"KmsMasterKeyId":                "alias/aws/sqs",
	})
	attrs := queueAttrs(t, env, url, types.QueueAttributeNameAll)
	is.Equal(attrs["VisibilityTimeout"], "45")
	is.Equal(attrs["MessageRetentionPeriod"], "3600")
	is.Equal(attrs["ReceiveMessageWaitTimeSeconds"], "2")
	is.Equal(attrs["MaximumMessageSize"], "2048")
	is.Equal(attrs["KmsMasterKeyId"], "alias/aws/sqs") // stored and returned, not enforced
	is.True(attrs["Policy"] != "")

	_, err := env.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"VisibilityTimeout": "60", "DelaySeconds": "5"}})
	is.NoErr(err)
	attrs = queueAttrs(t, env, url, types.QueueAttributeNameVisibilityTimeout, types.QueueAttributeNameDelaySeconds)
	is.Equal(attrs, map[string]string{"VisibilityTimeout": "60", "DelaySeconds": "5"}) // only what was asked for

	// The maximum message size applies to body and attributes.
	_, err = env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(strings.Repeat("x", 2049))})
	code, status := apiError(t, err)
	is.Equal(legacyCode(env, code), "InvalidParameterValue")
	is.Equal(status, 400)
}

func TestConformanceFIFOQueueAttributesSmoke(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "fifoattrs.fifo", map[string]string{"ContentBasedDeduplication": "true"})
	attrs := queueAttrs(t, env, url, types.QueueAttributeNameAll)
	is.Equal(attrs["FifoQueue"], "true")
	is.Equal(attrs["ContentBasedDeduplication"], "true")
	is.True(strings.HasSuffix(attrs["QueueArn"], ".fifo"))
}

func TestConformanceListQueuesPagination(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	prefix := env.Name(t, "page")
	var want []string
	for i := range 5 {
		out, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(fmt.Sprintf("%s-%d", prefix, i))})
		is.NoErr(err)
		want = append(want, aws.ToString(out.QueueUrl))
		t.Cleanup(func() { env.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
	}
	var got []string
	if deviates(t, env, "fauxqs", "ignores MaxResults and NextToken") {
		return
	}
	p := sqs.NewListQueuesPaginator(env.SQS, &sqs.ListQueuesInput{QueueNamePrefix: &prefix, MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		is.NoErr(err)
		is.True(len(out.QueueUrls) <= 2)
		got = append(got, out.QueueUrls...)
		pages++
	}
	slices.Sort(got)
	slices.Sort(want)
	is.Equal(got, want)
	is.Equal(pages, 3)
}

func TestConformancePurgeQueue(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "purge", nil)
	for i := range 3 {
		sendBody(t, env, url, fmt.Sprint(i))
	}
	_, err := env.SQS.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: &url})
	is.NoErr(err)
	is.Equal(len(receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})), 0)
	sendBody(t, env, url, "after") // the queue works after a purge
	is.Equal(len(receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 2})), 1)
}

func TestConformanceTags(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	name := env.Name(t, "tags")
	out, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Tags: map[string]string{"team": "billing"}})
	is.NoErr(err)
	url := aws.ToString(out.QueueUrl)
	t.Cleanup(func() { env.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: &url}) })
	_, err = env.SQS.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: &url, Tags: map[string]string{"env": "test"}})
	is.NoErr(err)
	_, err = env.SQS.UntagQueue(ctx, &sqs.UntagQueueInput{QueueUrl: &url, TagKeys: []string{"team"}})
	is.NoErr(err)
	tags, err := env.SQS.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: &url})
	is.NoErr(err)
	is.Equal(tags.Tags, map[string]string{"env": "test"})
}

func TestConformanceStaleReceiptHandleDeletes(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "stale", map[string]string{"VisibilityTimeout": "0"})
	sendBody(t, env, url, "x")
	first := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 2})
	is.Equal(len(first), 1)
	second := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 2})
	is.Equal(len(second), 1)
	// Standard queues: deleting with an earlier receipt handle succeeds.
	_, err := env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle})
	is.NoErr(err)
	// Deleting again (the message is gone) also succeeds.
	_, err = env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle})
	is.NoErr(err)
}

// legacyCode normalises a legacy (query) error code for comparison: fauxqs
// prefixes every code with "AWS.SimpleQueueService." where the SQS API
// model gives the prefix to a few (NonExistentQueue, the batch errors, ...)
// and common errors such as InvalidParameterValue have none.
func legacyCode(env *testenv.Env, code string) string {
	if env.Reference == "fauxqs" {
		return strings.TrimPrefix(code, "AWS.SimpleQueueService.")
	}
	return code
}

// TestConformanceErrors checks the error code (as the SDK reports it,
// the legacy query code from x-amzn-query-error) and HTTP status of bad
// requests, and that the queue still works afterwards.
func TestConformanceErrors(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "errors", nil)
	_, fifoURL := env.CreateQueue(t, "errors.fifo", nil)
	entries := func(n int, id func(int) string) []types.SendMessageBatchRequestEntry {
		var es []types.SendMessageBatchRequestEntry
		for i := range n {
			es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(id(i)), MessageBody: aws.String("x")})
		}
		return es
	}
	seq := func(i int) string { return fmt.Sprint("e", i) }
	tooManyAttrs := map[string]types.MessageAttributeValue{}
	for i := range 11 {
		tooManyAttrs[fmt.Sprint("a", i)] = strAttr("String", "v")
	}
	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
		skip   string // "reference: why | reference: why" where references deviate from AWS's documentation
	}{
		{"invalid queue name", func() error {
			_, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bad name!")})
			return err
		}, "InvalidParameterValue", 400, "fauxqs: accepts queue names with characters AWS rejects"},
		{"queue name too long", func() error {
			_, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(strings.Repeat("q", 81))})
			return err
		}, "InvalidParameterValue", 400, "fauxqs: accepts queue names longer than 80 characters"},
		{"invalid attribute value", func() error {
			_, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(env.Name(t, "x")), Attributes: map[string]string{"VisibilityTimeout": "-1"}})
			return err
		}, "InvalidAttributeValue", 400, ""},
		{"unknown attribute name", func() error {
			_, err := env.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{"Colour": "blue"}})
			return err
		}, "InvalidAttributeName", 400, ""},
		{"existing queue, different attributes", func() error {
			name := env.Name(t, "exists")
			if _, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: map[string]string{"VisibilityTimeout": "10"}}); err != nil {
				return err
			}
			defer env.SQS.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(env.Endpoint + "/000000000000/" + name)})
			_, err := env.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &name, Attributes: map[string]string{"VisibilityTimeout": "20"}})
			return err
		}, "QueueAlreadyExists", 400, "fauxqs: reports QueueNameExists where the SQS API model's legacy code is QueueAlreadyExists"},
		{"message too long", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(strings.Repeat("x", 1<<20+1))})
			return err
		}, "InvalidParameterValue", 400, ""},
		{"invalid characters", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("nul \x00 byte")})
			return err
		}, "InvalidMessageContents", 400, ""},
		{"too many message attributes", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageAttributes: tooManyAttrs})
			return err
		}, "InvalidParameterValue", 400, "fauxqs: does not validate message attributes as AWS documents"},
		{"reserved attribute name", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"AWS.thing": strAttr("String", "v")}})
			return err
		}, "InvalidParameterValue", 400, "fauxqs: does not validate message attributes as AWS documents"},
		{"unknown attribute type", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"a": strAttr("Text", "v")}})
			return err
		}, "InvalidParameterValue", 400, "fauxqs: does not validate message attributes as AWS documents"},
		{"number attribute not a number", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"),
				MessageAttributes: map[string]types.MessageAttributeValue{"n": strAttr("Number", "twelve")}})
			return err
		}, "InvalidParameterValue", 400, "fauxqs: does not validate message attributes as AWS documents"},
		{"delay out of range", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 901})
			return err
		}, "InvalidParameterValue", 400, "fauxqs: does not check DelaySeconds is within 0 to 900"},
		{"FIFO without group", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &fifoURL, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
			return err
		}, "MissingParameter", 400, ""},
		{"FIFO without deduplication", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &fifoURL, MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
			return err
		}, "InvalidParameterValue", 400, ""},
		{"deduplication id on a standard queue", func() error {
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageDeduplicationId: aws.String("d")})
			return err
		}, "InvalidParameterValue", 400, "fauxqs: accepts MessageDeduplicationId on standard queues"},
		{"too many messages asked", func() error {
			_, err := env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
			return err
		}, "InvalidParameterValue", 400, ""},
		{"wait too long", func() error {
			_, err := env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 21})
			return err
		}, "InvalidParameterValue", 400, ""},
		{"empty batch", func() error {
			_, err := env.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{}})
			return err
		}, "AWS.SimpleQueueService.EmptyBatchRequest", 400, ""},
		{"too many batch entries", func() error {
			_, err := env.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries(11, seq)})
			return err
		}, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, ""},
		{"duplicate batch ids", func() error {
			_, err := env.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries(2, func(int) string { return "same" })})
			return err
		}, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, ""},
		{"invalid batch id", func() error {
			_, err := env.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries(1, func(int) string { return "not valid!" })})
			return err
		}, "AWS.SimpleQueueService.InvalidBatchEntryId", 400, ""},
		{"batch too long", func() error {
			big := strings.Repeat("x", 200_000)
			var es []types.SendMessageBatchRequestEntry
			for i := range 6 {
				es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(seq(i)), MessageBody: &big})
			}
			_, err := env.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: es})
			return err
		}, "AWS.SimpleQueueService.BatchRequestTooLong", 400, ""},
		{"malformed receipt handle", func() error {
			_, err := env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
			return err
		}, "ReceiptHandleIsInvalid", 404, "fauxqs: accepts any receipt handle"},
		{"visibility out of range", func() error {
			_, err := env.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage"), VisibilityTimeout: 43201})
			return err
		}, "InvalidParameterValue", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			err := tt.call()
			if skipFor(t, env, tt.skip) {
				return
			}
			code, status := apiError(t, err)
			is.Equal(legacyCode(env, code), legacyCode(env, tt.code))
			is.Equal(status, tt.status)
		})
	}
	// None of that broke the queue. (A reference that accepted some of
	// the bad messages holds them too.)
	is := is.New(t)
	sendBody(t, env, url, "still fine")
	var bodies []string
	for {
		msgs := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60})
		if len(msgs) == 0 {
			break
		}
		for _, m := range msgs {
			bodies = append(bodies, aws.ToString(m.Body))
		}
	}
	is.True(slices.Contains(bodies, "still fine"))
	if env.Reference == "embedded" {
		is.Equal(bodies, []string{"still fine"})
	}
}

func TestConformanceBatchPartialFailure(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "partial", nil)
	out, err := env.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("good"), MessageBody: aws.String("ok")},
		{Id: aws.String("bad"), MessageBody: aws.String("nul \x00 byte")},
	}})
	is.NoErr(err)
	is.Equal(len(out.Successful), 1)
	is.Equal(aws.ToString(out.Successful[0].Id), "good")
	is.Equal(aws.ToString(out.Successful[0].MD5OfMessageBody), md5Hex("ok"))
	is.Equal(len(out.Failed), 1)
	is.Equal(aws.ToString(out.Failed[0].Id), "bad")
	is.True(out.Failed[0].SenderFault)
	is.Equal(legacyCode(env, aws.ToString(out.Failed[0].Code)), "InvalidMessageContents")

	// Deleting with one bad handle fails that entry only.
	msgs := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 2})
	is.Equal(len(msgs), 1)
	del, err := env.SQS.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: []types.DeleteMessageBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: msgs[0].ReceiptHandle},
		{Id: aws.String("b"), ReceiptHandle: aws.String("garbage")},
	}})
	is.NoErr(err)
	if deviates(t, env, "fauxqs", "accepts any receipt handle") {
		return
	}
	is.Equal(len(del.Successful), 1)
	is.Equal(len(del.Failed), 1)
	is.Equal(aws.ToString(del.Failed[0].Code), "ReceiptHandleIsInvalid")
}

func TestConformanceChangeVisibilityBatch(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "cvb", nil)
	sendBody(t, env, url, "1")
	sendBody(t, env, url, "2")
	var msgs []types.Message
	for len(msgs) < 2 {
		got := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 2})
		is.True(len(got) > 0)
		msgs = append(msgs, got...)
	}
	out, err := env.SQS.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url, Entries: []types.ChangeMessageVisibilityBatchRequestEntry{
		{Id: aws.String("a"), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0},
		{Id: aws.String("b"), ReceiptHandle: msgs[1].ReceiptHandle, VisibilityTimeout: 300},
	}})
	is.NoErr(err)
	is.Equal(len(out.Successful), 2)
	back := receive(t, env, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	is.Equal(len(back), 1)
	is.Equal(aws.ToString(back[0].MessageId), aws.ToString(msgs[0].MessageId))
}

func TestConformanceTypedErrors(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "typed", nil)
	_, err := env.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("x"), MessageBody: aws.String("1")}, {Id: aws.String("x"), MessageBody: aws.String("2")}}})
	var notDistinct *types.BatchEntryIdsNotDistinct
	is.True(errors.As(err, &notDistinct))
	_, err = env.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("garbage")})
	var badHandle *types.ReceiptHandleIsInvalid
	if !deviates(t, env, "fauxqs", "accepts any receipt handle") {
		is.True(errors.As(err, &badHandle))
	}
	_, err = env.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"Bogus"}})
	var badName *types.InvalidAttributeName
	if !deviates(t, env, "fauxqs", "accepts unknown attribute names in GetQueueAttributes") {
		is.True(errors.As(err, &badName))
	}
}

// TestConformanceBodyCharacters checks the characters AWS documents as
// allowed in a message body: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to
// #xFFFD | #x10000 to #x10FFFF.
func TestConformanceBodyCharacters(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	ctx := context.Background()
	_, url := env.CreateQueue(t, "chars", nil)
	tests := []struct {
		name, body string
		ok         bool
		skip       string
	}{
		{"tab, newline, return", "a\tb\nc\rd", true, ""},
		{"basic multilingual plane", "räksmörgås €", true, ""},
		{"beyond the BMP", "rocket 🚀", true, "fauxqs: rejects characters beyond U+FFFF"},
		{"NUL", "a\x00b", false, "moto: accepts characters AWS rejects"},
		{"other control character", "a\x07b", false, "moto: accepts characters AWS rejects"},
		{"U+FFFF", "a\uffffb", false, "moto: accepts characters AWS rejects"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			_, err := env.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(tt.body)})
			if skipFor(t, env, tt.skip) {
				return
			}
			if tt.ok {
				is.NoErr(err)
				return
			}
			code, status := apiError(t, err)
			is.Equal(legacyCode(env, code), "InvalidMessageContents")
			is.Equal(status, 400)
		})
	}
}
