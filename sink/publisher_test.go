package sink_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/sink"
)

// publishAll publishes orders 0..n-1 from n goroutines at once and returns
// each call's message id and error, by order id.
func publishAll(pub *sink.Publisher, topic string, n int) ([]string, []error) {
	ids, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { ids[i], errs[i] = pub.Publish(context.Background(), topic, Order{ID: i}) })
	}
	wg.Wait()
	return ids, errs
}

// Concurrent calls share batch requests, and each still gets its own message
// id; everything arrives.
func TestBatchPublisherSharesRequests(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue := env.Name(t, "events"), env.Name(t, "events-q")
	url := subscribedQueue(t, env, topic, queue, false)
	var stats sink.Stats
	pub := sink.NewBatchPublisher(sink.WithAWS(env.Config), sink.WithEnvelope(envelope.JSON(svc)),
		sink.WithStats(&stats), sink.WithLinger(50*time.Millisecond))
	defer pub.Close()
	const n = 200
	ids, errs := publishAll(pub, topic, n)
	seen := map[string]bool{}
	for i := range n {
		is.NoErr(errs[i])
		is.True(ids[i] != "")
		is.True(!seen[ids[i]]) // every call its own id
		seen[ids[i]] = true
	}
	is.Equal(stats.Sent.Load(), int64(n))
	t.Logf("%d messages in %d requests", n, stats.Requests.Load())
	is.True(stats.Requests.Load() <= n/5) // batched: ten a request when full
	got := drain(t, env, url, n)
	is.Equal(len(got), n)
}

// Entries AWS fails as its own fault are sent again, and the calls succeed;
// an entry rejected as the sender's fault fails its call alone, with the
// AWS error.
func TestBatchPublisherEntryFailures(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	t.Run("retried", func(t *testing.T) {
		is := is.New(t)
		topic := env.Name(t, "events")
		subscribedQueue(t, env, topic, env.Name(t, "events-q"), false)
		var stats sink.Stats
		// At most two failed requests and two dropped entries: no entry can
		// fail all five of its attempts.
		faulty := &faultySNS{SNS: env.SNS, failEvery: 3, dropEvery: 4, callLimit: 2, dropLimit: 2}
		pub := sink.NewBatchPublisher(sink.WithAWS(env.Config), sink.WithSNSClient(faulty), sink.WithStats(&stats))
		defer pub.Close()
		ids, errs := publishAll(pub, topic, 60)
		for i := range ids {
			is.NoErr(errs[i])
			is.True(ids[i] != "")
		}
		is.True(faulty.failedCalls.Load() > 0)
		is.True(faulty.dropped.Load() > 0)
		is.True(stats.Retried.Load() > 0)
		is.Equal(stats.Sent.Load(), int64(60))
	})
	t.Run("rejected", func(t *testing.T) {
		is := is.New(t)
		topic := env.Name(t, "events")
		subscribedQueue(t, env, topic, env.Name(t, "events-q"), false)
		rejecting := &rejectingSNS{SNS: env.SNS, reject: `"id": 7,`}
		pub := sink.NewBatchPublisher(sink.WithAWS(env.Config), sink.WithSNSClient(rejecting), sink.WithEnvelope(envelope.JSON(svc)))
		defer pub.Close()
		ids, errs := publishAll(pub, topic, 20)
		for i := range ids {
			if i == 7 {
				var ee *sink.EntryError
				is.True(errors.As(errs[i], &ee))
				is.Equal(ee.Code, "InvalidParameter")
				is.True(ee.Permanent)
				continue
			}
			is.NoErr(errs[i])
		}
	})
}

// Close sends what is waiting for a batch before it returns; calls after it
// fail with ErrClosed.
func TestBatchPublisherClose(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue := env.Name(t, "events"), env.Name(t, "events-q")
	url := subscribedQueue(t, env, topic, queue, false)
	counting := &countingSNS{SNS: env.SNS}
	pub := sink.NewBatchPublisher(sink.WithAWS(env.Config), sink.WithSNSClient(counting), sink.WithLinger(time.Second))
	// Resolve the topic first, so that the calls below wait for a batch
	// (five do not fill one) until the linger ends or Close comes.
	_, err := pub.Publish(context.Background(), topic, Order{ID: 100})
	is.NoErr(err)
	results := make(chan error, 5)
	var started sync.WaitGroup
	for i := range 5 {
		started.Add(1)
		go func() {
			started.Done()
			_, err := pub.Publish(context.Background(), topic, Order{ID: i})
			results <- err
		}()
	}
	started.Wait()
	is.NoErr(pub.Close())
	sentAtClose := counting.entries.Load()
	// Each call reached the batcher before Close (and must have been sent
	// when Close returned, well before the linger) or fails with ErrClosed.
	ok := 0
	for range 5 {
		if err := <-results; err != nil {
			is.True(errors.Is(err, sink.ErrClosed))
			continue
		}
		ok++
	}
	t.Logf("%d of 5 calls were waiting for a batch when Close came", ok)
	is.Equal(sentAtClose, int64(1+ok))
	_, err = pub.Publish(context.Background(), topic, Order{ID: 6})
	is.True(errors.Is(err, sink.ErrClosed))
	_, err = pub.Send(context.Background(), "anything", "x")
	is.True(errors.Is(err, sink.ErrClosed))
	is.NoErr(pub.Close()) // again: nothing to do
	is.Equal(len(drain(t, env, url, 1+ok)), 1+ok)
}

// countingSNS counts the entries of the PublishBatch requests it passes on.
type countingSNS struct {
	awsiface.SNS
	entries atomic.Int64
}

func (c *countingSNS) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	out, err := c.SNS.PublishBatch(ctx, in, opts...)
	if err == nil {
		c.entries.Add(int64(len(out.Successful)))
	}
	return out, err
}

// A call whose context ends stops waiting at once.
func TestBatchPublisherCallContext(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic := env.Name(t, "events")
	subscribedQueue(t, env, topic, env.Name(t, "events-q"), false)
	pub := sink.NewBatchPublisher(sink.WithAWS(env.Config), sink.WithLinger(time.Second))
	defer pub.Close()
	_, err := pub.Publish(context.Background(), topic, Order{ID: 1}) // resolves the topic
	is.NoErr(err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = pub.Publish(ctx, topic, Order{ID: 2})
	is.True(errors.Is(err, context.Canceled))
}
