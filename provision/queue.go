package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/internal/naming"
)

// The queue attributes a run reads and may change.
var queueAttributeNames = []sqstypes.QueueAttributeName{
	sqstypes.QueueAttributeNameQueueArn,
	sqstypes.QueueAttributeNameFifoQueue,
	sqstypes.QueueAttributeNamePolicy,
	sqstypes.QueueAttributeNameRedrivePolicy,
	sqstypes.QueueAttributeNameVisibilityTimeout,
	sqstypes.QueueAttributeNameKmsMasterKeyId,
	sqstypes.QueueAttributeNameKmsDataKeyReusePeriodSeconds,
}

// fifoQueueAttributes are set on FIFO queues at creation, as tomodachi sets them.
var fifoQueueAttributes = map[string]string{
	"FifoQueue":                 "true",
	"ContentBasedDeduplication": "false",
	"DeduplicationScope":        "messageGroup",
	"FifoThroughputLimit":       "perMessageGroupId",
}

// queue is a queue as a run knows it.
type queue struct {
	name  string
	url   string
	arn   string
	attrs map[string]string // current attributes; empty for a planned queue
	// planned: the queue does not exist and a dry run would create it; url and
	// arn are empty.
	planned bool
}

// ref names the queue in calls: its URL, or its name while it is planned.
func (q queue) ref() string {
	if q.url != "" {
		return q.url
	}
	return q.name
}

// arnOrPlaceholder is the queue ARN, or a placeholder for a planned queue.
func (q queue) arnOrPlaceholder() string {
	if q.arn != "" {
		return q.arn
	}
	return "<ARN of queue " + q.name + ">"
}

func isQueueNotFound(err error) bool {
	var dne *sqstypes.QueueDoesNotExist
	if errors.As(err, &dne) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NonExistentQueue":
			return true
		}
	}
	return false
}

func getQueueURL(ctx context.Context, client awsiface.SQS, name, account string) (string, error) {
	in := &sqs.GetQueueUrlInput{QueueName: aws.String(name)}
	if account != "" {
		in.QueueOwnerAWSAccountId = aws.String(account)
	}
	out, err := client.GetQueueUrl(ctx, in)
	if err != nil {
		return "", err
	}
	if aws.ToString(out.QueueUrl) == "" {
		return "", fmt.Errorf("GetQueueUrl returned no QueueUrl for %q", name)
	}
	return aws.ToString(out.QueueUrl), nil
}

// notFound builds a QueueNotFoundError, looking up the name with ".fifo"
// toggled to give a hint, as tomodachi does.
func notFound(ctx context.Context, client awsiface.SQS, given, name, account string, err error) error {
	nf := &QueueNotFoundError{Queue: given, Account: account, Err: err}
	other := name + naming.FIFOSuffix
	if strings.HasSuffix(name, naming.FIFOSuffix) {
		other = strings.TrimSuffix(name, naming.FIFOSuffix)
	}
	if _, err := getQueueURL(ctx, client, other, account); err == nil {
		nf.Hint = fmt.Sprintf("a queue named %q exists", other)
	}
	return nf
}

// resolveQueueURL turns a queue reference into a URL without creating
// anything. RefName names must already carry their prefix.
func resolveQueueURL(ctx context.Context, client awsiface.SQS, ref naming.QueueRef, given string) (string, error) {
	if ref.Kind == naming.RefURL {
		return ref.URL, nil
	}
	url, err := getQueueURL(ctx, client, ref.Name, ref.Account)
	if isQueueNotFound(err) {
		return "", notFound(ctx, client, given, ref.Name, ref.Account, err)
	}
	if err != nil {
		return "", fmt.Errorf("provision: look up queue %q: %w", given, err)
	}
	return url, nil
}

// readQueue fills in the queue's ARN and attributes and checks its FIFO-ness.
func readQueue(ctx context.Context, client awsiface.SQS, q *queue, resource string, wantFIFO bool) error {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(q.url),
		AttributeNames: queueAttributeNames,
	})
	if err != nil {
		return fmt.Errorf("provision: read attributes of %s %q: %w", resource, q.name, err)
	}
	q.attrs = out.Attributes
	if q.attrs == nil {
		q.attrs = map[string]string{}
	}
	q.arn = q.attrs["QueueArn"]
	if q.arn == "" {
		return fmt.Errorf("provision: read attributes of %s %q: no QueueArn returned", resource, q.name)
	}
	if isFIFO := q.attrs["FifoQueue"] == "true"; isFIFO != wantFIFO {
		return &FIFOMismatchError{Resource: resource, Name: q.name, IsFIFO: isFIFO, WantFIFO: wantFIFO}
	}
	return nil
}

