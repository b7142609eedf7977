package exampleenv_test

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/sink"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The flags parse into Options, and Args turns Options back into the same
// flags.
func TestFlagsAndArgs(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		nil,
		{"-endpoint", "http://127.0.0.1:4566"},
		{"-aws", "-v", "-keep"},
		{"-endpoint", "http://localhost:9324", "-v"},
		{"-timeout", "30s"},
		{"-aws", "-timeout", "0s"},
	} {
		is := is.New(t)
		fs := flag.NewFlagSet("example", flag.ContinueOnError)
		o := exampleenv.Flags(fs)
		is.NoErr(fs.Parse(args))
		is.Equal(o.Args(), args)
	}
}

// On the embedded emulator names are not prefixed and release stops the
// emulator; -aws and -endpoint together are refused.
func TestOpen(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	ctx := context.Background()
	env, release, err := exampleenv.Open(ctx, exampleenv.Options{})
	is.NoErr(err)
	is.Equal(env.Naming.TopicPrefix, "")
	is.True(strings.HasPrefix(env.Where, "the embedded emulator at http://127.0.0.1:"))
	_, err = sqs.NewFromConfig(env.AWS).ListQueues(ctx, &sqs.ListQueuesInput{})
	is.NoErr(err)
	is.NoErr(release(ctx))
	_, err = sqs.NewFromConfig(env.AWS).ListQueues(ctx, &sqs.ListQueuesInput{})
	is.True(err != nil) // the emulator is gone

	_, _, err = exampleenv.Open(ctx, exampleenv.Options{AWS: true, Endpoint: "http://127.0.0.1:1"})
	is.True(err != nil)
}

// On an external endpoint a run's topics and queues carry its prefix, and
// release deletes them and nothing else.
func TestOpenEndpointDeletesOnlyTheRunsResources(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{})
	is.NoErr(err)
	defer srv.Close()
	env, release, err := exampleenv.Open(ctx, exampleenv.Options{Endpoint: srv.Endpoint()})
	is.NoErr(err)
	prefix := env.Naming.QueuePrefix
	is.Equal(len(prefix), len("sqsflow-1a2b3c-"))
	is.True(strings.HasPrefix(prefix, "sqsflow-"))
	is.Equal(env.Naming.TopicPrefix, prefix)

	sqsClient, snsClient := sqs.NewFromConfig(srv.Config()), sns.NewFromConfig(srv.Config())
	for _, name := range []string{prefix + "orders", prefix + "orders-dlq", "someone-elses"} {
		_, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
		is.NoErr(err)
		_, err = snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
		is.NoErr(err)
	}
	// The library names things with the prefix.
	_, err = sink.Publish(ctx, "order-placed", map[string]int{"id": 1}, sink.WithAWS(env.AWS), sink.WithNaming(env.Naming))
	is.NoErr(err)

	is.NoErr(release(ctx))
	queues, err := sqsClient.ListQueues(ctx, &sqs.ListQueuesInput{})
	is.NoErr(err)
	is.Equal(len(queues.QueueUrls), 1)
	is.True(strings.HasSuffix(queues.QueueUrls[0], "/someone-elses"))
	topics, err := snsClient.ListTopics(ctx, &sns.ListTopicsInput{})
	is.NoErr(err)
	is.Equal(len(topics.Topics), 1)
	is.True(strings.HasSuffix(aws.ToString(topics.Topics[0].TopicArn), ":someone-elses"))

	is.True(exampleenv.DeleteAll(ctx, srv.Config(), "") != nil) // an empty prefix would delete everything
}

// Run calls then once every pipeline has run its start hooks, and returns
// its error after stopping the pipelines; a pipeline that fails to start
// stops the others and then is not called.
func TestRun(t *testing.T) {
	t.Parallel()
	errPublish, errStart := errors.New("publish failed"), errors.New("cannot provision")
	for _, tc := range []struct {
		name      string
		thenErr   error
		startErr  error
		wantErr   error
		wantCalls bool
	}{
		{name: "clean", wantCalls: true},
		{name: "then fails", thenErr: errPublish, wantErr: errPublish, wantCalls: true},
		{name: "a pipeline fails to start", startErr: errStart, wantErr: errStart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			var hooks atomic.Int32
			var ps []*flow.Pipeline
			for i := range 2 {
				p := flow.New(flow.WithLogger(slogDiscard))
				p.OnStart("provision", func(context.Context) error {
					hooks.Add(1)
					if i == 1 {
						return tc.startErr
					}
					return nil
				})
				flowtest.Collect(flowtest.Slice(p, []int{1, 2}, flowtest.Options{}).Stream())
				ps = append(ps, p)
			}
			var called bool
			err := exampleenv.Run(context.Background(), func(context.Context) error {
				called = true
				is.Equal(hooks.Load(), int32(2)) // both pipelines had started
				return tc.thenErr
			}, ps...)
			is.Equal(called, tc.wantCalls)
			is.True(errors.Is(err, tc.wantErr))
			if tc.wantErr == nil {
				is.NoErr(err)
			}
		})
	}
}

// A countdown calls its function once, when the count reaches zero, also
// when it starts there.
func TestCountdown(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var calls atomic.Int32
	c := exampleenv.NewCountdown(3, func() { calls.Add(1) })
	for range 2 {
		c.Count()
	}
	is.Equal(calls.Load(), int32(0))
	is.Equal(c.Left(), 1)
	c.Count()
	c.Count() // past zero: no second call
	is.Equal(calls.Load(), int32(1))
	is.Equal(c.Left(), 0)
	exampleenv.NewCountdown(0, func() { calls.Add(1) })
	is.Equal(calls.Load(), int32(2))
}

// Every calls its function until stopped, and stop waits for a call in
// progress.
func TestEvery(t *testing.T) {
	t.Parallel()
	ticks := make(chan struct{})
	var after atomic.Bool
	stop := exampleenv.Every(1, func() {
		if after.Load() {
			t.Error("called after stop returned")
		}
		select {
		case ticks <- struct{}{}:
		default:
		}
	})
	for range 3 {
		<-ticks
	}
	stop()
	after.Store(true)
}

// Printer writes whole lines.
func TestPrinter(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var b strings.Builder
	p := exampleenv.NewPrinter(&b)
	p.Printf("%d %s", 1, "a")
	p.Printf("b")
	is.Equal(b.String(), "1 a\nb\n")
}

var slogDiscard = slog.New(slog.DiscardHandler)
