package source_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// A handler that takes three visibility timeouts is not given the message
// twice while the heartbeat runs; without it, SQS redelivers after each
// visibility timeout, and the duplicates are handled concurrently with the
// first delivery.
func TestHeartbeatPreventsRedelivery(t *testing.T) {
	t.Parallel()
	for _, disabled := range []bool{false, true} {
		t.Run(fmt.Sprintf("heartbeat disabled=%v", disabled), func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			env := testenv.New(t)
			queue := env.Name(t, "slow")
			var stats source.Stats
			p := flow.New(flow.WithLogger(quiet))
			src := source.SQS(p, queue, source.Options{
				AWS: env.Config, Logger: quiet, Stats: &stats,
				// A margin of seconds keeps a loaded machine from making the
				// heartbeat late.
				VisibilityTimeout: provision.Set(4 * time.Second),
				Heartbeat:         source.Heartbeat{Disabled: disabled},
			})
			const n = 3
			// With the heartbeat, stop once every handler has finished (any
			// redelivery meanwhile would have been received); without it,
			// once each message has been handled twice.
			handled := newCounter(2 * n)
			finished := newCounter(n)
			stage.Each(envelope.DecodeJSON[Order](src), n*2, func(ctx context.Context, o Order) error {
				handled.add(o.ID)
				select {
				case <-time.After(12 * time.Second): // the slow work: three visibility timeouts
				case <-ctx.Done():
				}
				finished.add(o.ID)
				return nil
			})
			stop := finished.reached
			if disabled {
				stop = handled.reached
			}
			p.OnStart("send", func(context.Context) error {
				url := queueURL(t, env, queue)
				for i := range n {
					sendRaw(t, env, url, sqsBody(t, Order{ID: i}))
				}
				return nil
			})
			is.NoErr(flowtest.RunUntil(p, stop, time.Minute))
			if disabled {
				is.True(stats.Extended.Load() == 0)
				// Redelivered after 4s while the first handling still ran.
				is.True(stats.Received.Load() > n)
				t.Logf("without heartbeat: %d receives of %d messages", stats.Received.Load(), n)
				return
			}
			is.Equal(handled.duplicates(), 0)
			is.Equal(stats.Received.Load(), int64(n))
			is.True(stats.Extended.Load() >= n*4) // one extension every 2s or so each
			visible, inFlight := queueCounts(t, env, queue)
			is.Equal(visible+inFlight, 0)
		})
	}
}

// Messages of each FIFO group are handled in the order they were published,
// while groups proceed in parallel.
func TestFIFOOrderPerGroup(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue := env.Name(t, "events"), env.Name(t, "events-q.fifo")
	p := flow.New(flow.WithLogger(quiet))
	src := source.SNSSQS(p, topic, source.Options{AWS: env.Config, Queue: queue, FIFO: true, Logger: quiet})
	const groups, perGroup = 8, 25
	var mu sync.Mutex
	last := map[string]int{}
	var outOfOrder []string
	done := newCounter(groups * perGroup)
	applied := stage.KeyedMap(envelope.DecodeJSON[Order](src), groups, stage.ByGroup[Order], func(_ context.Context, o Order) (Order, error) {
		time.Sleep(time.Duration(o.ID%3) * time.Millisecond) // uneven work
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := last[o.Currency]; ok && o.ID <= prev {
			outOfOrder = append(outOfOrder, fmt.Sprintf("%s: %d after %d", o.Currency, o.ID, prev))
		}
		last[o.Currency] = o.ID
		return o, nil
	})
	stage.Each(applied, 1, func(_ context.Context, o Order) error { done.add(o.ID); return nil })
	p.OnStart("publish", func(context.Context) error {
		arn := fifoTopicARN(t, env, topic+".fifo")
		var entries []snstypes.PublishBatchRequestEntry
		for i := range groups * perGroup {
			group := fmt.Sprintf("g%d", i%groups)
			payload, err := envelope.JSON(svc).Seal(topic, Order{ID: i, Currency: group}, nil)
			is.NoErr(err)
			entries = append(entries, snstypes.PublishBatchRequestEntry{
				Id: aws.String(strconv.Itoa(i)), Message: aws.String(payload),
				MessageGroupId: aws.String(group), MessageDeduplicationId: aws.String(strconv.Itoa(i)),
			})
			// Nine to a batch: fauxqs 1.9.2 orders the entries of a
			// PublishBatch by their form keys as strings (member.10 before
			// member.2), which the Go SDK sends sorted, so a tenth entry
			// overtakes the others; AWS keeps the request's order.
			if len(entries) == 9 || i == groups*perGroup-1 {
				_, err := env.SNS.PublishBatch(context.Background(), &sns.PublishBatchInput{TopicArn: aws.String(arn), PublishBatchRequestEntries: entries})
				is.NoErr(err)
				entries = nil
			}
		}
		return nil
	})
	is.NoErr(flowtest.RunUntil(p, done.reached, time.Minute))
	is.Equal(outOfOrder, nil)
	is.Equal(done.duplicates(), 0)
	is.Equal(len(last), groups)
}