// openQueue finds an existing queue; it never creates one.
func (r *run) openQueue(ctx context.Context, ref naming.QueueRef, given, resource string, wantFIFO bool) (queue, error) {
	q := queue{name: ref.Name}
	url, err := resolveQueueURL(ctx, r.c.SQS, ref, given)
	if err != nil {
		return q, err
	}
	q.url = url
	return q, readQueue(ctx, r.c.SQS, &q, resource, wantFIFO)
}

// ensureQueue finds the queue named name or creates it: with tomodachi's FIFO
// attributes when fifo is set and a 14-day retention period for dead-letter
// queues. An existing queue is not changed here.
func (r *run) ensureQueue(ctx context.Context, name, resource string, fifo bool) (queue, error) {
	q := queue{name: name}
	url, err := getQueueURL(ctx, r.c.SQS, name, "")
	switch {
	case err == nil:
		q.url = url
	case isQueueNotFound(err):
		attrs := map[string]string{}
		if fifo {
			for k, v := range fifoQueueAttributes {
				attrs[k] = v
			}
		}
		if resource == resourceDLQ {
			attrs["MessageRetentionPeriod"] = dlqRetentionSeconds
		}
		err := r.mutate(Call{Action: "CreateQueue", Target: name, Params: params(attrs)}, func() error {
			out, err := r.c.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
			if err != nil {
				return err
			}
			q.url = aws.ToString(out.QueueUrl)
			return nil
		})
		if err != nil {
			return q, fmt.Errorf("provision: create %s %q: %w", resource, name, err)
		}
		if r.opts.DryRun {
			q.planned = true
			q.attrs = map[string]string{}
			return q, nil
		}
	default:
		return q, fmt.Errorf("provision: look up %s %q: %w", resource, name, err)
	}
	return q, readQueue(ctx, r.c.SQS, &q, resource, fifo)
}

const (
	resourceQueue = "queue"
	resourceDLQ   = "dead-letter queue"
)

// LookupQueue returns the URL of an existing queue, never creating one. ref
// may be a queue URL (returned as it is, without a call), a queue ARN (looked
// up by its name in its owner account, never prefixed) or a plain name
// (prefixed with n.QueuePrefix, then looked up). A missing queue is reported
// as a *QueueNotFoundError, with a hint when the name with ".fifo" toggled
// exists.
func LookupQueue(ctx context.Context, client awsiface.SQS, n Naming, ref string) (string, error) {
	qr, err := naming.ParseQueueRef(ref)
	if err != nil {
		return "", err
	}
	given := ref
	if qr.Kind == naming.RefName {
		qr.Name = n.QueuePrefix + qr.Name
		given = qr.Name
	}
	return resolveQueueURL(ctx, client, qr, given)
}

// Lookup resolves the queue the spec describes without creating or changing
// anything, for services whose infrastructure is managed elsewhere. The
// result has the queue's name, URL and ARN; the queue must exist and match
// Queue.FIFO. Topics, subscriptions and attributes are not looked at.
func Lookup(ctx context.Context, c Clients, spec Spec) (Result, error) {
	p, err := spec.plan()
	if err != nil {
		return Result{}, err
	}
	if c.SQS == nil {
		return Result{}, errors.New("provision: Clients.SQS is nil")
	}
	r := &run{c: c}
	q, err := r.openQueue(ctx, p.queue, queueGiven(spec, p), resourceQueue, spec.Queue.FIFO)
	return Result{QueueName: q.name, QueueURL: q.url, QueueARN: q.arn}, err
}

// queueGiven is how errors name the queue: as the user gave it, or the
// resolved name when it was prefixed or generated.
func queueGiven(spec Spec, p plan) string {
	if p.queue.Kind == naming.RefName {
		return p.queue.Name
	}
	return spec.Queue.Name
}
