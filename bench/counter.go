package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqsflow/sqsflow/emulator"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts the AWS requests of every SDK client made from the
// aws.Config it is installed in (see awsConfig): each HTTP attempt,
// retries included, as AWS bills them, by "service:Operation". It also
// counts what the requests achieved (messages received, deleted and
// published), which tells the harness when an implementation has acked
// everything, whatever its own API says.
type Counter struct {
	mu   sync.Mutex
	byOp map[string]int64

	requests, received, deleted, published atomic.Int64

	// onFirstReceive runs once, when the first ReceiveMessage is sent: the
	// implementation has finished its set-up and starts consuming.
	onFirstReceive func()
	firstReceive   sync.Once
	// onProgress runs after every delete or publish that succeeded.
	onProgress func()
}

// NewCounter returns a Counter that counts nothing yet.
func NewCounter() *Counter { return &Counter{byOp: map[string]int64{}} }

// Requests returns the number of requests sent.
func (c *Counter) Requests() int64 { return c.requests.Load() }

// ByOp returns the requests by "service:Operation".
func (c *Counter) ByOp() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.byOp))
	for k, v := range c.byOp {
		out[k] = v
	}
	return out
}

// install adds the counting middleware to a client's stack: one in the
// finalize step after the retry middleware (so it runs once per HTTP
// attempt) and one in the initialize step that reads the operation's
// result.
func (c *Counter) install(stack *middleware.Stack) error {
	err := stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("benchCountAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetServiceID(ctx) + ":" + awsmiddleware.GetOperationName(ctx)
			c.requests.Add(1)
			c.mu.Lock()
			c.byOp[op]++
			c.mu.Unlock()
			if op == "SQS:ReceiveMessage" && c.onFirstReceive != nil {
				c.firstReceive.Do(c.onFirstReceive)
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
	if err != nil {
		return err
	}
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("benchCountResults",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			var progress bool
			switch r := out.Result.(type) {
			case *sqs.ReceiveMessageOutput:
				c.received.Add(int64(len(r.Messages)))
			case *sqs.DeleteMessageOutput:
				c.deleted.Add(1)
				progress = true
			case *sqs.DeleteMessageBatchOutput:
				c.deleted.Add(int64(len(r.Successful)))
				progress = true
			case *sns.PublishOutput:
				c.published.Add(1)
				progress = true
			case *sns.PublishBatchOutput:
				c.published.Add(int64(len(r.Successful)))
				progress = true
			}
			if progress && c.onProgress != nil {
				c.onProgress()
			}
			return out, md, err
		}), middleware.Before)
}

// awsConfig returns the aws.Config every implementation gets, the same for
// all: the endpoint, region us-east-1, static test credentials, the SDK's
// standard retryer, the counting middleware (in APIOptions, as
// config.WithAPIOptions puts it, so every client made from the config
// carries it) and an HTTP client that
// keeps up to 256 idle connections to the endpoint (the SDK's default of
// 10 per host would make any implementation with more than ten requests in
// flight open and close connections all the time, which measures the
// machine's TCP stack, not the library).
func awsConfig(_ context.Context, endpoint string, c *Counter) (aws.Config, *http.Transport, error) {
	tr := &http.Transport{
		Proxy:               nil, // loopback only: never through a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	// The transport gets a private copy of each request body, for every
	// implementation alike: see emulator.RoundTripper (aws/aws-sdk-go-v2#1825).
	httpClient := &http.Client{Transport: emulator.RoundTripper(tr)}
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   httpClient,
		RetryMode:    aws.RetryModeStandard,
	}
	if c != nil {
		cfg.APIOptions = append(cfg.APIOptions, c.install)
	}
	return cfg, tr, nil
}
