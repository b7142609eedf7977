package source_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// groupLog records, per group, the orders handled successfully and whether
// two of a group were ever handled at once.
type groupLog struct {
	mu         sync.Mutex
	busy       map[string]bool
	handled    map[string][]int
	attempts   map[int]int
	overlapped []string
}

func newGroupLog() *groupLog {
	return &groupLog{busy: map[string]bool{}, handled: map[string][]int{}, attempts: map[int]int{}}
}

// handle is a handler that takes a few milliseconds, and fails the first
// attempt at every order failFirst picks.
func (l *groupLog) handle(failFirst func(id int) bool) func(context.Context, Order) (Order, error) {
	return func(_ context.Context, o Order) (Order, error) {
		l.mu.Lock()
		if l.busy[o.Currency] {
			l.overlapped = append(l.overlapped, fmt.Sprintf("%s: %d", o.Currency, o.ID))
		}
		l.busy[o.Currency] = true
		l.attempts[o.ID]++
		first := l.attempts[o.ID] == 1
		l.mu.Unlock()
		time.Sleep(time.Duration(o.ID%3) * time.Millisecond) // uneven work
		l.mu.Lock()
		defer l.mu.Unlock()
		l.busy[o.Currency] = false
		if first && failFirst(o.ID) {
			return o, errors.New("downstream unavailable")
		}
		l.handled[o.Currency] = append(l.handled[o.Currency], o.ID)
		return o, nil
	}
}

// outOfOrder lists the orders handled after a later one of their group.
func (l *groupLog) outOfOrder() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var bad []string
	for g, ids := range l.handled {
		for i := 1; i < len(ids); i++ {
			if ids[i] <= ids[i-1] {
				bad = append(bad, fmt.Sprintf("%s: %d after %d", g, ids[i], ids[i-1]))
			}
		}
	}
	return bad
}

// sendGroups sends orders 0..n-1 to a FIFO queue, order i in group
// "g<i%groups>", in order.
func sendGroups(t *testing.T, env *testenv.Env, url string, n, groups int) {
	t.Helper()
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range n {
		g := fmt.Sprintf("g%d", i%groups)
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{
			Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(sqsBody(t, Order{ID: i, Currency: g})),
			MessageGroupId: aws.String(g), MessageDeduplicationId: aws.String(strconv.Itoa(i)),
		})
		if len(entries) == 10 || i == n-1 {
			out, err := env.SQS.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
			if err != nil || len(out.Failed) > 0 {
				t.Fatalf("send: %v %v", err, out)
			}
			entries = nil
		}
	}
}

// With StrictOrder, each group is handled in order even though some of its
// messages fail and are retried, and even though the pipeline handles
// messages concurrently with a plain (unkeyed) Map: a group has one message
// in the pipeline at a time, and the messages held behind a failed one go
// back to the queue with it.
func TestStrictOrderAcrossRetries(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	queue := env.Name(t, "strict") + ".fifo"
	const groups, perGroup = 4, 15
	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	src := source.SQS(p, queue, source.Options{
		AWS: env.Config, FIFO: true, StrictOrder: true, Logger: quiet, Stats: &stats,
		WaitTime: time.Second, AckLinger: time.Millisecond,
		// Under a second: a retried message is visible again at once.
		Backoff: source.Backoff{Base: 100 * time.Millisecond, Jitter: source.NoJitter},
	})
	log := newGroupLog()
	done := newCounter(groups * perGroup)
	handled := stage.Map(envelope.DecodeJSON[Order](src), 8, log.handle(func(id int) bool { return id%7 == 3 }))
	stage.Each(handled, 1, func(_ context.Context, o Order) error { done.add(o.ID); return nil })
	p.OnStart("send", func(context.Context) error {
		sendGroups(t, env, queueURL(t, env, queue), groups*perGroup, groups)
		return nil
	})
	is.NoErr(flowtest.RunUntil(p, done.reached, time.Minute))
	is.Equal(log.outOfOrder(), nil)   // each group in order, across retries
	is.Equal(log.overlapped, nil)     // never two of a group at once
	is.Equal(done.duplicates(), 0)    // each handled successfully once
	is.True(stats.Retried.Load() > 0) // failures happened
	if env.Reference != "fauxqs" {
		// ... with messages held behind them. fauxqs 1.9.2 returns one
		// message per FIFO group per receive, so none is ever held there;
		// AWS returns up to ten of a group at once.
		is.True(stats.Held.Load() > 0)
		is.True(stats.Released.Load() > 0)
	}
	visible, inFlight := queueCounts(t, env, queue)
	is.Equal(visible+inFlight, 0)
}

