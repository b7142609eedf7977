package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
)

// Tests of the embedded emulator itself: its lifecycle, its clock, its own
// endpoints. The conformance suite covers the AWS behaviour.

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func start(t *testing.T, opts emulator.Options) (*emulator.Server, *sqs.Client) {
	t.Helper()
	srv, err := emulator.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, sqs.NewFromConfig(srv.Config())
}

func createQueue(t *testing.T, c *sqs.Client, name string, attrs map[string]string) string {
	t.Helper()
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: &name, Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

func recv(t *testing.T, c *sqs.Client, url string) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out.Messages
}

func send(t *testing.T, c *sqs.Client, in *sqs.SendMessageInput) *sqs.SendMessageOutput {
	t.Helper()
	out, err := c.SendMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	return out
}

func TestCloseEndsLongPolls(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	srv, c := start(t, emulator.Options{})
	url := createQueue(t, c, "q", nil)
	done := make(chan error, 1)
	begun := time.Now()
	go func() {
		_, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 20})
		done <- err
	}()
	// Wait until the poll is in progress (the server has counted it).
	for srv.Stats().Requests["sqs:ReceiveMessage"] == 0 {
		time.Sleep(time.Millisecond)
	}
	is.NoErr(srv.Close())
	<-done // an empty answer or a closed connection; either way, now
	is.True(time.Since(begun) < 10*time.Second)
	is.NoErr(srv.Close()) // idempotent
}

func TestRestartKeepsState(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	st := emulator.NewState()
	srv, c := start(t, emulator.Options{State: st})
	url := createQueue(t, c, "durable", nil)
	send(t, c, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("survives")})
	addr := srv.Addr()
	is.NoErr(srv.Close())

	srv2, c2 := start(t, emulator.Options{State: st, Addr: addr})
	is.Equal(srv2.Endpoint(), srv.Endpoint()) // same address, same queue URLs
	msgs := recv(t, c2, url)
	is.Equal(len(msgs), 1)
	is.Equal(aws.ToString(msgs[0].Body), "survives")

	_, err := emulator.Start(context.Background(), emulator.Options{State: st, Region: "eu-west-1"})
	is.True(err != nil) // a state belongs to one region and account
}

func TestServersAreIndependent(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	_, a := start(t, emulator.Options{})
	_, b := start(t, emulator.Options{})
	ua := createQueue(t, a, "same", nil)
	ub := createQueue(t, b, "same", nil)
	is.True(ua != ub)
	send(t, a, &sqs.SendMessageInput{QueueUrl: &ua, MessageBody: aws.String("only in a")})
	is.Equal(len(recv(t, b, ub)), 0)
	is.Equal(len(recv(t, a, ua)), 1)
}

func TestOwnEndpoints(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	srv, c := start(t, emulator.Options{})
	url := createQueue(t, c, "q", nil)
	send(t, c, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	resp, err := hc.Get(srv.Endpoint() + "/health")
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, http.StatusOK)

	resp, err = hc.Get(srv.Endpoint() + "/_emulator/stats")
	is.NoErr(err)
	var st emulator.Stats
	is.NoErr(json.NewDecoder(resp.Body).Decode(&st))
	resp.Body.Close()
	is.Equal(st.Requests["sqs:CreateQueue"], int64(1))
	is.Equal(st.Requests["sqs:SendMessage"], int64(1))
	is.Equal(st.MessagesSent, int64(1))
	is.Equal(st.Total(), int64(2))
}

