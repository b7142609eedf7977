package source_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// A message that always fails is retried with a backoff and, after
// MaxReceiveCount receives, moved to the dead-letter queue by SQS; the
// others are processed once.
func TestRetryThenDeadLetter(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue, dlq := env.Name(t, "orders"), env.Name(t, "retry"), env.Name(t, "retry-dlq")
	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	src := source.SNSSQS(p, topic, source.Options{
		AWS: env.Config, Queue: queue, Logger: quiet, Stats: &stats,
		DeadLetter: provision.Set(provision.DeadLetter{Queue: dlq, MaxReceiveCount: 3}),
		Backoff:    source.Backoff{Base: time.Second, Max: time.Second, Jitter: 0.01},
	})
	const n = 20
	ok := newCounter(n - 1)
	attempts := newCounter(3) // message 13 is tried three times
	stage.Each(envelope.DecodeJSON[Order](src), 4, func(_ context.Context, o Order) error {
		if o.ID == 13 {
			attempts.add(o.ID)
			return errors.New("payment service rejected 13")
		}
		ok.add(o.ID)
		return nil
	})
	p.OnStart("publish", func(context.Context) error {
		publish(t, env, topicARN(t, env, topic), 0, n, eur)
		return nil
	})
	// SQS moves the message when a receive finds it past MaxReceiveCount,
	// so the source keeps receiving until it is in the dead-letter queue.
	movedc := make(chan []sqstypes.Message, 1)
	go func() {
		<-attempts.reached
		movedc <- receiveAll(t, env, dlq, 1)
	}()
	var moved []sqstypes.Message
	all := make(chan struct{})
	go func() { <-ok.reached; moved = <-movedc; close(all) }()
	is.NoErr(flowtest.RunUntil(p, all, time.Minute))
	is.Equal(ok.duplicates(), 0)
	is.Equal(stats.Retried.Load(), int64(3))
	is.Equal(len(moved), 1)
	var body struct{ Message string }
	is.NoErr(json.Unmarshal([]byte(aws.ToString(moved[0].Body)), &body))
	opened, err := envelope.JSON(svc).Open(body.Message)
	is.NoErr(err)
	var o Order
	is.NoErr(json.Unmarshal(opened.Data, &o))
	is.Equal(o.ID, 13)
}

// A message that cannot be decoded is a permanent failure: it goes to the
// dead-letter queue at once (no retries), with its body intact, and the good
// messages around it are processed.
func TestPoisonGoesToDeadLetterAtOnce(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	queue, dlq := env.Name(t, "poison"), env.Name(t, "poison-dlq")
	var stats source.Stats
	decodeFailed := make(chan error, 1)
	p := flow.New(flow.WithLogger(quiet), flow.WithErrorHandler(func(e *flow.StageError) { decodeFailed <- e.Err }))
	src := source.SQS(p, queue, source.Options{
		AWS: env.Config, Logger: quiet, Stats: &stats,
		DeadLetter: provision.Set(provision.DeadLetter{Queue: dlq, MaxReceiveCount: 5}),
	})
	good := newCounter(2)
	stage.Each(envelope.DecodeJSON[Order](src), 2, func(_ context.Context, o Order) error {
		good.add(o.ID)
		return nil
	})
	bodies := []string{
		sqsBody(t, Order{ID: 1}),
		`{"Type": "Message", "Message": "{\"data\": not json}"}`,
		sqsBody(t, Order{ID: 2}),
	}
	p.OnStart("send", func(ctx context.Context) error {
		url := queueURL(t, env, queue)
		for _, b := range bodies {
			sendRaw(t, env, url, b)
		}
		return nil
	})
	both := make(chan struct{})
	go func() {
		<-good.reached
		is.True(flow.IsPermanent(<-decodeFailed))
		close(both)
	}()
	// Run flushes the poison path before it returns.
	is.NoErr(flowtest.RunUntil(p, both, time.Minute))
	is.Equal(stats.Poisoned.Load(), int64(1))
	is.Equal(stats.Retried.Load(), int64(0))
	moved := receiveAll(t, env, dlq, 1)
	is.Equal(len(moved), 1)
	is.Equal(aws.ToString(moved[0].Body), bodies[1]) // as it was received
	visible, inFlight := queueCounts(t, env, queue)
	is.Equal(visible+inFlight, 0)
}
