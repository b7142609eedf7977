package source

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/batcher"
	"github.com/sqsflow/sqsflow/provision"
)

// SNSSQS returns a stream of the messages published to topic, consumed from
// an SQS queue subscribed to it: what tomodachi's @aws_sns_sqs decorator
// does. Before the pipeline starts, the source provisions the queue, its
// dead-letter queue, the topic, the queue's policy and attributes and the
// subscription (see [provision.Ensure]), unless opts.Provision is
// ProvisionOff. topic may be a pattern ('*' one dot-separated segment, '#'
// anything) subscribing to every existing matching topic.
//
// Bad options are reported by the pipeline's Run, which then runs nothing.
func SNSSQS(p *flow.Pipeline, topic string, opts Options) flow.Stream[envelope.Delivery] {
	if topic == "" {
		p.Errorf("source: SNSSQS: the topic is empty; use source.SQS for a queue without a topic")
	}
	return newSource(p, "sns-sqs", topic, opts)
}

// SQS returns a stream of the messages sent to a queue directly (tomodachi's
// sqs_send_message, or any other sender). It provisions the queue and its
// attributes and dead-letter queue like SNSSQS (tomodachi skips the
// attributes of topic-less queues; sqsflow applies them).
func SQS(p *flow.Pipeline, queue string, opts Options) flow.Stream[envelope.Delivery] {
	if queue == "" && opts.Queue == "" {
		p.Errorf("source: SQS: the queue is empty")
	}
	if queue != "" {
		opts.Queue = queue
	}
	return newSource(p, "sqs", "", opts)
}

func newSource(p *flow.Pipeline, kind, topic string, opts Options) flow.Stream[envelope.Delivery] {
	st := p.Stage(kind)
	out, send := flow.NewStream[envelope.Delivery](st)
	o, err := opts.withDefaults()
	if err != nil {
		p.Errorf("source: %s: %w", st.Name(), err)
	}
	c := &consumer{
		opts: o, p: p, st: st, log: o.Logger, stats: o.Stats,
		inflight: map[*inflight]struct{}{}, groups: map[string]*group{}, wake: make(chan struct{}, 1),
	}
	if c.log == nil {
		c.log = p.Logger()
	}
	if c.stats == nil {
		c.stats = &Stats{}
	}
	c.window, _ = flow.NewWindow(o.Window)
	c.stats.window.Store(c.window)
	spec := c.spec(topic)
	if err == nil {
		if verr := spec.Validate(); verr != nil {
			p.Errorf("source: %s: %w", st.Name(), verr)
		}
	}
	c.deletes, _ = batcher.New(batcher.Options{Linger: o.AckLinger}, c.flushDeletes)
	c.changes, _ = batcher.New(batcher.Options{Linger: o.AckLinger}, c.flushChanges)
	c.poison, _ = batcher.New(batcher.Options{Linger: o.AckLinger, MaxInFlight: 1}, c.flushPoison)

	p.OnStart(st.Name(), func(ctx context.Context) error { return c.setup(ctx, spec) })
	p.Background(st.Name(), c.run)
	st.Go(func(ctx context.Context) error {
		defer close(send)
		sctx, cancel := p.SourceContext(ctx)
		defer cancel()
		errs := make(chan error, o.Receivers)
		for range o.Receivers {
			go func() { errs <- c.receive(sctx, send) }()
		}
		var sequencer sync.WaitGroup
		if o.StrictOrder {
			sequencer.Go(func() { c.sequence(sctx, send) })
		}
		var first error
		for range o.Receivers {
			if err := <-errs; err != nil && first == nil {
				first = err
				cancel() // a fatal receive error stops the other receivers
			}
		}
		cancel() // the receivers are done: so is the sequencer
		sequencer.Wait()
		return first
	})
	return out
}