func TestClockDrivesTimeouts(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	_, c := start(t, emulator.Options{Now: clock.Now})
	ctx := context.Background()

	t.Run("visibility timeout", func(t *testing.T) {
		is := is.New(t)
		url := createQueue(t, c, "vis", map[string]string{"VisibilityTimeout": "30"})
		send(t, c, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
		is.Equal(len(recv(t, c, url)), 1)
		clock.Advance(29 * time.Second)
		is.Equal(len(recv(t, c, url)), 0)
		clock.Advance(time.Second)
		msgs := recv(t, c, url)
		is.Equal(len(msgs), 1)
		is.Equal(msgs[0].Attributes["ApproximateReceiveCount"], "2")
		is.Equal(msgs[0].Attributes["SentTimestamp"], "1735787045000") // the fake clock's time
	})
	t.Run("delay", func(t *testing.T) {
		is := is.New(t)
		url := createQueue(t, c, "delay", nil)
		send(t, c, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), DelaySeconds: 900})
		clock.Advance(899 * time.Second)
		is.Equal(len(recv(t, c, url)), 0)
		clock.Advance(time.Second)
		is.Equal(len(recv(t, c, url)), 1)
	})
	t.Run("retention", func(t *testing.T) {
		is := is.New(t)
		url := createQueue(t, c, "retention", map[string]string{"MessageRetentionPeriod": "60"})
		send(t, c, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("old")})
		clock.Advance(30 * time.Second)
		send(t, c, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("young")})
		clock.Advance(30 * time.Second)
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{"ApproximateNumberOfMessages"}})
		is.NoErr(err)
		is.Equal(out.Attributes["ApproximateNumberOfMessages"], "1")
		msgs := recv(t, c, url)
		is.Equal(len(msgs), 1)
		is.Equal(aws.ToString(msgs[0].Body), "young")
	})
	t.Run("deduplication window", func(t *testing.T) {
		is := is.New(t)
		url := createQueue(t, c, "dedup.fifo", map[string]string{"FifoQueue": "true"})
		in := &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String("d")}
		first := send(t, c, in)
		clock.Advance(4*time.Minute + 59*time.Second)
		dup := send(t, c, in)
		is.Equal(aws.ToString(dup.MessageId), aws.ToString(first.MessageId)) // the emulator reports the original message
		is.Equal(aws.ToString(dup.SequenceNumber), aws.ToString(first.SequenceNumber))
		clock.Advance(time.Second)
		again := send(t, c, in) // the 5-minute window has passed
		is.True(aws.ToString(again.MessageId) != aws.ToString(first.MessageId))
	})
	t.Run("purge once a minute", func(t *testing.T) {
		is := is.New(t)
		url := createQueue(t, c, "purge", nil)
		_, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url})
		is.NoErr(err)
		_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url})
		var inProgress *types.PurgeQueueInProgress
		is.True(errors.As(err, &inProgress))
		clock.Advance(time.Minute)
		_, err = c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &url})
		is.NoErr(err)
	})
	t.Run("visibility at most 12 hours", func(t *testing.T) {
		is := is.New(t)
		url := createQueue(t, c, "twelve", map[string]string{"VisibilityTimeout": "7200"})
		send(t, c, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x")})
		msgs := recv(t, c, url)
		is.Equal(len(msgs), 1)
		clock.Advance(time.Hour)
		_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 11 * 3600})
		is.NoErr(err)
		_, err = c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 11*3600 + 1})
		is.True(err != nil)
	})
	t.Run("FIFO receipt handle expires", func(t *testing.T) {
		is := is.New(t)
		url := createQueue(t, c, "expire.fifo", map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "10"})
		send(t, c, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("x"), MessageGroupId: aws.String("g")})
		first := recv(t, c, url)
		is.Equal(len(first), 1)
		clock.Advance(10 * time.Second)
		second := recv(t, c, url)
		is.Equal(len(second), 1)
		_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: first[0].ReceiptHandle})
		var invalid *types.ReceiptHandleIsInvalid
		is.True(errors.As(err, &invalid)) // the first handle expired with its receive
		_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: second[0].ReceiptHandle})
		is.NoErr(err)
	})
}

