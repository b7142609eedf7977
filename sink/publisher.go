package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/batcher"
)

// A Publisher publishes and sends single messages outside pipelines, with
// the same options as the sinks: the equivalent of tomodachi's
// aws_sns_sqs_publish and sqs_send_message. It resolves each topic and queue
// once and remembers it. A Publisher is safe for concurrent use.
type Publisher struct {
	opts     []Option
	batching bool

	mu      sync.Mutex
	targets map[string]*resolved
	closed  bool
	flushes sync.WaitGroup // the batchers' Run loops
}

type resolved struct {
	once  sync.Once
	tgt   target
	cfg   *config
	err   error
	batch *batcher.Batcher[*call] // nil unless the publisher batches
}

// call is one Publish or Send waiting for its batch to be sent.
type call struct {
	out  outgoing
	done chan result // buffered: the batch never waits for the caller
}

type result struct {
	id  string
	err error
}

// ErrClosed is returned by the calls of a Publisher that has been closed.
var ErrClosed = errors.New("sink: the publisher is closed")

// NewPublisher returns a publisher whose calls use opts (and their own).
// Each call makes one Publish or SendMessage request.
func NewPublisher(opts ...Option) *Publisher {
	return &Publisher{opts: opts, targets: map[string]*resolved{}}
}

// NewBatchPublisher returns a publisher that gathers concurrent calls to the
// same topic or queue into PublishBatch and SendMessageBatch requests, as the
// sinks do: up to ten messages a request, sent when ten are waiting or when
// the first has waited for the linger (WithLinger, default 5ms), with up to
// WithBatchesInFlight requests at once (one for FIFO targets); these and
// WithStats are taken from opts, not from a call's options. Each call still
// returns its own message id or error, and entries AWS fails as its own fault
// are tried again. It pays when many goroutines publish at once (a request per
// ten messages instead of one per message); a lone caller waits the linger.
// A call whose context ends returns at once, but its message may still be
// sent. Close it to send what is waiting and stop its goroutines.
func NewBatchPublisher(opts ...Option) *Publisher {
	p := NewPublisher(opts...)
	p.batching = true
	return p
}

// Close stops the publisher: calls made after it return ErrClosed, and it
// returns once the messages already waiting for a batch have been sent. It
// may be called more than once; a publisher that does not batch has nothing
// to wait for.
func (p *Publisher) Close() error {
	p.mu.Lock()
	p.closed = true
	var batches []*batcher.Batcher[*call]
	for _, r := range p.targets {
		if r.batch != nil {
			batches = append(batches, r.batch)
		}
	}
	p.mu.Unlock()
	for _, b := range batches {
		b.Close()
	}
	p.flushes.Wait()
	return nil
}

// Publish publishes data to topic and returns the SNS message id. Options
// given here apply to this call, after the publisher's. Functions of the
// value (WithGroupIDFunc and the like) must take data's type or any.
func (p *Publisher) Publish(ctx context.Context, topic string, data any, opts ...Option) (string, error) {
	return p.send(ctx, "topic:"+topic, data, opts, func(c *config) target {
		return &topicTarget{cfg: c, topic: topic, isFIFO: c.fifoWanted()}
	})
}

// Send sends data to a queue (a name, URL or ARN; it must exist) and returns
// the SQS message id. The body is tomodachi's sqs_send_message body unless
// WithBareBody.
func (p *Publisher) Send(ctx context.Context, queue string, data any, opts ...Option) (string, error) {
	return p.send(ctx, "queue:"+queue, data, opts, func(c *config) target { return &queueTarget{cfg: c, queue: queue} })
}

