package source

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// flushAttempts bounds how often one batch entry is tried. An entry that
// still fails is left alone: the message comes back when its visibility
// runs out, and at-least-once still holds.
const flushAttempts = 6

// retryEntries calls try with the entries still to do until none are left,
// flushAttempts is reached or ctx ends. try returns the entries to try again
// (for a failed call, all of them).
func retryEntries[E any](ctx context.Context, entries []E, try func(ctx context.Context, entries []E) []E) []E {
	for attempt := 1; len(entries) > 0; attempt++ {
		entries = try(ctx, entries)
		if len(entries) == 0 || attempt == flushAttempts {
			break
		}
		select {
		case <-time.After(retryDelay(attempt)):
		case <-ctx.Done():
			return entries
		}
	}
	return entries
}

// retriable reports whether a failed batch entry is worth another try: a
// receipt handle that is no longer valid (the message was received again
// elsewhere, or already deleted) is not.
func retriable(e types.BatchResultErrorEntry) bool {
	return !e.SenderFault
}

// flushDeletes deletes a batch of messages by receipt handle.
func (c *consumer) flushDeletes(ctx context.Context, handles []string) {
	left := retryEntries(ctx, handles, func(ctx context.Context, handles []string) []string {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(handles))
		for i, h := range handles {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(h)}
		}
		c.stats.Requests.Add(1)
		out, err := c.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(c.queueURL), Entries: entries})
		if err != nil {
			c.log.Warn("sqsflow: deleting messages failed; retrying", "queue", c.queueURL, "n", len(handles), "err", err)
			return handles
		}
		c.stats.Deleted.Add(int64(len(out.Successful)))
		var again []string
		for _, f := range out.Failed {
			i, ok := entryIndex(f.Id, len(handles))
			if !ok {
				continue
			}
			if retriable(f) {
				again = append(again, handles[i])
			} else {
				c.log.Warn("sqsflow: could not delete a finished message; it will be redelivered",
					"queue", c.queueURL, "code", aws.ToString(f.Code), "reason", aws.ToString(f.Message))
			}
		}
		return again
	})
	if len(left) > 0 {
		c.log.Error("sqsflow: gave up deleting finished messages; they will be redelivered", "queue", c.queueURL, "n", len(left))
	}
}

// flushChanges changes the visibility of a batch of messages. A receipt
// handle may appear twice in a batch (a heartbeat and a completion); SQS
// rejects duplicate entries, so the later one waits for the next batch.
func (c *consumer) flushChanges(ctx context.Context, changes []change) {
	retryEntries(ctx, changes, func(ctx context.Context, changes []change) []change {
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, 0, len(changes))
		var later []change
		seen := make(map[string]bool, len(changes))
		for _, ch := range changes {
			if seen[ch.receipt] {
				later = append(later, ch)
				continue
			}
			seen[ch.receipt] = true
			entries = append(entries, types.ChangeMessageVisibilityBatchRequestEntry{
				Id:                aws.String(strconv.Itoa(len(entries))),
				ReceiptHandle:     aws.String(ch.receipt),
				VisibilityTimeout: int32(ch.timeout.Round(time.Second) / time.Second),
			})
		}
		c.stats.Requests.Add(1)
		out, err := c.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(c.queueURL), Entries: entries})
		if err != nil {
			c.log.Warn("sqsflow: changing visibility failed; retrying", "queue", c.queueURL, "n", len(entries), "err", err)
			return changes
		}
		for _, f := range out.Failed {
			i, ok := entryIndex(f.Id, len(entries))
			if !ok {
				continue
			}
			if retriable(f) {
				later = append(later, change{aws.ToString(entries[i].ReceiptHandle), time.Duration(entries[i].VisibilityTimeout) * time.Second})
			} else {
				// Usually: the message was deleted or received again meanwhile.
				c.log.Debug("sqsflow: visibility change rejected", "queue", c.queueURL, "code", aws.ToString(f.Code), "reason", aws.ToString(f.Message))
			}
		}
		return later
	})
}

// flushPoison moves permanently failed messages to the dead-letter queue:
// it sends them there, with their body and attributes, and deletes the ones
// it sent. Those it cannot send are returned to the queue with a backoff, so
// they are not lost.
func (c *consumer) flushPoison(ctx context.Context, batch []*inflight) {
	left := retryEntries(ctx, batch, func(ctx context.Context, batch []*inflight) []*inflight {
		entries := make([]types.SendMessageBatchRequestEntry, len(batch))
		for i, f := range batch {
			e := types.SendMessageBatchRequestEntry{
				Id:                aws.String(strconv.Itoa(i)),
				MessageBody:       f.msg.Body,
				MessageAttributes: f.msg.MessageAttributes,
			}
			if c.fifo {
				e.MessageGroupId = aws.String(orDefault(f.msg.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)], "sqsflow"))
				e.MessageDeduplicationId = aws.String(f.receipt.MessageID)
			}
			entries[i] = e
		}
		c.stats.Requests.Add(1)
		out, err := c.sqs.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(c.dlqURL), Entries: entries})
		if err != nil {
			c.log.Warn("sqsflow: dead-lettering failed; retrying", "queue", c.dlqURL, "n", len(batch), "err", err)
			return batch
		}
		for _, sent := range out.Successful {
			if i, ok := entryIndex(sent.Id, len(batch)); ok {
				c.stats.Poisoned.Add(1)
				c.log.Warn("sqsflow: moved a message that cannot be processed to the dead-letter queue",
					"queue", c.queueURL, "dlq", c.dlqURL, "id", batch[i].receipt.MessageID)
				c.ack(batch[i].receipt.ReceiptHandle)
			}
		}
		var again []*inflight
		for _, f := range out.Failed {
			if i, ok := entryIndex(f.Id, len(batch)); ok {
				again = append(again, batch[i])
			}
		}
		return again
	})
	for _, f := range left {
		c.retry(f)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// entryIndex reads the index a batch entry's Id was given (its position in
// the request) and reports whether it names one of the n entries.
func entryIndex(id *string, n int) (int, bool) {
	i, err := strconv.Atoi(aws.ToString(id))
	return i, err == nil && i >= 0 && i < n
}
