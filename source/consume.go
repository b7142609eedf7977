package source

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/attrconv"
	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/internal/batcher"
)

// consumer is the running part of a source: receivers, the in-flight window,
// batched deletes and visibility changes, the poison path and the heartbeat.
type consumer struct {
	opts  Options
	p     *flow.Pipeline
	st    *flow.Stage
	log   *slog.Logger
	stats *Stats

	// Set by setup, before anything runs.
	sqs         awsiface.SQS
	queueURL    string
	dlqURL      string        // "" when the queue has no dead-letter queue
	visibility  time.Duration // the visibility timeout messages are received with
	fifo        bool
	reprovision func(ctx context.Context) error // nil when provisioning is off

	window  *flow.Window
	deletes *batcher.Batcher[string]    // receipt handles
	changes *batcher.Batcher[change]    // nacks, releases, heartbeat extensions
	poison  *batcher.Batcher[*inflight] // messages to move to the dead-letter queue

	mu       sync.Mutex
	inflight map[*inflight]struct{}

	// With Options.StrictOrder, a message group has one message in the
	// pipeline at a time; the ones received behind it wait here.
	groups     map[string]*group // by group id; guarded by mu
	ready      []held            // next messages of their groups, to pass in; guarded by mu
	seqStopped bool              // the sequencer has stopped; guarded by mu
	wake       chan struct{}     // tells the sequencer that ready has messages
}

// group is a message group with a message in the pipeline (StrictOrder).
type group struct {
	active *inflight
	held   []held
}

// received is what one ReceiveMessage returned. SQS returns a FIFO group's
// messages again only once none of it is in flight, so the messages of a
// group that the source has at once all came in one receive; when one of
// them is retried, the rest of that receive's messages of its group go back
// too (StrictOrder), including those not yet delivered.
type received struct {
	retried map[string]time.Duration // group id: the delay its failed message was given; guarded by consumer.mu
}

// held is a received message waiting for its turn in its group.
type held struct {
	f   *inflight
	m   flow.Msg[envelope.Delivery]
	err error // the body could not be unwrapped: the message fails when its turn comes
}

// inflight is one received message until it is finished.
type inflight struct {
	receipt      Receipt
	msg          types.Message
	receiveCount int
	group        string    // its message group id, when StrictOrder sequences it
	batch        *received // the receive it came from
	deadline     time.Time // when its visibility expires; guarded by consumer.mu
	gaveUp       bool      // the heartbeat reached MaxExtension; guarded by consumer.mu
}

// change is one ChangeMessageVisibility entry.
type change struct {
	receipt string
	timeout time.Duration
}

// receive runs one long-polling receiver until ctx (the source context) ends.
func (c *consumer) receive(ctx context.Context, send chan<- flow.Msg[envelope.Delivery]) error {
	failures := 0
	for {
		// Wait for a worthwhile share of the window before asking: with slow
		// handlers, slots come back one by one, and receiving as soon as one
		// is free would cost a request per message.
		least := min(max(c.opts.Window/c.opts.Receivers, 1), c.opts.MaxMessages)
		n, err := c.window.AcquireBetween(ctx, least, c.opts.MaxMessages)
		if err != nil {
			return nil
		}
		c.stats.Requests.Add(1)
		out, err := c.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(c.queueURL),
			MaxNumberOfMessages:         int32(n),
			WaitTimeSeconds:             int32(c.opts.WaitTime / time.Second),
			VisibilityTimeout:           int32(c.visibility / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			c.window.Release(n)
			if ctx.Err() != nil {
				return nil // stopping: the long poll was abandoned
			}
			if fatal := c.receiveFailed(ctx, err, &failures); fatal != nil {
				return fatal
			}
			continue
		}
		failures = 0
		c.stats.Received.Add(int64(len(out.Messages)))
		c.window.Release(n - len(out.Messages))
		batch := &received{}
		for i, m := range out.Messages {
			if !c.deliver(ctx, send, m, batch) {
				// Stopping: what was received but not passed on goes back.
				for _, rest := range out.Messages[i+1:] {
					c.window.Release(1)
					c.release(aws.ToString(rest.ReceiptHandle))
				}
				return nil
			}
		}
	}
}

