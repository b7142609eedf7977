package reliability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// Job is what the tests put on the input queue, sealed in the JSON base
// envelope by [SealJob].
type Job struct {
	// ID names the job; the tests look for it downstream.
	ID string `json:"id"`
	// N is a number the transform squares.
	N int64 `json:"n"`
	// Poison makes the transform fail the job permanently, so the source
	// dead-letters it.
	Poison bool `json:"poison,omitempty"`
	// SleepMS is how long the transform takes over the job, in milliseconds.
	SleepMS int `json:"sleep_ms,omitempty"`
	// Panic makes the transform panic, as a handler with a bug would.
	Panic bool `json:"panic,omitempty"`
}

// Result is what the pipeline sends downstream for each Job.
type Result struct {
	ID     string `json:"id"`
	Square int64  `json:"square"`
	// Worker names the process or pipeline that made it.
	Worker string `json:"worker"`
}

// Service is the envelope service the tests and the pipeline seal with.
var Service = envelope.Service{Name: "reliability", UUID: "6f1c2b1e-8f0e-4c55-9d3e-0a4d2c9b7e11"}

// Config configures the pipeline [Build] makes. Zero values are defaults.
type Config struct {
	// AWS is the SDK configuration the source and sink use (see
	// [ClientConfig]).
	AWS aws.Config
	// Input and Output are the URLs of the queue read and the queue written.
	// Input should have a redrive policy naming a dead-letter queue.
	Input, Output string
	// InputTopic, when set, makes the source an SNS+SQS source of that
	// topic that provisions its subscription, queue policy and visibility
	// timeout on Input at every start (source.SNSSQS); otherwise it only
	// reads Input (source.SQS, provisioning off).
	InputTopic string
	// OutputTopic, when set, makes the sink publish Results to that SNS
	// topic (sink.PublishSNS) instead of sending them to Output.
	OutputTopic string
	// FIFO says Input and Output are FIFO queues: the source keeps each
	// message group in order across failures (source.Options.StrictOrder),
	// the transform runs groups in parallel (stage.KeyedMap by group) and
	// the sink carries the group and deduplication ids over
	// (sink.WithSourceFIFOIDs).
	FIFO bool
	// Visibility is the visibility timeout messages are received with
	// (default 5s).
	Visibility time.Duration
	// NoHeartbeat turns the source's visibility heartbeat off.
	NoHeartbeat bool
	// Workers is the transform's concurrency (default 8).
	Workers int
	// Window is the source's in-flight window (default 100).
	Window int
	// Receivers is the number of long polls (default 2).
	Receivers int
	// WaitTime is the long-poll wait (default 1s, so that stops are quick).
	WaitTime time.Duration
	// DrainTimeout bounds the drain after the context is cancelled
	// (default 20s).
	DrainTimeout time.Duration
	// OnPermanent is the source's poison policy (default source.DeadLetter).
	OnPermanent source.PoisonPolicy
	// Backoff is the source's retry backoff (default Base 200ms, Max 2s:
	// quick, for tests).
	Backoff source.Backoff
	// Worker is stamped into every Result.
	Worker string
	// Logger receives the pipeline's log lines (default: discarded).
	Logger *slog.Logger
	// OnHandle, when set, is called with every job the transform starts.
	OnHandle func(Job)
	// OnError, when set, receives every failed message (flow.WithErrorHandler).
	OnError func(*flow.StageError)
	// SourceStats and SinkStats, when set, are kept up to date.
	SourceStats *source.Stats
	SinkStats   *sink.Stats
}