func fifoTopicARN(t *testing.T, env *testenv.Env, name string) string {
	t.Helper()
	out, err := env.SNS.CreateTopic(context.Background(), &sns.CreateTopicInput{
		Name:       aws.String(name),
		Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "false"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TopicArn)
}

// Cancelling mid-stream drains: what was taken is finished and deleted,
// what was received but not yet passed on goes back to the queue, and a
// second run handles exactly the rest.
func TestDrainLosesAndDuplicatesNothing(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	queue := env.Name(t, "drain")
	created, err := env.SQS.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(queue)})
	is.NoErr(err)
	const n = 600
	sendOrders(t, env, aws.ToString(created.QueueUrl), 0, n)

	all := newCounter(n)
	run := func(stop func(c *counter) <-chan struct{}) *source.Stats {
		var stats source.Stats
		p := flow.New(flow.WithLogger(quiet))
		// An abandoned long poll may have taken messages that then stay
		// invisible until their visibility timeout: keep it short.
		src := source.SQS(p, queue, source.Options{AWS: env.Config, Logger: quiet, Stats: &stats, Window: 50,
			VisibilityTimeout: provision.Set(2 * time.Second)})
		stage.Each(envelope.DecodeJSON[Order](src), 8, func(_ context.Context, o Order) error {
			time.Sleep(time.Millisecond) // some work
			all.add(o.ID)
			return nil
		})
		start := time.Now()
		is.NoErr(flowtest.RunUntil(p, stop(all), time.Minute))
		t.Logf("run took %v", time.Since(start))
		return &stats
	}
	first := run(func(*counter) <-chan struct{} { return newCounterAfter(all, 150) })
	t.Logf("first run: received %d acked %d deleted %d released %d retried %d poisoned %d", first.Received.Load(), first.Acked.Load(), first.Deleted.Load(), first.Released.Load(), first.Retried.Load(), first.Poisoned.Load())
	is.Equal(first.Acked.Load(), first.Deleted.Load())                        // every finished message deleted
	is.Equal(first.Received.Load(), first.Acked.Load()+first.Released.Load()) // the rest went back
	second := run(func(c *counter) <-chan struct{} { return c.reached })
	is.Equal(second.Acked.Load(), second.Deleted.Load())
	is.Equal(all.duplicates(), 0)
	is.Equal(all.distinct(), n)
	visible, inFlight := queueCounts(t, env, queue)
	is.Equal(visible+inFlight, 0)
}

// newCounterAfter returns a channel closed once c has counted k items.
func newCounterAfter(c *counter, k int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	c.watch = append(c.watch, watch{k, ch})
	return ch
}

// sendOrders sends orders from..from+n-1 as tomodachi's sqs_send_message would.
func sendOrders(t *testing.T, env *testenv.Env, url string, from, n int) {
	t.Helper()
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = sqsBody(t, Order{ID: from + i})
	}
	env.Fill(t, url, from, n, func(i int) string { return bodies[i-from] })
}

// The source never has more messages in flight than its window, however
// slow the pipeline, and uses all of it.
func TestWindowBoundsInFlight(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	queue := env.Name(t, "window")
	created, err := env.SQS.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(queue)})
	is.NoErr(err)
	const n, window = 300, 20
	sendOrders(t, env, aws.ToString(created.QueueUrl), 0, n)
	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	src := source.SQS(p, queue, source.Options{AWS: env.Config, Logger: quiet, Stats: &stats, Window: window, Receivers: 4})
	handled := newCounter(n)
	stage.Each(envelope.DecodeJSON[Order](src), 64, func(_ context.Context, o Order) error {
		if got := stats.InFlight(); got > window {
			t.Errorf("%d in flight, window %d", got, window)
		}
		time.Sleep(2 * time.Millisecond) // a slow handler
		handled.add(o.ID)
		return nil
	})
	is.NoErr(flowtest.RunUntil(p, handled.reached, time.Minute))
	is.Equal(stats.PeakInFlight(), window)
	is.Equal(handled.duplicates(), 0)
}