// post sends a raw request to the server and returns status, headers and body.
func post(t *testing.T, endpoint string, header map[string]string, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestRawSQSProtocolErrors(t *testing.T) {
	t.Parallel()
	srv, c := start(t, emulator.Options{})
	url := createQueue(t, c, "raw", nil)
	sqsHeader := func(action string) map[string]string {
		return map[string]string{"X-Amz-Target": "AmazonSQS." + action, "Content-Type": "application/x-amz-json-1.0"}
	}
	tests := []struct {
		name, action, body string
		status             int
		typ, queryError    string
	}{
		{"malformed JSON", "SendMessage", `{"QueueUrl": `, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"wrong type", "ReceiveMessage", `{"QueueUrl":"` + url + `","MaxNumberOfMessages":"ten"}`, 400, "com.amazon.coral.service#SerializationException", "SerializationException;Sender"},
		{"unknown action", "FlyToTheMoon", `{}`, 400, "com.amazon.coral.service#UnknownOperationException", "UnknownOperationException;Sender"},
		{"missing QueueUrl", "SendMessage", `{"MessageBody":"x"}`, 400, "com.amazonaws.sqs#MissingParameter", "MissingParameter;Sender"},
		{"missing body", "SendMessage", `{"QueueUrl":"` + url + `"}`, 400, "com.amazonaws.sqs#MissingParameter", "MissingParameter;Sender"},
		{"bad queue URL", "SendMessage", `{"QueueUrl":"http://x","MessageBody":"x"}`, 404, "com.amazonaws.sqs#InvalidAddress", "InvalidAddress;Sender"},
		{"unknown queue", "PurgeQueue", `{"QueueUrl":"` + url + `-nope"}`, 400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
		{"null entries", "DeleteMessageBatch", `{"QueueUrl":"` + url + `","Entries":null}`, 400, "com.amazonaws.sqs#EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest;Sender"},
		{"empty body", "ListQueues", ``, 200, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			status, hdr, body := post(t, srv.Endpoint(), sqsHeader(tt.action), tt.body)
			is.Equal(status, tt.status)
			is.Equal(hdr.Get("X-Amzn-Query-Error"), tt.queryError)
			if tt.typ != "" {
				var e struct {
					Type    string `json:"__type"`
					Message string `json:"message"`
				}
				is.NoErr(json.Unmarshal([]byte(body), &e))
				is.Equal(e.Type, tt.typ)
				is.True(e.Message != "")
			}
		})
	}
}

// FuzzSQSRequest sends arbitrary bodies to every SQS action: the emulator
// must answer (never panic, never a 5xx) and keep working.
func FuzzSQSRequest(f *testing.F) {
	actions := []string{"CreateQueue", "GetQueueUrl", "GetQueueAttributes", "SetQueueAttributes", "ListQueues", "DeleteQueue",
		"PurgeQueue", "SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
		"ChangeMessageVisibility", "ChangeMessageVisibilityBatch", "ListQueueTags", "TagQueue", "UntagQueue", "ListDeadLetterSourceQueues"}
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	const q = `"QueueUrl":"http://127.0.0.1/000000000000/fz"`
	seeds := []string{
		`{"QueueName":"fz","Attributes":{"VisibilityTimeout":"0"}}`,
		`{"QueueName":"fz.fifo","Attributes":{"FifoQueue":"true","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:fz\",\"maxReceiveCount\":1}"}}`,
		`{` + q + `,"MessageBody":"x","MessageAttributes":{"a":{"DataType":"Number","StringValue":"1e5"}}}`,
		`{` + q + `,"Entries":[{"Id":"a","MessageBody":"x","DelaySeconds":3},{"Id":"b","ReceiptHandle":"AAAA","VisibilityTimeout":5}]}`,
		`{` + q + `,"MaxNumberOfMessages":10,"MessageAttributeNames":["All"],"AttributeNames":["All"]}`,
		`{` + q + `,"ReceiptHandle":"` + strings.Repeat("A", 27) + `","VisibilityTimeout":1}`,
		`{` + q + `,"Attributes":{"RedrivePolicy":"{}"}}`,
		`[]`, `null`, `"x"`, `{"QueueUrl":5}`,
	}
	for i, s := range seeds {
		for a := range actions {
			if a%len(seeds) == i {
				f.Add(uint8(a), s)
			}
		}
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, action uint8, body string) {
		req, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(body)))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+actions[int(action)%len(actions)])
		rec := &recorder{header: http.Header{}}
		srv.ServeHTTP(rec, req)
		if rec.status >= 500 {
			t.Fatalf("%s %q: status %d: %s", actions[int(action)%len(actions)], body, rec.status, rec.body.String())
		}
	})
}

// recorder is a minimal http.ResponseWriter (httptest.ResponseRecorder
// without the import).
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = 200
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(s int) { r.status = s }

func TestRoundTripperClosesIdleConnections(t *testing.T) {
	closed := false
	rt := emulator.RoundTripper(closeRecorder{&closed})
	(&http.Client{Transport: rt}).CloseIdleConnections()
	if !closed {
		t.Fatal("http.Client.CloseIdleConnections did not reach the wrapped transport")
	}
}

type closeRecorder struct{ closed *bool }

func (c closeRecorder) RoundTrip(*http.Request) (*http.Response, error) { return nil, nil }
func (c closeRecorder) CloseIdleConnections()                           { *c.closed = true }