func (c *Config) setDefaults() {
	if c.Visibility == 0 {
		c.Visibility = 5 * time.Second
	}
	if c.Workers == 0 {
		c.Workers = 8
	}
	if c.Window == 0 {
		c.Window = 100
	}
	if c.Receivers == 0 {
		c.Receivers = 2
	}
	if c.WaitTime == 0 {
		c.WaitTime = time.Second
	}
	if c.DrainTimeout == 0 {
		c.DrainTimeout = 20 * time.Second
	}
	if c.Backoff == (source.Backoff{}) {
		c.Backoff = source.Backoff{Base: 200 * time.Millisecond, Max: 2 * time.Second}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// ErrPoison is the permanent failure of a job marked Poison.
var ErrPoison = errors.New("reliability: the job is poison")

// Build returns the pipeline under test: jobs are read from cfg.Input
// (JSON base envelope), squared by a transform with cfg.Workers workers,
// and sent as Results to cfg.Output (or published to cfg.OutputTopic). Poison jobs fail permanently; jobs
// that do not decode fail permanently too. Run the pipeline with Run.
func Build(cfg Config) *flow.Pipeline {
	cfg.setDefaults()
	opts := []flow.Option{flow.WithLogger(cfg.Logger), flow.WithDrainTimeout(cfg.DrainTimeout)}
	if cfg.OnError != nil {
		opts = append(opts, flow.WithErrorHandler(cfg.OnError))
	}
	p := flow.New(opts...)
	srcOpts := source.Options{
		AWS:               cfg.AWS,
		Provision:         source.ProvisionOff,
		VisibilityTimeout: provision.Set(cfg.Visibility),
		Window:            cfg.Window,
		Receivers:         cfg.Receivers,
		WaitTime:          cfg.WaitTime,
		Backoff:           cfg.Backoff,
		OnPermanent:       cfg.OnPermanent,
		Heartbeat:         source.Heartbeat{Disabled: cfg.NoHeartbeat},
		Stats:             cfg.SourceStats,
		FIFO:              cfg.FIFO,
		StrictOrder:       cfg.FIFO,
	}
	var deliveries flow.Stream[envelope.Delivery]
	if cfg.InputTopic != "" {
		srcOpts.Provision = source.ProvisionOn
		srcOpts.Queue = cfg.Input
		deliveries = source.SNSSQS(p, cfg.InputTopic, srcOpts)
	} else {
		deliveries = source.SQS(p, cfg.Input, srcOpts)
	}
	jobs := envelope.DecodeJSON[Job](deliveries)
	transform := func(ctx context.Context, j Job) (Result, error) {
		if cfg.OnHandle != nil {
			cfg.OnHandle(j)
		}
		if j.SleepMS > 0 {
			t := time.NewTimer(time.Duration(j.SleepMS) * time.Millisecond)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return Result{}, ctx.Err()
			}
		}
		if j.Poison {
			return Result{}, flow.Permanent(fmt.Errorf("job %s: %w", j.ID, ErrPoison))
		}
		if j.Panic {
			panic("reliability: job " + j.ID + " makes the handler panic")
		}
		return Result{ID: j.ID, Square: j.N * j.N, Worker: cfg.Worker}, nil
	}
	var results flow.Stream[Result]
	if cfg.FIFO {
		results = stage.KeyedMap(jobs, cfg.Workers, stage.ByGroup[Job], transform)
	} else {
		results = stage.Map(jobs, cfg.Workers, transform)
	}
	sinkOpts := []sink.Option{sink.WithAWS(cfg.AWS), sink.WithEnvelope(envelope.JSON(Service))}
	if cfg.FIFO {
		sinkOpts = append(sinkOpts, sink.WithSourceFIFOIDs())
	}
	if cfg.SinkStats != nil {
		sinkOpts = append(sinkOpts, sink.WithStats(cfg.SinkStats))
	}
	if cfg.OutputTopic != "" {
		sink.PublishSNS(results, cfg.OutputTopic, append(sinkOpts, sink.WithLookupOnly())...)
	} else {
		sink.SendSQS(results, cfg.Output, sinkOpts...)
	}
	return p
}

// SealJob returns the body the tests send for j: j in the JSON base
// envelope, as a tomodachi service publishing it would seal it.
func SealJob(j Job) (string, error) {
	return envelope.JSON(Service).Seal("jobs", j, nil)
}

// JobID returns the id of the Job in body, a body made by SealJob (the
// dead-letter queue holds the input's bodies as they were).
func JobID(body string) (string, error) {
	var j Job
	if err := openData(body, &j); err != nil {
		return "", err
	}
	return j.ID, nil
}

// ResultID returns the id of the Result in body, a body the pipeline's sink
// sent.
func ResultID(body string) (string, error) {
	var r Result
	if err := openData(body, &r); err != nil {
		return "", err
	}
	return r.ID, nil
}

// openData unwraps body (raw, or tomodachi's sqs_send_message form), opens
// the JSON base envelope and unmarshals its data into v.
func openData(body string, v any) error {
	d, err := envelope.Unwrap(body, nil, envelope.UnwrapOptions{})
	if err != nil {
		return err
	}
	o, err := envelope.JSON(Service).Open(d.Payload)
	if err != nil {
		return err
	}
	return json.Unmarshal(o.Data, v)
}

// ClientConfig returns an SDK configuration for endpoint with static test
// credentials, the SDK's standard retries (three attempts), and an HTTP
// client of its own (not shared with the emulator's clients, so a restart
// of the endpoint breaks its connections as it would in production).
// timeout, when positive, bounds every HTTP request, long polls included.
func ClientConfig(endpoint string, timeout time.Duration) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		HTTPClient:       newHTTPClient(timeout),
		RetryMode:        aws.RetryModeStandard,
		RetryMaxAttempts: 3,
	}
}

func newHTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil, // loopback only
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
			MaxIdleConns:        64,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
			DisableCompression:  true,
		},
	}
}
