package reliability

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"
)

// Drain receives messages from the queue at url with n concurrent long
// polls, records each one's id (read from its body by id) in l, and deletes
// it, until ctx ends. A failed call is tried again every 100ms; Drain
// returns its error once calls have failed for a minute in a row, and nil
// when ctx ends.
func Drain(ctx context.Context, client *sqs.Client, url string, n int, id func(body string) (string, error), l *Ledger) error {
	g, ctx := errgroup.WithContext(ctx)
	for range n {
		g.Go(func() error {
			failures := 0
			for ctx.Err() == nil {
				_, err := drainOnce(ctx, client, url, 1, id, l)
				switch {
				case err == nil:
					failures = 0
					continue
				case ctx.Err() != nil:
					return nil
				}
				// The endpoint may be away for a while (the restart
				// test takes it away): try again, for up to a minute.
				if failures++; failures > 600 {
					return err
				}
				select {
				case <-time.After(100 * time.Millisecond):
				case <-ctx.Done():
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// DrainAll receives and records messages like Drain until the queue is
// empty: a receive returns nothing and the queue holds no messages, visible
// or not.
func DrainAll(ctx context.Context, client *sqs.Client, url string, id func(body string) (string, error), l *Ledger) error {
	for {
		n, err := drainOnce(ctx, client, url, 1, id, l)
		if err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		c, err := Counts(ctx, client, url)
		if err != nil {
			return err
		}
		if c.Total() == 0 {
			return nil
		}
	}
}

// drainOnce makes one receive and deletes what it got; it returns the
// number of messages received.
func drainOnce(ctx context.Context, client *sqs.Client, url string, wait int32, id func(string) (string, error), l *Ledger) (int, error) {
	out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: wait, VisibilityTimeout: 5,
	})
	if err != nil {
		return 0, fmt.Errorf("receive from %s: %w", url, err)
	}
	if len(out.Messages) == 0 {
		return 0, nil
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
	for i, m := range out.Messages {
		body := aws.ToString(m.Body)
		if v, err := id(body); err != nil {
			l.addBad(body)
		} else {
			l.Add(v)
		}
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	del, err := client.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil {
		return 0, fmt.Errorf("delete from %s: %w", url, err)
	}
	if len(del.Failed) > 0 {
		return 0, fmt.Errorf("delete from %s: %s", url, aws.ToString(del.Failed[0].Message))
	}
	return len(out.Messages), nil
}

// QueueCounts are a queue's approximate message counts.
type QueueCounts struct {
	Visible, InFlight, Delayed int
}

// Total returns the number of messages in the queue, visible or not.
func (c QueueCounts) Total() int { return c.Visible + c.InFlight + c.Delayed }

// Counts returns the message counts of the queue at url.
func Counts(ctx context.Context, client *sqs.Client, url string) (QueueCounts, error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return QueueCounts{}, fmt.Errorf("attributes of %s: %w", url, err)
	}
	var c QueueCounts
	var errs []error
	for name, dst := range map[types.QueueAttributeName]*int{
		types.QueueAttributeNameApproximateNumberOfMessages:           &c.Visible,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible: &c.InFlight,
		types.QueueAttributeNameApproximateNumberOfMessagesDelayed:    &c.Delayed,
	} {
		v, err := strconv.Atoi(out.Attributes[string(name)])
		if err != nil {
			errs = append(errs, fmt.Errorf("attribute %s of %s: %w", name, url, err))
		}
		*dst = v
	}
	return c, errors.Join(errs...)
}

// Send sends bodies to the queue at url, up to ten (and 256 KiB) to a
// request, with up to eight requests at once.
func Send(ctx context.Context, client *sqs.Client, url string, bodies []string) error {
	return send(ctx, client, url, bodies, nil)
}

// SendFIFO sends bodies to the FIFO queue at url in order, with the message
// group and deduplication ids ids returns for each body's index.
func SendFIFO(ctx context.Context, client *sqs.Client, url string, bodies []string, ids func(i int) (group, dedup string)) error {
	return send(ctx, client, url, bodies, ids)
}

func send(ctx context.Context, client *sqs.Client, url string, bodies []string, fifo func(int) (string, string)) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	if fifo != nil {
		g.SetLimit(1) // in order
	}
	for start, end := 0, 0; start < len(bodies); start = end {
		end = batchEnd(bodies, start)
		batch := bodies[start:end]
		g.Go(func() error {
			entries := make([]types.SendMessageBatchRequestEntry, len(batch))
			for i, b := range batch {
				entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
				if fifo != nil {
					group, dedup := fifo(start + i)
					entries[i].MessageGroupId, entries[i].MessageDeduplicationId = aws.String(group), aws.String(dedup)
				}
			}
			out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
			if err != nil {
				return fmt.Errorf("send to %s: %w", url, err)
			}
			if len(out.Failed) > 0 {
				return fmt.Errorf("send to %s: entry %s: %s: %s", url, aws.ToString(out.Failed[0].Id),
					aws.ToString(out.Failed[0].Code), aws.ToString(out.Failed[0].Message))
			}
			return nil
		})
	}
	return g.Wait()
}

// Publish publishes bodies to the SNS topic, up to ten (and 256 KiB) to a
// request, with up to eight requests at once.
func Publish(ctx context.Context, client *sns.Client, topicARN string, bodies []string) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for start, end := 0, 0; start < len(bodies); start = end {
		end = batchEnd(bodies, start)
		batch := bodies[start:end]
		g.Go(func() error {
			entries := make([]snstypes.PublishBatchRequestEntry, len(batch))
			for i, b := range batch {
				entries[i] = snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: aws.String(b)}
			}
			out, err := client.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(topicARN), PublishBatchRequestEntries: entries})
			if err != nil {
				return fmt.Errorf("publish to %s: %w", topicARN, err)
			}
			if len(out.Failed) > 0 {
				return fmt.Errorf("publish to %s: entry %s: %s: %s", topicARN, aws.ToString(out.Failed[0].Id),
					aws.ToString(out.Failed[0].Code), aws.ToString(out.Failed[0].Message))
			}
			return nil
		})
	}
	return g.Wait()
}

// batchEnd returns the end of the batch of bodies that starts at start: at
// most ten, and at most 256 KiB unless one body alone is larger.
func batchEnd(bodies []string, start int) int {
	size, end := 0, start
	for ; end < len(bodies) && end-start < 10; end++ {
		if size += len(bodies[end]); end > start && size > 256<<10 {
			break
		}
	}
	return end
}