// receiveFailed handles a failed ReceiveMessage: a queue that no longer
// exists is provisioned again (or stops the pipeline when provisioning is
// off); anything else is retried after a growing delay.
func (c *consumer) receiveFailed(ctx context.Context, err error, failures *int) error {
	*failures++
	var gone *types.QueueDoesNotExist
	if errors.As(err, &gone) {
		if c.reprovision == nil {
			return fmt.Errorf("receive from %s: the queue does not exist and provisioning is off: %w", c.queueURL, err)
		}
		c.log.Warn("sqsflow: queue disappeared; provisioning it again", "queue", c.queueURL, "err", err)
		if perr := c.reprovision(ctx); perr != nil && ctx.Err() == nil {
			c.log.Error("sqsflow: provisioning again failed", "queue", c.queueURL, "err", perr)
		}
	} else if *failures == 1 || *failures%10 == 0 {
		c.log.Warn("sqsflow: receive failed; retrying", "queue", c.queueURL, "failures", *failures, "err", err)
	}
	select {
	case <-time.After(retryDelay(*failures)):
	case <-ctx.Done():
	}
	return nil
}

// deliver turns one SQS message into a pipeline message and sends it. It
// reports false if ctx ended first (the message is then not delivered, and
// is released by the caller along with the rest).
func (c *consumer) deliver(ctx context.Context, send chan<- flow.Msg[envelope.Delivery], m types.Message, batch *received) bool {
	now := time.Now()
	f := &inflight{
		batch: batch,
		receipt: Receipt{
			QueueURL:       c.queueURL,
			ReceiptHandle:  aws.ToString(m.ReceiptHandle),
			MessageID:      aws.ToString(m.MessageId),
			ReceivedAt:     now,
			SequenceNumber: m.Attributes[string(types.MessageSystemAttributeNameSequenceNumber)],
		},
		msg:      m,
		deadline: now.Add(c.visibility),
	}
	f.receiveCount, _ = strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)])
	meta := &flow.Meta{
		ID:           f.receipt.MessageID,
		GroupID:      m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)],
		DedupID:      m.Attributes[string(types.MessageSystemAttributeNameMessageDeduplicationId)],
		ReceiveCount: f.receiveCount,
		Transport:    &f.receipt,
	}
	if ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		meta.Timestamp = time.UnixMilli(ms)
	}
	c.track(f)
	tok := flow.NewToken(func(err error) { c.complete(f, err) })

	h := held{f: f}
	d, err := envelope.Unwrap(aws.ToString(m.Body), attrconv.FromSQS(m.MessageAttributes), c.opts.unwrap())
	if err != nil {
		h.m, h.err = flow.NewMsg(envelope.Delivery{}, meta, tok), err
	} else {
		meta.Topic = d.Topic
		meta.Attributes = d.Attributes
		if ts, err := time.Parse(time.RFC3339Nano, d.Timestamp); err == nil {
			meta.Timestamp = ts
		}
		h.m = flow.NewMsg(d, meta, tok)
	}
	if c.opts.StrictOrder && meta.GroupID != "" {
		switch delay, turn := c.hold(h, meta.GroupID); turn {
		case turnLater:
			return true
		case turnNever:
			c.giveBack([]held{h}, delay)
			return true
		}
	}
	if c.pass(ctx, send, h) {
		return true
	}
	c.untrack(f)
	c.window.Release(1)
	c.release(f.receipt.ReceiptHandle)
	return false
}

// pass sends a received message into the pipeline, or fails it there if its
// body could not be unwrapped. It reports false if ctx ended first.
func (c *consumer) pass(ctx context.Context, send chan<- flow.Msg[envelope.Delivery], h held) bool {
	if h.err != nil {
		flow.Fail(c.st, h.m, flow.Permanent(h.err))
		return true
	}
	return flow.Send(ctx, send, h.m)
}

// turn says when a message of a group enters the pipeline (StrictOrder).
type turn int

const (
	turnNow   turn = iota // it is its group's message in the pipeline
	turnLater             // it waits for the messages before it
	turnNever             // one before it is retried: it goes back to the queue
)

