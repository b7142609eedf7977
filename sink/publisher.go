package sink

import (
	"context"
	"fmt"
	"sync"

	"github.com/sqsflow/sqsflow/flow"
)

// A Publisher publishes and sends single messages outside pipelines, with
// the same options as the sinks: the equivalent of tomodachi's
// aws_sns_sqs_publish and sqs_send_message. It resolves each topic and queue
// once and remembers it. A Publisher is safe for concurrent use.
type Publisher struct {
	opts []Option

	mu      sync.Mutex
	targets map[string]*resolved
}

type resolved struct {
	once sync.Once
	tgt  target
	cfg  *config
	err  error
}

// NewPublisher returns a publisher whose calls use opts (and their own).
func NewPublisher(opts ...Option) *Publisher {
	return &Publisher{opts: opts, targets: map[string]*resolved{}}
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
	var o outgoing
	if err := prepare(c, withConfig(r.tgt, c), &funcs, data, (*flow.Meta)(nil), &o); err != nil {
		return "", fmt.Errorf("sink: %s: %w", r.tgt, err)
	}
	return r.tgt.sendOne(ctx, &o)
}

// target resolves the target for key once.
func (p *Publisher) target(ctx context.Context, key string, c *config, mk func(*config) target) (*resolved, error) {
	p.mu.Lock()
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
		r.err = r.tgt.resolve(ctx)
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
