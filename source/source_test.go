package source_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

func TestConsumeAndAck(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue := env.Name(t, "orders"), env.Name(t, "billing")
	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	orders := envelope.DecodeJSON[Order](source.SNSSQS(p, topic, source.Options{AWS: env.Config, Queue: queue, Stats: &stats, Logger: quiet}))
	const n = 250
	seen := newCounter(n)
	var topics atomic.Value
	stage.Each(stage.Tap(orders, func(Order) {}), 4, func(_ context.Context, o Order) error {
		seen.add(o.ID)
		return nil
	})
	_ = topics

	// Provisioning happens in Run; publish once the subscription exists.
	started := make(chan struct{})
	p.OnStart("publish", func(context.Context) error {
		publish(t, env, topicARN(t, env, topic), 0, n, eur)
		close(started)
		return nil
	})
	is.NoErr(flowtest.RunUntil(p, seen.reached, time.Minute))
	is.Equal(seen.distinct(), n)
	is.Equal(seen.duplicates(), 0)
	is.Equal(stats.Received.Load(), int64(n))
	is.Equal(stats.Acked.Load(), int64(n))
	is.Equal(stats.Deleted.Load(), int64(n)) // every delete flushed before Run returned
	visible, inFlight := queueCounts(t, env, queue)
	is.Equal(visible+inFlight, 0)
	is.True(stats.PeakInFlight() <= 100)
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue := env.Name(t, "orders"), env.Name(t, "meta")
	p := flow.New(flow.WithLogger(quiet))
	src := source.SNSSQS(p, topic, source.Options{AWS: env.Config, Queue: queue, Logger: quiet, Naming: provision.Naming{}})
	got := make(chan flow.Meta, 1)
	var delivery atomic.Pointer[envelope.Delivery]
	decoded := flow.Transform(src, "capture", func(_ context.Context, m *flow.Msg[envelope.Delivery]) (envelope.Delivery, error) {
		delivery.Store(&m.Value)
		return m.Value, nil
	})
	orders := envelope.DecodeJSON[Order](decoded)
	done := make(chan struct{})
	flowEach(orders, func(m flow.Msg[Order]) {
		got <- *m.Meta
		close(done)
	})
	p.OnStart("publish", func(context.Context) error {
		publish(t, env, topicARN(t, env, topic), 7, 1, eur)
		return nil
	})
	is.NoErr(flowtest.RunUntil(p, done, time.Minute))
	meta := <-got
	is.Equal(meta.Topic, topic)
	is.Equal(meta.Attributes["currency"], "EUR")
	is.Equal(meta.ReceiveCount, 1)
	is.True(strings.HasPrefix(meta.UUID, svc.UUID+"."))
	is.True(meta.ID != "")
	is.True(!meta.Timestamp.IsZero())
	r, ok := source.ReceiptOf(&meta)
	is.True(ok)
	is.True(strings.HasSuffix(r.QueueURL, "/"+queue))
	is.True(r.ReceiptHandle != "")
	d := delivery.Load()
	is.Equal(d.Type, "Notification")
	is.True(d.SNSMessageID != "")
}

// flowEach ends s with a function that sees each whole message.
func flowEach[T any](s flow.Stream[T], fn func(flow.Msg[T])) {
	stage.Each(flow.Transform(s, "meta", func(_ context.Context, m *flow.Msg[T]) (flow.Msg[T], error) {
		fn(*m)
		return *m, nil
	}), 1, func(context.Context, flow.Msg[T]) error { return nil })
}

func TestBadOptionsFailRun(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New(flow.WithLogger(quiet))
	src := source.SNSSQS(p, "orders", source.Options{MaxMessages: 11, Window: -1, VisibilityTimeout: provision.Set(1500 * time.Millisecond)})
	stage.Each(src, 1, func(context.Context, envelope.Delivery) error { return nil })
	err := p.Run(context.Background())
	is.True(err != nil)
	for _, want := range []string{"MaxMessages 11", "Window -1", "VisibilityTimeout 1.5s"} {
		is.True(strings.Contains(err.Error(), want)) // the error names each bad field
	}
	var dummy *flow.StageError
	is.True(!errors.As(err, &dummy))
}
