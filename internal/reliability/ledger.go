package reliability

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"golang.org/x/sync/errgroup"
)

// A Ledger counts the ids seen in a queue. It is safe for concurrent use.
type Ledger struct {
	mu       sync.Mutex
	counts   map[string]int
	total    int
	bad      int           // bodies whose id could not be read
	changed  chan struct{} // closed and replaced on every change
	lastBody string        // the last body whose id could not be read
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{counts: map[string]int{}, changed: make(chan struct{})}
}

// Add records one sighting of id.
func (l *Ledger) Add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[id]++
	l.total++
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *Ledger) addBad(body string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bad++
	l.lastBody = body
	close(l.changed)
	l.changed = make(chan struct{})
}

// Count returns how often id was seen.
func (l *Ledger) Count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[id]
}

// Unique returns the number of distinct ids seen.
func (l *Ledger) Unique() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counts)
}

// Total returns the number of sightings.
func (l *Ledger) Total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Duplicates returns the sightings beyond the first of each id.
func (l *Ledger) Duplicates() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total - len(l.counts)
}

// Unreadable returns the number of bodies whose id could not be read, and
// the last such body.
func (l *Ledger) Unreadable() (int, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bad, l.lastBody
}

// IDs returns the distinct ids seen, sorted.
func (l *Ledger) IDs() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]string, 0, len(l.counts))
	for id := range l.counts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Wait blocks until cond returns true, or ctx ends. cond is called at once
// and again after every change to any of the ledgers.
func Wait(ctx context.Context, cond func() bool, ledgers ...*Ledger) error {
	cases := make([]reflect.SelectCase, len(ledgers)+1)
	cases[0] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}
	for {
		for i, l := range ledgers {
			l.mu.Lock()
			cases[i+1] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(l.changed)}
			l.mu.Unlock()
		}
		if cond() {
			return nil
		}
		if chosen, _, _ := reflect.Select(cases); chosen == 0 {
			return ctx.Err()
		}
	}
}

// Missing returns the ids of want that none of the ledgers has seen.
func Missing(want []string, ledgers ...*Ledger) []string {
	var missing []string
	for _, id := range want {
		seen := false
		for _, l := range ledgers {
			if l.Count(id) > 0 {
				seen = true
				break
			}
		}
		if !seen {
			missing = append(missing, id)
		}
	}
	return missing
}

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
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for start, end := 0, 0; start < len(bodies); start = end {
		size := 0
		for end = start; end < len(bodies) && end-start < 10; end++ {
			if size += len(bodies[end]); end > start && size > 256<<10 {
				break
			}
		}
		batch := bodies[start:end]
		g.Go(func() error {
			entries := make([]types.SendMessageBatchRequestEntry, len(batch))
			for i, b := range batch {
				entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
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
