package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/time/rate"

	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/provision"
)

func init() {
	register(&command{
		Name:    "redrive",
		Short:   "move messages from a dead-letter queue back to the queue they came from (or to -to)",
		Example: "sqsflow redrive -endpoint http://127.0.0.1:4566 -max 100 -rate 10 billing-dlq",
		Args:    "DLQ",
		Setup:   setupRedrive,
	})
}

// redriveFlags are the settings of one redrive.
type redriveFlags struct {
	to, queuePrefix string
	max             int
	rate            float64
	wait            time.Duration
}

func setupRedrive(fs *flag.FlagSet) runFunc {
	aws := addAWSFlags(fs)
	f := &redriveFlags{}
	fs.StringVar(&f.to, "to", "", "destination `queue` (name, URL or ARN) for every message. Default: each message's source queue, from its DeadLetterQueueSourceArn attribute or, where the endpoint does not set it, the one queue whose redrive policy names the DLQ")
	fs.StringVar(&f.queuePrefix, "queue-prefix", "", "queue name `prefix` for DLQ and -to names (tomodachi's aws_sns_sqs.queue_name_prefix)")
	fs.IntVar(&f.max, "max", 0, "move at most `N` messages (0: until the DLQ is empty)")
	fs.Float64Var(&f.rate, "rate", 0, "move at most this many `messages/s` (0: no limit)")
	fs.DurationVar(&f.wait, "wait", 2*time.Second, "long-poll `time` of each receive, whole seconds up to 20s; redrive stops after a receive that long finds nothing")
	return concisely(func(ctx context.Context, args []string, stdout io.Writer) error {
		if len(args) != 1 {
			return usagef("want one DLQ, got %d arguments", len(args))
		}
		if err := f.check(); err != nil {
			return err
		}
		s, err := aws.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		r, err := newRedrive(ctx, s.sqs, f, args[0])
		if err != nil {
			return err
		}
		return r.run(ctx, stdout)
	})
}

func (f *redriveFlags) check() error {
	switch {
	case f.max < 0:
		return usagef("-max %d: want 0 (no limit) or more", f.max)
	case f.rate < 0 || math.IsNaN(f.rate) || math.IsInf(f.rate, 0):
		return usagef("-rate %v: want 0 (no limit) or more messages per second", f.rate)
	case f.wait < 0 || f.wait > 20*time.Second || f.wait%time.Second != 0:
		return usagef("-wait %v: want whole seconds from 0 to 20s", f.wait)
	}
	return nil
}

// sqsRedrive is what redrive calls on SQS.
type sqsRedrive interface {
	awsiface.SQS
	ListDeadLetterSourceQueues(ctx context.Context, in *sqs.ListDeadLetterSourceQueuesInput, optFns ...func(*sqs.Options)) (*sqs.ListDeadLetterSourceQueuesOutput, error)
}

// pacer paces the messages moved; *rate.Limiter is one.
type pacer interface {
	WaitN(ctx context.Context, n int) error
}

// newPacer returns a limiter for perSecond messages a second (nil for no
// limit) and the most messages to take at once.
func newPacer(perSecond float64) (pacer, int) {
	if perSecond == 0 {
		return nil, 10
	}
	burst := min(10, max(1, int(math.Ceil(perSecond))))
	return rate.NewLimiter(rate.Limit(perSecond), burst), burst
}

// Limits of the SQS batch APIs.
const (
	maxBatchEntries = 10
	maxBatchBytes   = 256 * 1024 // SendMessageBatch's total payload
	// redriveVisibility hides a received message while it is sent to its
	// destination and deleted; if either fails it returns to the DLQ then.
	redriveVisibility = 30 * time.Second
)

// redrive is one run of `sqsflow redrive`.
type redrive struct {
	sqs     sqsRedrive
	flags   *redriveFlags
	dlqURL  string
	dlqARN  string
	fifo    bool
	toURL   string // -to, resolved
	pace    pacer
	maxTake int // most messages taken at once

	// urls caches source queue ARNs resolved to URLs.
	urls map[string]string
	// fallback is the DLQ's one source queue, for messages without a
	// DeadLetterQueueSourceArn; found when first needed.
	fallback     string
	fallbackErr  error
	fallbackDone bool

	moved  map[string]int // by destination URL
	failed []error
}