// hold makes h its group's message in the pipeline, or, if the group has one
// already, keeps h back until the messages before it have finished. If a
// message of its group from the same receive is being retried, h goes back to
// the queue with the returned delay.
func (c *consumer) hold(h held, id string) (time.Duration, turn) {
	h.f.group = id
	c.mu.Lock()
	defer c.mu.Unlock()
	if delay, ok := h.f.batch.retried[id]; ok {
		return delay, turnNever
	}
	if g := c.groups[id]; g != nil {
		g.held = append(g.held, h)
		c.stats.Held.Add(1)
		return 0, turnLater
	}
	c.groups[id] = &group{active: h.f}
	return 0, turnNow
}

// next is called when f, its group's message in the pipeline, has finished
// (StrictOrder). If f is to be retried, the messages held behind it go back
// to the queue with the same delay, so that the group is received again in
// its order; otherwise the next one takes its turn.
func (c *consumer) next(f *inflight, retried bool, delay time.Duration) {
	c.mu.Lock()
	g := c.groups[f.group]
	if g == nil || g.active != f {
		c.mu.Unlock()
		return
	}
	if retried {
		if f.batch.retried == nil {
			f.batch.retried = map[string]time.Duration{}
		}
		f.batch.retried[f.group] = delay
	}
	if retried || c.seqStopped || len(g.held) == 0 {
		delete(c.groups, f.group)
		c.mu.Unlock()
		if retried {
			c.giveBack(g.held, delay)
		} else {
			c.giveBack(g.held, 0) // stopping: nothing more enters the pipeline
		}
		return
	}
	h := g.held[0]
	g.held = g.held[1:]
	g.active = h.f
	c.ready = append(c.ready, h)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // the sequencer has been told already
	}
}

// giveBack returns messages that never entered the pipeline to the queue,
// visible again after delay.
func (c *consumer) giveBack(hs []held, delay time.Duration) {
	for _, h := range hs {
		if !c.untrack(h.f) {
			continue // released at shutdown already
		}
		c.window.Release(1)
		c.stats.Released.Add(1)
		c.changes.Add(change{h.f.receipt.ReceiptHandle, delay})
	}
}

// sequence passes held messages into the pipeline as their turns come
// (StrictOrder), until ctx (the source context) ends; then everything still
// held goes back to the queue.
func (c *consumer) sequence(ctx context.Context, send chan<- flow.Msg[envelope.Delivery]) {
	var left []held
	defer func() {
		c.mu.Lock()
		c.seqStopped = true
		left = append(left, c.ready...)
		c.ready = nil
		for _, g := range c.groups {
			left = append(left, g.held...)
			g.held = nil
		}
		c.mu.Unlock()
		c.giveBack(left, 0)
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		}
		c.mu.Lock()
		batch := c.ready
		c.ready = nil
		c.mu.Unlock()
		for i, h := range batch {
			if !c.pass(ctx, send, h) {
				left = batch[i:]
				return
			}
		}
	}
}

func (c *consumer) track(f *inflight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight[f] = struct{}{}
}

// untrack reports whether f was still tracked.
func (c *consumer) untrack(f *inflight) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.inflight[f]
	delete(c.inflight, f)
	return ok
}

// complete is called once per message, when its token completes.
func (c *consumer) complete(f *inflight, err error) {
	if !c.untrack(f) {
		return // already released at shutdown
	}
	c.window.Release(1)
	var delay time.Duration // when retried, how long it stays invisible
	retried := false
	switch {
	case err == nil:
		c.stats.Acked.Add(1)
		c.ack(f.receipt.ReceiptHandle)
	case flow.IsPermanent(err):
		delay, retried = c.poisoned(f, err)
	case c.opts.OnError == DeleteOnError:
		c.stats.Acked.Add(1)
		c.ack(f.receipt.ReceiptHandle)
	default:
		delay, retried = c.retry(f), true
	}
	if f.group != "" {
		c.next(f, retried, delay)
	}
}

func (c *consumer) ack(receipt string) {
	if !c.deletes.Add(receipt) {
		c.log.Debug("sqsflow: finished after shutdown; it will be redelivered", "queue", c.queueURL)
	}
}

