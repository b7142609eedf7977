package reliability_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/internal/reliability"
)

// proxied starts an emulator and a proxy in front of it injecting only
// fault, at rate 1; it returns a client of the emulator, a client of the
// proxy that does not retry and times out after timeout, and the proxy.
func proxied(t *testing.T, fault reliability.Fault, timeout time.Duration) (direct, faulty aws.Config, p *reliability.FaultProxy) {
	t.Helper()
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	p, err = reliability.StartProxy(reliability.ProxyOptions{
		Target: srv.Endpoint(), Rate: 1, Faults: []reliability.Fault{fault}, Latency: 4 * timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	faulty = reliability.ClientConfig(p.URL(), timeout)
	faulty.RetryMaxAttempts = 1
	t.Cleanup(faulty.HTTPClient.(*http.Client).CloseIdleConnections)
	return srv.Config(), faulty, p
}

// TestFaultProxySQS checks that each fault reaches an SQS client as AWS's
// would: the right error, and the request done or not done as promised.
func TestFaultProxySQS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault reliability.Fault
		// check gets the error of a SendMessageBatch of 10 through the
		// proxy, its output, and how many messages reached the queue.
		check func(is *is.I, err error, out *sqs.SendMessageBatchOutput, queued int)
	}{
		{reliability.ServerError, func(is *is.I, err error, _ *sqs.SendMessageBatchOutput, queued int) {
			var api smithy.APIError
			is.True(errors.As(err, &api))
			is.Equal(api.ErrorCode(), "InternalError")
			is.Equal(api.ErrorFault(), smithy.FaultServer)
			is.Equal(httpStatus(err), 500)
			is.Equal(queued, 0)
		}},
		{reliability.Throttle, func(is *is.I, err error, _ *sqs.SendMessageBatchOutput, queued int) {
			is.True(retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool()) // the SDK sees throttling
			is.Equal(httpStatus(err), 400)
			is.Equal(queued, 0)
		}},
		{reliability.PartialBatch, func(is *is.I, err error, out *sqs.SendMessageBatchOutput, queued int) {
			is.NoErr(err)
			is.True(len(out.Failed) >= 1)
			is.Equal(len(out.Successful)+len(out.Failed), 10)
			is.Equal(queued, len(out.Successful)) // failed entries were not sent
			for _, f := range out.Failed {
				is.Equal(f.SenderFault, false)
				is.Equal(aws.ToString(f.Code), "InternalError")
			}
		}},
		{reliability.ResetBefore, func(is *is.I, err error, _ *sqs.SendMessageBatchOutput, queued int) {
			is.True(err != nil)
			is.True(retry.RetryableConnectionError{}.IsErrorRetryable(err).Bool()) // a retryable connection error
			is.Equal(queued, 0)
		}},
		{reliability.ResetAfter, func(is *is.I, err error, _ *sqs.SendMessageBatchOutput, queued int) {
			is.True(err != nil)
			is.Equal(queued, 10) // sent, though the client does not know
		}},
		{reliability.Latency, func(is *is.I, err error, _ *sqs.SendMessageBatchOutput, queued int) {
			is.True(err != nil) // the client timed out
			is.Equal(queued, 10)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			direct, faulty, p := proxied(t, tt.fault, 500*time.Millisecond)
			ctx := context.Background()
			dc := sqs.NewFromConfig(direct)
			q, err := dc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
			is.NoErr(err)
			entries := make([]types.SendMessageBatchRequestEntry, 10)
			for i := range entries {
				entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String("e" + strconv.Itoa(i)), MessageBody: aws.String("body " + strconv.Itoa(i))}
			}
			out, err := sqs.NewFromConfig(faulty).SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries})
			if tt.fault == reliability.Latency || tt.fault == reliability.ResetAfter {
				// The proxy forwarded the request; wait until it has
				// answered (or given up on) the client.
				waitFor(t, func() bool { c, _ := reliability.Counts(ctx, dc, *q.QueueUrl); return c.Visible == 10 })
			}
			c, cerr := reliability.Counts(ctx, dc, aws.ToString(q.QueueUrl))
			is.NoErr(cerr)
			tt.check(is, err, out, c.Visible)
			is.Equal(p.Counts().Faults[tt.fault], int64(1))
			is.Equal(p.Counts().Injected(), int64(1))
		})
	}
}

// TestFaultProxySNS checks SNS's errors (the query protocol) and partial
// PublishBatch failures.
func TestFaultProxySNS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault reliability.Fault
		check func(is *is.I, err error, out *sns.PublishBatchOutput)
	}{
		{reliability.ServerError, func(is *is.I, err error, _ *sns.PublishBatchOutput) {
			var api smithy.APIError
			is.True(errors.As(err, &api))
			is.Equal(api.ErrorCode(), "InternalError")
			is.Equal(httpStatus(err), 500)
		}},
		{reliability.Throttle, func(is *is.I, err error, _ *sns.PublishBatchOutput) {
			var api smithy.APIError
			is.True(errors.As(err, &api))
			is.Equal(api.ErrorCode(), "Throttling")
			is.True(retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool())
		}},
		{reliability.PartialBatch, func(is *is.I, err error, out *sns.PublishBatchOutput) {
			is.NoErr(err)
			is.True(len(out.Failed) >= 1)
			is.Equal(len(out.Successful)+len(out.Failed), 10)
			for _, f := range out.Failed {
				is.Equal(aws.ToString(f.Code), "InternalError")
				is.Equal(f.SenderFault, false)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			direct, faulty, p := proxied(t, tt.fault, time.Second)
			ctx := context.Background()
			topic, err := sns.NewFromConfig(direct).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t")})
			is.NoErr(err)
			entries := make([]snstypes.PublishBatchRequestEntry, 10)
			for i := range entries {
				entries[i] = snstypes.PublishBatchRequestEntry{Id: aws.String("e" + strconv.Itoa(i)), Message: aws.String("message " + strconv.Itoa(i))}
			}
			out, err := sns.NewFromConfig(faulty).PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic.TopicArn, PublishBatchRequestEntries: entries})
			tt.check(is, err, out)
			is.Equal(p.Counts().Faults[tt.fault], int64(1))
		})
	}
}

// TestFaultProxyRate checks that the proxy faults about the share of
// requests it is told to, and none after SetRate(0).
func TestFaultProxyRate(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	is.NoErr(err)
	defer srv.Close()
	p, err := reliability.StartProxy(reliability.ProxyOptions{
		Target: srv.Endpoint(), Rate: 0.2, Faults: []reliability.Fault{reliability.ServerError, reliability.Throttle}, Seed: 7,
	})
	is.NoErr(err)
	defer p.Close()
	cfg := reliability.ClientConfig(p.URL(), 5*time.Second)
	cfg.RetryMaxAttempts = 1
	defer cfg.HTTPClient.(*http.Client).CloseIdleConnections()
	client := sqs.NewFromConfig(cfg)
	ctx := context.Background()
	const n = 500
	failed := 0
	for range n {
		if _, err := client.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
			failed++
		}
	}
	c := p.Counts()
	is.Equal(c.Requests, int64(n))
	is.Equal(c.Injected(), int64(failed))     // every fault reached the client
	is.True(failed > n/10 && failed < n*3/10) // about 20%
	p.SetRate(0)
	for range 50 {
		_, err := client.ListQueues(ctx, &sqs.ListQueuesInput{})
		is.NoErr(err) // no faults at rate 0
	}
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// waitFor polls cond, which reads state that tells no one when it changes,
// for up to 10 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