func newRedrive(ctx context.Context, client sqsRedrive, f *redriveFlags, dlq string) (*redrive, error) {
	n := provision.Naming{QueuePrefix: f.queuePrefix}
	r := &redrive{sqs: client, flags: f, urls: map[string]string{}, moved: map[string]int{}}
	r.pace, r.maxTake = newPacer(f.rate)
	var err error
	if r.dlqURL, err = provision.LookupQueue(ctx, client, n, dlq); err != nil {
		return nil, fmt.Errorf("dead-letter queue %q: %w", dlq, err)
	}
	attrs, err := queueAttributes(ctx, client, r.dlqURL, sqstypes.QueueAttributeNameQueueArn)
	if err != nil {
		return nil, err
	}
	r.dlqARN = attrs[string(sqstypes.QueueAttributeNameQueueArn)]
	r.fifo = strings.HasSuffix(r.dlqURL, ".fifo")
	if f.to != "" {
		if r.toURL, err = provision.LookupQueue(ctx, client, n, f.to); err != nil {
			return nil, fmt.Errorf("-to queue %q: %w", f.to, err)
		}
		if err := r.checkDestination(r.toURL); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// queueAttributes reads attributes of a queue.
func queueAttributes(ctx context.Context, client awsiface.SQS, url string, names ...sqstypes.QueueAttributeName) (map[string]string, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
	if err != nil {
		return nil, fmt.Errorf("attributes of %s: %w", url, err)
	}
	return out.Attributes, nil
}

// checkDestination refuses the DLQ itself and a queue of the other kind.
func (r *redrive) checkDestination(url string) error {
	switch fifo := strings.HasSuffix(url, ".fifo"); {
	case url == r.dlqURL:
		return fmt.Errorf("%s is the dead-letter queue itself", url)
	case fifo != r.fifo:
		kind := map[bool]string{true: "FIFO", false: "standard"}
		return fmt.Errorf("cannot move messages from the %s queue %s to the %s queue %s", kind[r.fifo], r.dlqURL, kind[fifo], url)
	}
	return nil
}

func (r *redrive) run(ctx context.Context, stdout io.Writer) error {
	done := 0 // messages moved or failed
	for r.flags.max == 0 || done < r.flags.max {
		n := r.maxTake
		if r.flags.max > 0 {
			n = min(n, r.flags.max-done)
		}
		if r.pace != nil {
			if err := r.pace.WaitN(ctx, n); err != nil {
				break // interrupted
			}
		}
		if ctx.Err() != nil {
			break
		}
		// Neither the receive nor the move is cancelled with ctx: a long
		// poll abandoned mid-way may still take messages and hide them, and
		// messages taken off the DLQ are moved even if the run is
		// interrupted meanwhile, so that none is sent twice or left hidden.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.flags.wait+cleanupTimeout)
		out, err := r.sqs.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(r.dlqURL),
			MaxNumberOfMessages:         int32(n),
			WaitTimeSeconds:             int32(r.flags.wait / time.Second),
			VisibilityTimeout:           int32(redriveVisibility / time.Second),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		cancel()
		if err != nil {
			r.report(stdout)
			return fmt.Errorf("receive from %s: %w", r.dlqURL, err)
		}
		if len(out.Messages) == 0 {
			break
		}
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		r.move(mctx, out.Messages)
		cancel()
		done += len(out.Messages)
	}
	r.report(stdout)
	switch len(r.failed) {
	case 0:
		return nil
	case 1:
		return fmt.Errorf("1 message was not moved: %w", r.failed[0])
	}
	return fmt.Errorf("%d messages were not moved; the first: %w", len(r.failed), r.failed[0])
}

// report prints how many messages went where.
func (r *redrive) report(stdout io.Writer) {
	if len(r.moved) == 0 {
		fmt.Fprintf(stdout, "no messages moved from %s\n", r.dlqURL)
		return
	}
	dests := make([]string, 0, len(r.moved))
	for d := range r.moved {
		dests = append(dests, d)
	}
	sort.Strings(dests)
	for _, d := range dests {
		fmt.Fprintf(stdout, "moved %d %s from %s to %s\n", r.moved[d], plural(r.moved[d], "message"), r.dlqURL, d)
	}
}

// move sends messages received from the DLQ to their destinations and
// deletes from the DLQ those that were sent.
func (r *redrive) move(ctx context.Context, msgs []sqstypes.Message) {
	byDest := map[string][]sqstypes.Message{}
	var order []string
	for _, m := range msgs {
		dest, err := r.destination(ctx, m)
		if err != nil {
			r.failed = append(r.failed, fmt.Errorf("message %s: %w", aws.ToString(m.MessageId), err))
			continue
		}
		if _, ok := byDest[dest]; !ok {
			order = append(order, dest)
		}
		byDest[dest] = append(byDest[dest], m)
	}
	for _, dest := range order {
		sent := r.send(ctx, dest, byDest[dest])
		r.moved[dest] += r.deleteSent(ctx, sent)
	}
}

// destination returns the URL of the queue m goes back to.
func (r *redrive) destination(ctx context.Context, m sqstypes.Message) (string, error) {
	if r.toURL != "" {
		return r.toURL, nil
	}
	arn := m.Attributes[string(sqstypes.MessageSystemAttributeNameDeadLetterQueueSourceArn)]
	if arn == "" {
		return r.defaultSource(ctx)
	}
	if url, ok := r.urls[arn]; ok {
		return url, nil
	}
	url, err := provision.LookupQueue(ctx, r.sqs, provision.Naming{}, arn)
	if err != nil {
		return "", fmt.Errorf("source queue %s: %w", arn, err)
	}
	if err := r.checkDestination(url); err != nil {
		return "", err
	}
	r.urls[arn] = url
	return url, nil
}

// defaultSource returns the one queue whose redrive policy names the DLQ.
func (r *redrive) defaultSource(ctx context.Context) (string, error) {
	if !r.fallbackDone {
		r.fallback, r.fallbackErr = r.findSource(ctx)
		r.fallbackDone = true
	}
	return r.fallback, r.fallbackErr
}

func (r *redrive) findSource(ctx context.Context) (string, error) {
	sources, err := r.sourceQueues(ctx)
	if err != nil {
		return "", fmt.Errorf("it has no DeadLetterQueueSourceArn, and the queues that use %s as their dead-letter queue could not be listed (give -to): %w", r.dlqURL, err)
	}
	switch len(sources) {
	case 0:
		return "", fmt.Errorf("it has no DeadLetterQueueSourceArn, and no queue uses %s as its dead-letter queue: give -to", r.dlqURL)
	case 1:
		return sources[0], r.checkDestination(sources[0])
	}
	return "", fmt.Errorf("it has no DeadLetterQueueSourceArn, and %s is the dead-letter queue of %d queues (%s): give -to", r.dlqURL, len(sources), strings.Join(sources, ", "))
}

// sourceQueues lists the URLs of the queues whose redrive policy names the
// DLQ: with ListDeadLetterSourceQueues where the endpoint has it, otherwise
// by reading the redrive policy of every queue.
func (r *redrive) sourceQueues(ctx context.Context) ([]string, error) {
	var urls []string
	in := &sqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(r.dlqURL), MaxResults: aws.Int32(1000)}
	for {
		out, err := r.sqs.ListDeadLetterSourceQueues(ctx, in)
		if err != nil {
			scanned, serr := r.scanSourceQueues(ctx)
			if serr != nil {
				return nil, errors.Join(err, serr)
			}
			return scanned, nil
		}
		urls = append(urls, out.QueueUrls...)
		if aws.ToString(out.NextToken) == "" {
			sort.Strings(urls)
			return urls, nil
		}
		in.NextToken = out.NextToken
	}
}

// scanSourceQueues reads the RedrivePolicy of every queue.
func (r *redrive) scanSourceQueues(ctx context.Context) ([]string, error) {
	var urls []string
	in := &sqs.ListQueuesInput{MaxResults: aws.Int32(1000)}
	for {
		out, err := r.sqs.ListQueues(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list queues: %w", err)
		}
		for _, url := range out.QueueUrls {
			if url == r.dlqURL {
				continue
			}
			attrs, err := queueAttributes(ctx, r.sqs, url, sqstypes.QueueAttributeNameRedrivePolicy)
			if err != nil {
				continue // deleted meanwhile, or not ours to read
			}
			var policy struct {
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			}
			if json.Unmarshal([]byte(attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)]), &policy) == nil && policy.DeadLetterTargetArn == r.dlqARN {
				urls = append(urls, url)
			}
		}
		if aws.ToString(out.NextToken) == "" {
			sort.Strings(urls)
			return urls, nil
		}
		in.NextToken = out.NextToken
	}
}