// With handlers of uneven speed, window slots come back one at a time; the
// source still receives in batches (it waits for Window/Receivers free
// slots), so SQS requests stay near one receive and one delete per ten
// messages instead of a receive per message.
func TestReceivesInBatchesWhileSlotsTrickleBack(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "trickle", nil)
	const n = 200
	sendOrders(t, env, url, 0, n)
	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	src := source.SQS(p, url, source.Options{AWS: env.Config, Logger: quiet, Stats: &stats, Window: 20, Receivers: 2})
	handled := newCounter(n)
	stage.Each(envelope.DecodeJSON[Order](src), 20, func(_ context.Context, o Order) error {
		time.Sleep(time.Duration(1+o.ID%13) * 3 * time.Millisecond) // uneven work
		handled.add(o.ID)
		return nil
	})
	is.NoErr(flowtest.RunUntil(p, handled.reached, time.Minute))
	t.Logf("%d SQS requests for %d messages", stats.Requests.Load(), n)
	// About 40 with batches of ten; receiving whenever a slot frees makes
	// it close to 190.
	is.True(stats.Requests.Load() <= n/3)
}

// Only messages that match the subscription's filter policy are delivered.
func TestFilterPolicy(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue := env.Name(t, "orders"), env.Name(t, "eur-usd")
	p := flow.New(flow.WithLogger(quiet))
	src := source.SNSSQS(p, topic, source.Options{
		AWS: env.Config, Queue: queue, Logger: quiet,
		FilterPolicy: provision.Set(provision.FilterPolicy{"currency": []string{"EUR", "USD"}}),
	})
	currencies := []string{"EUR", "SEK", "USD", "GBP"}
	const n = 100 // half of them match
	matched := newCounter(n / 2)
	var mu sync.Mutex
	var wrong []string
	stage.Each(envelope.DecodeJSON[Order](src), 4, func(_ context.Context, o Order) error {
		if o.Currency != "EUR" && o.Currency != "USD" {
			mu.Lock()
			wrong = append(wrong, o.Currency)
			mu.Unlock()
		}
		matched.add(o.ID)
		return nil
	})
	p.OnStart("publish", func(context.Context) error {
		publish(t, env, topicARN(t, env, topic), 0, n, func(i int) string { return currencies[i%4] })
		return nil
	})
	is.NoErr(flowtest.RunUntil(p, matched.reached, time.Minute))
	is.Equal(wrong, nil)
	is.Equal(matched.distinct(), n/2)
	visible, inFlight := queueCounts(t, env, queue)
	is.Equal(visible+inFlight, 0) // nothing else was delivered
}

// With provisioning off the source only looks its queue up: a missing queue
// stops Run with an error naming it, and nothing is created.
func TestProvisionOff(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	queue := env.Name(t, "managed-elsewhere")
	p := flow.New(flow.WithLogger(quiet))
	src := source.SQS(p, queue, source.Options{AWS: env.Config, Logger: quiet, Provision: source.ProvisionOff})
	stage.Each(src, 1, func(context.Context, envelope.Delivery) error { return nil })
	err := p.Run(context.Background())
	is.True(err != nil)
	is.True(strings.Contains(err.Error(), queue))
	var notFound *provision.QueueNotFoundError
	is.True(errors.As(err, &notFound))
	_, err = env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	is.True(err != nil) // not created
}

// A queue deleted while the pipeline runs is provisioned again, and
// consumption resumes.
func TestQueueDeletedIsProvisionedAgain(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	queue := env.Name(t, "phoenix")
	p := flow.New(flow.WithLogger(quiet))
	src := source.SQS(p, queue, source.Options{AWS: env.Config, Logger: quiet, WaitTime: time.Second})
	first, second := newCounter(1), newCounter(1)
	stage.Each(envelope.DecodeJSON[Order](src), 1, func(_ context.Context, o Order) error {
		if o.ID == 1 {
			first.add(o.ID)
		} else {
			second.add(o.ID)
		}
		return nil
	})
	p.OnStart("send", func(context.Context) error {
		sendOrders(t, env, queueURL(t, env, queue), 1, 1)
		return nil
	})
	go func() {
		<-first.reached
		url := queueURL(t, env, queue)
		if _, err := env.SQS.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			t.Error(err)
			return
		}
		// Send the next message once the queue exists again.
		for {
			out, err := env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
			if err == nil {
				sendOrders(t, env, aws.ToString(out.QueueUrl), 2, 1)
				return
			}
			time.Sleep(50 * time.Millisecond) // polling AWS: there is no signal for "queue created"
		}
	}()
	is.NoErr(flowtest.RunUntil(p, second.reached, time.Minute))
}