// Stopping a StrictOrder source mid-stream returns what it held back to the
// queue: a second run handles exactly the rest, still in order.
func TestStrictOrderDrain(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	queue := env.Name(t, "strict-drain") + ".fifo"
	const groups, n = 2, 40
	log := newGroupLog()
	done := newCounter(n)
	run := func(until <-chan struct{}, fill bool) {
		p := flow.New(flow.WithLogger(quiet))
		src := source.SQS(p, queue, source.Options{
			AWS: env.Config, FIFO: true, StrictOrder: true, Logger: quiet,
			WaitTime: time.Second, AckLinger: time.Millisecond,
			// A long poll abandoned at the stop can leave messages invisible
			// for the visibility timeout on some servers (fauxqs): keep it short.
			VisibilityTimeout: provision.Set(2 * time.Second),
		})
		handled := stage.Map(envelope.DecodeJSON[Order](src), 4, log.handle(func(int) bool { return false }))
		stage.Each(handled, 1, func(_ context.Context, o Order) error { done.add(o.ID); return nil })
		if fill { // once the source has made its queue
			p.OnStart("send", func(context.Context) error {
				sendGroups(t, env, queueURL(t, env, queue), n, groups)
				return nil
			})
		}
		is.NoErr(flowtest.RunUntil(p, until, time.Minute))
	}
	run(newCounterAfter(done, n/4), true) // stops with messages held
	is.True(done.distinct() < n)
	run(done.reached, false)
	is.Equal(log.outOfOrder(), nil)
	is.Equal(done.duplicates(), 0)
	is.Equal(done.distinct(), n)
}

// visibilityRecorder passes calls on and records the visibility timeouts
// that ChangeMessageVisibilityBatch sets above zero, closing full once it has
// recorded want of them.
type visibilityRecorder struct {
	awsiface.SQS
	want int

	mu       sync.Mutex
	timeouts []int32
	full     chan struct{}
}

func (v *visibilityRecorder) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	v.mu.Lock()
	for _, e := range in.Entries {
		if e.VisibilityTimeout > 0 {
			v.timeouts = append(v.timeouts, e.VisibilityTimeout)
			if len(v.timeouts) == v.want {
				close(v.full)
			}
		}
	}
	v.mu.Unlock()
	return v.SQS.ChangeMessageVisibilityBatch(ctx, in, opts...)
}

// A retried message and the messages held behind it go back to the queue
// with one delay, even with a jittered backoff: none of the group can come
// back before the message that failed.
func TestStrictOrderGivesBackWithTheFailedMessagesDelay(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	// The embedded emulator, whatever SQSFLOW_TEST_ENDPOINT says: it hands
	// out a group's five messages in one receive (fauxqs hands out one).
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	is.NoErr(err)
	defer srv.Close()
	client := sqs.NewFromConfig(srv.Config())
	q, err := client.CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName: aws.String("strict-delay.fifo"), Attributes: map[string]string{"FifoQueue": "true"},
	})
	is.NoErr(err)
	for i := range 5 {
		_, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{
			QueueUrl: q.QueueUrl, MessageBody: aws.String(sqsBody(t, Order{ID: i, Currency: "g"})),
			MessageGroupId: aws.String("g"), MessageDeduplicationId: aws.String(strconv.Itoa(i)),
		})
		is.NoErr(err)
	}
	rec := &visibilityRecorder{SQS: client, want: 5, full: make(chan struct{})}
	p := flow.New(flow.WithLogger(quiet))
	src := source.SQS(p, aws.ToString(q.QueueUrl), source.Options{
		AWS: srv.Config(), SQS: rec, FIFO: true, StrictOrder: true, Logger: quiet,
		WaitTime: time.Second, AckLinger: time.Millisecond, Receivers: 1,
		// From 0 to 2 minutes: two draws would rarely agree.
		Backoff: source.Backoff{Base: time.Minute, Max: 2 * time.Minute, Jitter: 1},
	})
	handled := stage.Map(envelope.DecodeJSON[Order](src), 1, func(_ context.Context, o Order) (Order, error) {
		return o, errors.New("downstream unavailable") // the group's first fails; the rest wait behind it
	})
	stage.Each(handled, 1, func(context.Context, Order) error { return nil })
	is.NoErr(flowtest.RunUntil(p, rec.full, time.Minute))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	is.Equal(len(rec.timeouts), 5) // the failed message and the four held behind it
	for _, got := range rec.timeouts[1:] {
		is.Equal(got, rec.timeouts[0]) // one delay for all
	}
}