// send sends msgs to dest in batches within SQS's limits and returns the
// messages that were sent.
func (r *redrive) send(ctx context.Context, dest string, msgs []sqstypes.Message) []sqstypes.Message {
	var sent []sqstypes.Message
	for start := 0; start < len(msgs); {
		end, size := start, 0
		for end < len(msgs) && end-start < maxBatchEntries {
			s := messageSize(msgs[end])
			if end > start && size+s > maxBatchBytes {
				break
			}
			size += s
			end++
		}
		batch := msgs[start:end]
		start = end
		entries := make([]sqstypes.SendMessageBatchRequestEntry, 0, len(batch))
		index := make([]int, 0, len(batch)) // entry -> batch position
		for i, m := range batch {
			e := sqstypes.SendMessageBatchRequestEntry{
				Id:                aws.String(strconv.Itoa(i)),
				MessageBody:       m.Body,
				MessageAttributes: m.MessageAttributes,
			}
			if r.fifo {
				group := m.Attributes[string(sqstypes.MessageSystemAttributeNameMessageGroupId)]
				if group == "" {
					r.failed = append(r.failed, fmt.Errorf("message %s: it has no message group id, and %s is a FIFO queue", aws.ToString(m.MessageId), dest))
					continue
				}
				e.MessageGroupId = aws.String(group)
				// The message id, not the original deduplication id: reusing
				// that within SQS's five-minute deduplication window would
				// make the queue drop the message as a duplicate. AWS itself
				// replaces the deduplication id by the message id when it
				// moves a message to a FIFO dead-letter queue.
				e.MessageDeduplicationId = m.MessageId
			}
			entries = append(entries, e)
			index = append(index, i)
		}
		if len(entries) == 0 {
			continue
		}
		out, err := r.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(dest), Entries: entries})
		if err != nil {
			for _, i := range index {
				r.failed = append(r.failed, fmt.Errorf("message %s: send to %s: %w", aws.ToString(batch[i].MessageId), dest, err))
			}
			continue
		}
		failed := map[string]bool{}
		for _, f := range out.Failed {
			id := aws.ToString(f.Id)
			failed[id] = true
			if i, err := strconv.Atoi(id); err == nil && i >= 0 && i < len(batch) {
				r.failed = append(r.failed, fmt.Errorf("message %s: send to %s: %s: %s", aws.ToString(batch[i].MessageId), dest, aws.ToString(f.Code), aws.ToString(f.Message)))
			}
		}
		for _, i := range index {
			if !failed[strconv.Itoa(i)] {
				sent = append(sent, batch[i])
			}
		}
	}
	return sent
}

