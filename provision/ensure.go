package provision

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsflow/sqsflow/internal/naming"
)

// Result is what a provisioning run found and did. In a dry run, URLs and
// ARNs of resources that would be created are empty.
type Result struct {
	QueueName     string
	QueueURL      string
	QueueARN      string
	DeadLetterURL string // set when Queue.DeadLetter is set
	DeadLetterARN string
	// TopicARNs are the subscribed topics: one, or every topic a pattern
	// matched (sorted), or none.
	TopicARNs []string
	// SubscriptionARNs, in the order of TopicARNs.
	SubscriptionARNs []string
	// Calls are the mutating calls made (or planned, in a dry run), in order.
	// A second run against unchanged infrastructure has none.
	Calls []Call
}

// Ensure provisions what spec describes, idempotently and in tomodachi's
// order:
//
//  1. the queue: looked up, created if missing (with FIFO attributes for
//     FIFO queues); a queue given by ARN or URL must exist;
//  2. the dead-letter queue, when Queue.DeadLetter is set: by name (created if
//     missing with a 14-day retention) or by ARN (must exist);
//  3. the topic (FIFO, KMS), or for a pattern every matching existing topic;
//  4. the queue attributes, in one SetQueueAttributes call holding only what
//     differs: the access policy letting exactly the subscribed topics send
//     (aws:SourceArn), VisibilityTimeout, RedrivePolicy, KmsMasterKeyId and
//     KmsDataKeyReusePeriodSeconds;
//  5. the subscription of the queue to each topic, with FilterPolicy,
//     FilterPolicyScope and RawMessageDelivery.
//
// Attributes left as they are (the zero Setting) are neither read into the
// decision nor written. The spec is validated first; errors name what was
// being provisioned and wrap the AWS error. On error the Result holds what
// was done so far.
func Ensure(ctx context.Context, c Clients, spec Spec, opts Options) (Result, error) {
	p, err := spec.plan()
	if err != nil {
		return Result{}, err
	}
	if c.SQS == nil {
		return Result{}, errors.New("provision: Clients.SQS is nil")
	}
	if p.topic != "" && c.SNS == nil {
		return Result{}, errors.New("provision: Clients.SNS is nil but the spec subscribes to a topic")
	}
	r := &run{c: c, opts: opts}
	var res Result
	err = r.ensure(ctx, p, &res)
	res.Calls = r.calls
	return res, err
}

func (r *run) ensure(ctx context.Context, p plan, res *Result) error {
	spec := p.spec
	fifo := spec.Queue.FIFO

	// 1. Queue.
	var q queue
	var err error
	if p.queue.Kind == naming.RefName {
		q, err = r.ensureQueue(ctx, p.queue.Name, resourceQueue, fifo)
	} else {
		q, err = r.openQueue(ctx, p.queue, spec.Queue.Name, resourceQueue, fifo)
	}
	res.QueueName, res.QueueURL, res.QueueARN = q.name, q.url, q.arn
	if err != nil {
		return err
	}

	// 2. Dead-letter queue.
	var dlq queue
	if p.dlq.Kind != 0 {
		if p.dlq.Kind == naming.RefName {
			dlq, err = r.ensureQueue(ctx, p.dlq.Name, resourceDLQ, fifo)
		} else {
			dl, _ := spec.Queue.DeadLetter.Value()
			dlq, err = r.openQueue(ctx, p.dlq, dl.Queue, resourceDLQ, fifo)
		}
		res.DeadLetterURL, res.DeadLetterARN = dlq.url, dlq.arn
		if err != nil {
			return err
		}
	}

	// 3. Topic(s).
	var topics []topic
	sub := spec.Subscription
	if p.topic != "" {
		if p.wildcard {
			arns, err := r.matchTopics(ctx, spec.Naming.TopicPrefix, sub.Topic, fifo)
			if err != nil {
				return err
			}
			sort.Strings(arns)
			for _, arn := range arns {
				topics = append(topics, topic{name: naming.TopicFromARN(arn, ""), arn: arn})
			}
		} else {
			guess := topicARNLike(q.arn, p.topic)
			if guess == "" && r.c.STS != nil {
				guess, _ = r.guessTopicARN(ctx, p.topic)
			}
			t, err := r.ensureTopic(ctx, p.topic, guess, fifo, sub.TopicKMSKey, nil)
			if err != nil {
				return err
			}
			topics = append(topics, t)
		}
		for _, t := range topics {
			if t.arn != "" {
				res.TopicARNs = append(res.TopicARNs, t.arn)
			}
		}
	}

	// 4. Queue attributes.
	var policy *queuePolicy
	if len(topics) > 0 && !sub.LeaveQueuePolicy {
		arns := make([]string, len(topics))
		for i, t := range topics {
			arns[i] = t.arnOrPlaceholder()
		}
		pol := buildQueuePolicy(q.arnOrPlaceholder(), arns, time.Now())
		policy = &pol
	}
	changes, err := queueAttributeChanges(spec.Queue, q.attrs, dlq.arnOrPlaceholder(), policy)
	if err != nil {
		return fmt.Errorf("provision: queue attributes of %q: %w", q.name, err)
	}
	if len(changes) > 0 {
		err := r.mutate(Call{Action: "SetQueueAttributes", Target: q.ref(), Params: params(changes)}, func() error {
			_, err := r.c.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(q.url), Attributes: changes})
			return err
		})
		if err != nil {
			return fmt.Errorf("provision: set attributes of queue %q: %w", q.name, err)
		}
	}

	// 5. Subscriptions: every topic gets the same attributes.
	for _, t := range topics {
		arn, err := r.ensureSubscription(ctx, t, q, sub, p.policy)
		if err != nil {
			return err
		}
		if arn != "" {
			res.SubscriptionARNs = append(res.SubscriptionARNs, arn)
		}
	}
	return nil
}