// spec maps the options to what provisioning needs.
func (c *consumer) spec(topic string) provision.Spec {
	o := c.opts
	return provision.Spec{
		Naming: o.Naming,
		Queue: provision.Queue{
			Name:              o.Queue,
			NonCompeting:      o.NonCompeting,
			FIFO:              o.FIFO,
			VisibilityTimeout: o.VisibilityTimeout,
			DeadLetter:        o.DeadLetter,
			KMSKey:            o.KMSKey,
			KMSDataKeyReuse:   o.KMSDataKeyReuse,
		},
		Subscription: provision.Subscription{
			Topic:              topic,
			TopicKMSKey:        o.TopicKMSKey,
			FilterPolicy:       o.FilterPolicy,
			FilterPolicyScope:  o.FilterPolicyScope,
			RawMessageDelivery: o.RawMessageDelivery,
		},
	}
}

// setup runs before the pipeline starts: it makes the clients, provisions or
// looks up the queue, and reads the queue attributes the source works with.
func (c *consumer) setup(ctx context.Context, spec provision.Spec) error {
	clients, err := c.clients(ctx)
	if err != nil {
		return err
	}
	c.sqs = clients.SQS
	ensure := func(ctx context.Context) (provision.Result, error) {
		return provision.Ensure(ctx, clients, spec, provision.Options{})
	}
	if c.opts.Provision == ProvisionOff {
		ensure = func(ctx context.Context) (provision.Result, error) { return provision.Lookup(ctx, clients, spec) }
	} else {
		c.reprovision = func(ctx context.Context) error { _, err := ensure(ctx); return err }
	}
	res, err := ensure(ctx)
	if err != nil {
		return err
	}
	c.queueURL = res.QueueURL
	for _, call := range res.Calls {
		c.log.Info("sqsflow: provisioned", "call", call.String())
	}

	out, err := c.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(c.queueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameVisibilityTimeout, types.QueueAttributeNameRedrivePolicy, types.QueueAttributeNameFifoQueue,
		},
	})
	if err != nil {
		return fmt.Errorf("read the attributes of queue %s: %w", c.queueURL, err)
	}
	c.fifo = out.Attributes[string(types.QueueAttributeNameFifoQueue)] == "true"
	if d, ok := c.opts.VisibilityTimeout.Value(); ok {
		c.visibility = d
	} else {
		secs, err := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)])
		if err != nil {
			return fmt.Errorf("queue %s has no valid VisibilityTimeout %q", c.queueURL, out.Attributes[string(types.QueueAttributeNameVisibilityTimeout)])
		}
		c.visibility = time.Duration(secs) * time.Second
	}
	c.dlqURL = res.DeadLetterURL
	if rp := out.Attributes[string(types.QueueAttributeNameRedrivePolicy)]; c.dlqURL == "" && rp != "" && rp != "{}" {
		if c.dlqURL, err = c.deadLetterURL(ctx, rp); err != nil {
			return err
		}
	}
	return nil
}

// deadLetterURL finds the dead-letter queue named by a redrive policy.
func (c *consumer) deadLetterURL(ctx context.Context, redrivePolicy string) (string, error) {
	var rp struct {
		Target string `json:"deadLetterTargetArn"`
	}
	if err := json.Unmarshal([]byte(redrivePolicy), &rp); err != nil {
		return "", fmt.Errorf("queue %s has a RedrivePolicy that is not JSON: %w", c.queueURL, err)
	}
	if rp.Target == "" {
		return "", nil
	}
	url, err := provision.LookupQueue(ctx, c.sqs, provision.Naming{}, rp.Target)
	if err != nil {
		return "", fmt.Errorf("queue %s: find its dead-letter queue: %w", c.queueURL, err)
	}
	return url, nil
}

// clients returns the clients from the options, made from opts.AWS or the
// default configuration chain where not given.
func (c *consumer) clients(ctx context.Context) (provision.Clients, error) {
	o := c.opts
	return provision.Clients{SQS: o.SQS, SNS: o.SNS, STS: o.STS}.Complete(ctx, o.AWS)
}