// messageSize approximates what a message counts toward a batch's size.
func messageSize(m sqstypes.Message) int {
	n := len(aws.ToString(m.Body))
	for k, v := range m.MessageAttributes {
		n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
	}
	return n
}

// deleteSent deletes from the DLQ the messages that reached their
// destination and returns how many it deleted.
func (r *redrive) deleteSent(ctx context.Context, sent []sqstypes.Message) int {
	deleted := 0
	for start := 0; start < len(sent); start += maxBatchEntries {
		batch := sent[start:min(start+maxBatchEntries, len(sent))]
		entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(batch))
		for i, m := range batch {
			entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		out, err := r.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.dlqURL), Entries: entries})
		if err != nil {
			for _, m := range batch {
				r.failed = append(r.failed, fmt.Errorf("message %s: sent, but not deleted from the dead-letter queue (it will be moved again): %w", aws.ToString(m.MessageId), err))
			}
			continue
		}
		deleted += len(out.Successful)
		for _, f := range out.Failed {
			if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(batch) {
				r.failed = append(r.failed, fmt.Errorf("message %s: sent, but not deleted from the dead-letter queue (it will be moved again): %s: %s", aws.ToString(batch[i].MessageId), aws.ToString(f.Code), aws.ToString(f.Message)))
			}
		}
	}
	return deleted
}