func (p *Publisher) send(ctx context.Context, key string, data any, opts []Option, mk func(*config) target) (string, error) {
	all := append(append([]Option(nil), p.opts...), opts...)
	c := newConfig(all)
	if len(c.errs) > 0 {
		return "", c.errs[0]
	}
	if c.fifoWanted() {
		key += ".fifo"
	}
	r, err := p.target(ctx, key, c, mk)
	if err != nil {
		return "", err
	}
	// The call's options apply to the message; the target keeps the
	// configuration it was resolved with.
	funcs, err := funcsFor[any](c)
	if err != nil {
		return "", err
	}
	cl := &call{}
	if err := prepare(c, withConfig(r.tgt, c), &funcs, data, (*flow.Meta)(nil), &cl.out); err != nil {
		return "", fmt.Errorf("sink: %s: %w", r.tgt, err)
	}
	if r.batch == nil {
		return r.tgt.sendOne(ctx, &cl.out)
	}
	if err := ctx.Err(); err != nil {
		return "", err // the caller has given up: nothing is sent
	}
	cl.done = make(chan result, 1)
	if !r.batch.Add(cl) {
		return "", ErrClosed
	}
	select {
	case res := <-cl.done:
		return res.id, res.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// flush sends a batch of calls and gives each its outcome.
func (r *resolved) flush(ctx context.Context, calls []*call, stats *Stats) {
	outs := make([]*outgoing, len(calls))
	for i, cl := range calls {
		outs[i] = &cl.out
	}
	sendAll(ctx, r.tgt, stats, outs, func(i int, id string, err error) {
		var entry *EntryError
		if err != nil && !errors.As(err, &entry) {
			err = fmt.Errorf("sink: sending to %s: %w", r.tgt, err)
		}
		calls[i].done <- result{id, err}
	})
}

// target resolves the target for key once (and, for a batching publisher,
// starts its batcher).
func (p *Publisher) target(ctx context.Context, key string, c *config, mk func(*config) target) (*resolved, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	r, ok := p.targets[key]
	if !ok {
		r = &resolved{cfg: c, tgt: mk(c)}
		p.targets[key] = r
	}
	p.mu.Unlock()
	r.once.Do(func() {
		cl, err := clientsFor(ctx, r.cfg)
		if err != nil {
			r.err = err
			return
		}
		setClients(r.tgt, cl)
		if r.err = r.tgt.resolve(ctx); r.err == nil && p.batching {
			r.err = p.startBatcher(r)
		}
	})
	if r.err != nil {
		// A failed resolution is not remembered: the next call tries again.
		p.mu.Lock()
		if p.targets[key] == r {
			delete(p.targets, key)
		}
		p.mu.Unlock()
		return nil, r.err
	}
	return r, nil
}

// startBatcher starts the batcher of a resolved target, unless the publisher
// has been closed meanwhile. Its linger, batches in flight and stats are the
// publisher's (a call's own options apply to its message only).
func (p *Publisher) startBatcher(r *resolved) error {
	pc := newConfig(p.opts)
	inFlight := pc.inFlight
	if r.tgt.fifo() {
		inFlight = 1
	}
	flush := func(ctx context.Context, calls []*call) { r.flush(ctx, calls, pc.stats) }
	b, err := batcher.New(batcher.Options{Linger: pc.linger, MaxInFlight: inFlight, MaxWeight: maxBatchBytes}, flush)
	if err != nil {
		return err
	}
	b.Weigh(func(cl *call) int { return cl.out.size() })
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	r.batch = b
	// Sending outlives the calls: a call whose context ends stops waiting,
	// not its batch.
	p.flushes.Go(func() { b.Run(context.Background()) })
	return nil
}

// withConfig returns a copy of a resolved target that seals with c.
func withConfig(t target, c *config) target {
	switch t := t.(type) {
	case *topicTarget:
		cp := *t
		cp.cfg = c
		return &cp
	case *queueTarget:
		cp := *t
		cp.cfg = c
		return &cp
	}
	return t
}

// Publish publishes data to topic with a new Publisher: convenient for one
// message; keep a Publisher to publish many.
func Publish(ctx context.Context, topic string, data any, opts ...Option) (string, error) {
	return NewPublisher(opts...).Publish(ctx, topic, data)
}

// Send sends data to a queue with a new Publisher: convenient for one
// message; keep a Publisher to send many.
func Send(ctx context.Context, queue string, data any, opts ...Option) (string, error) {
	return NewPublisher(opts...).Send(ctx, queue, data)
}