// retry returns a failed message to the queue after its backoff, and
// returns the delay it drew (jittered: the messages held behind it go back
// with the same one).
func (c *consumer) retry(f *inflight) time.Duration {
	c.stats.Retried.Add(1)
	delay := c.opts.Backoff.Delay(max(f.receiveCount, 1))
	c.changes.Add(change{f.receipt.ReceiptHandle, delay})
	return delay
}

// release makes a message visible again at once, without counting a failure.
func (c *consumer) release(receipt string) {
	c.stats.Released.Add(1)
	c.changes.Add(change{receipt, 0})
}

// poisoned takes a permanently failed message down the poison path. It
// reports whether the message is retried, and with what delay.
func (c *consumer) poisoned(f *inflight, err error) (time.Duration, bool) {
	switch {
	case c.opts.OnPermanent == Discard:
		c.stats.Poisoned.Add(1)
		c.log.Warn("sqsflow: discarding a message that cannot be processed", "queue", c.queueURL, "id", f.receipt.MessageID, "err", err)
		c.ack(f.receipt.ReceiptHandle)
	case c.opts.OnPermanent == DeadLetter && c.dlqURL != "":
		c.poison.Add(f)
	default:
		// Retry, or no dead-letter queue to send it to: SQS's redrive
		// policy (if any) moves it after maxReceiveCount receives.
		return c.retry(f), true
	}
	return 0, false
}

// run owns the batchers and the heartbeat for the life of the pipeline: it
// returns when the stages have stopped and everything queued is flushed.
func (c *consumer) run(ctx context.Context, stopped <-chan struct{}) error {
	var wg sync.WaitGroup
	wg.Go(func() { c.deletes.Run(ctx) })
	wg.Go(func() { c.changes.Run(ctx) })
	poisonDone := make(chan struct{})
	go func() {
		defer close(poisonDone)
		c.poison.Run(ctx)
	}()
	if !c.opts.Heartbeat.Disabled {
		wg.Go(func() { c.heartbeat(stopped) })
	}
	<-stopped

	// What is still in flight was abandoned at the drain deadline: return it
	// to the queue now rather than when its visibility runs out.
	c.mu.Lock()
	abandoned := make([]*inflight, 0, len(c.inflight))
	for f := range c.inflight {
		abandoned = append(abandoned, f)
	}
	clear(c.inflight)
	c.mu.Unlock()
	for _, f := range abandoned {
		c.window.Release(1)
		c.release(f.receipt.ReceiptHandle)
	}
	c.poison.Close()
	<-poisonDone // its flushes queue deletes
	c.deletes.Close()
	c.changes.Close()
	wg.Wait()
	return nil
}

// heartbeat extends the visibility of messages in flight for more than half
// their visibility timeout, until they finish or have been held for
// Heartbeat.MaxExtension.
func (c *consumer) heartbeat(stopped <-chan struct{}) {
	t := time.NewTicker(min(max(c.visibility/4, 200*time.Millisecond), 30*time.Second))
	defer t.Stop()
	for {
		select {
		case <-stopped:
			return
		case now := <-t.C:
			c.extend(now)
		}
	}
}

func (c *consumer) extend(now time.Time) {
	var due []change
	c.mu.Lock()
	for f := range c.inflight {
		if f.gaveUp || f.deadline.Sub(now) > c.visibility/2 {
			continue
		}
		if now.Add(c.visibility).Sub(f.receipt.ReceivedAt) > c.opts.Heartbeat.MaxExtension {
			f.gaveUp = true
			c.log.Warn("sqsflow: message held for longer than Heartbeat.MaxExtension; it will become visible again",
				"queue", c.queueURL, "id", f.receipt.MessageID, "held", now.Sub(f.receipt.ReceivedAt))
			continue
		}
		f.deadline = now.Add(c.visibility)
		due = append(due, change{f.receipt.ReceiptHandle, c.visibility})
	}
	c.mu.Unlock()
	for _, ch := range due {
		c.stats.Extended.Add(1)
		c.changes.Add(ch)
	}
}
