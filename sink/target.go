package sink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/uuid"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/attrconv"
	"github.com/sqsflow/sqsflow/provision"
)

// outgoing is one message ready to be published or sent.
type outgoing struct {
	body    string
	attrs   map[string]envelope.Attribute
	group   string
	dedup   string
	subject string
	delay   time.Duration
}

// size approximates what the message counts toward a batch's 256 KiB.
func (o *outgoing) size() int {
	n := len(o.body)
	for k, a := range o.attrs {
		n += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}

// maxBatchBytes is the most a batch request may carry (SNS PublishBatch and
// SQS SendMessageBatch: 256 KiB in all).
const maxBatchBytes = 256 * 1024

// entryFailure is a rejected entry of a batch, by index.
type entryFailure struct {
	index int
	err   *EntryError
}

// A target is where a sink sends: an SNS topic or an SQS queue.
type target interface {
	// resolve finds (or creates) the topic or queue; it is called once.
	resolve(ctx context.Context) error
	// fifo reports whether the resolved target is FIFO.
	fifo() bool
	// seal prepares the body of a message carrying data with attrs.
	seal(data any, attrs map[string]any) (string, error)
	// sendBatch sends up to ten messages in one request and returns the
	// message ids of those sent (by batch index) and those AWS rejected.
	sendBatch(ctx context.Context, batch []*outgoing) ([]string, []entryFailure, error)
	// sendOne sends one message and returns its message id.
	sendOne(ctx context.Context, o *outgoing) (string, error)
	// String names the target for errors and logs.
	String() string
}

// sealWith turns data into the payload of a message with the configured
// envelope. Values that are already sealed are sent as they are.
func sealWith(env envelope.Envelope, topic string, data any, attrs map[string]any) (string, error) {
	if s, ok := data.(envelope.Sealed); ok {
		return s.Payload, nil
	}
	return env.Seal(topic, data, attrs)
}

// topicTarget publishes to an SNS topic.
type topicTarget struct {
	cfg     *config
	clients provision.Clients
	topic   string // as the user names it
	isFIFO  bool
	arn     string
}

func (t *topicTarget) String() string {
	if t.arn != "" {
		return t.arn
	}
	return "topic " + strconv.Quote(t.topic)
}

func (t *topicTarget) fifo() bool { return t.isFIFO }

func (t *topicTarget) resolve(ctx context.Context) error {
	res, err := provision.EnsureTopic(ctx, t.clients, t.cfg.naming, provision.Topic{
		Name: t.topic, FIFO: t.isFIFO, KMSKey: t.cfg.topicKMS, Attributes: t.cfg.topicAttrs, LookupOnly: t.cfg.lookupOnly,
	}, provision.Options{})
	if err != nil {
		return err
	}
	t.arn = res.ARN
	return nil
}

func (t *topicTarget) seal(data any, attrs map[string]any) (string, error) {
	return sealWith(t.cfg.env, t.topic, data, attrs)
}

func (t *topicTarget) sendBatch(ctx context.Context, batch []*outgoing) ([]string, []entryFailure, error) {
	entries := make([]snstypes.PublishBatchRequestEntry, len(batch))
	for i, o := range batch {
		e := snstypes.PublishBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			Message:           aws.String(o.body),
			MessageAttributes: attrconv.ToSNS(o.attrs),
		}
		if o.subject != "" {
			e.Subject = aws.String(o.subject)
		}
		if o.group != "" {
			e.MessageGroupId = aws.String(o.group)
			e.MessageDeduplicationId = aws.String(o.dedup)
		}
		entries[i] = e
	}
	out, err := t.clients.SNS.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(t.arn), PublishBatchRequestEntries: entries})
	if err != nil {
		return nil, nil, err
	}
	ids := messageIDs(len(batch), out.Successful, func(e snstypes.PublishBatchResultEntry) (string, string) {
		return aws.ToString(e.Id), aws.ToString(e.MessageId)
	})
	return ids, failures(t.arn, len(batch), out.Failed, func(f snstypes.BatchResultErrorEntry) (string, string, string, bool) {
		return aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message), f.SenderFault
	}), nil
}

func (t *topicTarget) sendOne(ctx context.Context, o *outgoing) (string, error) {
	in := &sns.PublishInput{TopicArn: aws.String(t.arn), Message: aws.String(o.body), MessageAttributes: attrconv.ToSNS(o.attrs)}
	if o.subject != "" {
		in.Subject = aws.String(o.subject)
	}
	if o.group != "" {
		in.MessageGroupId = aws.String(o.group)
		in.MessageDeduplicationId = aws.String(o.dedup)
	}
	out, err := t.clients.SNS.Publish(ctx, in)
	if err != nil {
		return "", fmt.Errorf("sink: publish to %s: %w", t, err)
	}
	return aws.ToString(out.MessageId), nil
}

// queueTarget sends to an SQS queue.
type queueTarget struct {
	cfg     *config
	clients provision.Clients
	queue   string // name, URL or ARN, as given
	isFIFO  bool
	url     string
}

func (q *queueTarget) String() string {
	if q.url != "" {
		return q.url
	}
	return "queue " + strconv.Quote(q.queue)
}

func (q *queueTarget) fifo() bool { return q.isFIFO }

func (q *queueTarget) resolve(ctx context.Context) error {
	url, err := provision.LookupQueue(ctx, q.clients.SQS, q.cfg.naming, q.queue)
	if err != nil {
		return err
	}
	q.url = url
	q.isFIFO = strings.HasSuffix(url, ".fifo")
	switch {
	case q.isFIFO && !q.cfg.fifoWanted():
		return fmt.Errorf("sink: %s is a FIFO queue: set a message group id (WithGroupID, WithGroupIDFunc or WithSourceFIFOIDs)", url)
	case !q.isFIFO && q.cfg.fifoWanted():
		return fmt.Errorf("sink: %s is not a FIFO queue: message group ids cannot be used with it", url)
	case q.isFIFO && (q.cfg.delay != 0 || q.cfg.delayFn != nil):
		return fmt.Errorf("sink: %s is a FIFO queue: per-message delays are not allowed (set the queue's DelaySeconds)", url)
	}
	return nil
}

func (q *queueTarget) seal(data any, attrs map[string]any) (string, error) {
	payload, err := sealWith(q.cfg.env, "", data, attrs)
	if err != nil || q.cfg.bareBody {
		return payload, err
	}
	return envelope.SQSBody(q.url, payload, attrs, time.Now())
}

func (q *queueTarget) sendBatch(ctx context.Context, batch []*outgoing) ([]string, []entryFailure, error) {
	entries := make([]sqstypes.SendMessageBatchRequestEntry, len(batch))
	for i, o := range batch {
		e := sqstypes.SendMessageBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			MessageBody:       aws.String(o.body),
			MessageAttributes: attrconv.ToSQS(o.attrs),
			DelaySeconds:      int32(o.delay / time.Second),
		}
		if o.group != "" {
			e.MessageGroupId = aws.String(o.group)
			e.MessageDeduplicationId = aws.String(o.dedup)
		}
		entries[i] = e
	}
	out, err := q.clients.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url), Entries: entries})
	if err != nil {
		return nil, nil, err
	}
	ids := messageIDs(len(batch), out.Successful, func(e sqstypes.SendMessageBatchResultEntry) (string, string) {
		return aws.ToString(e.Id), aws.ToString(e.MessageId)
	})
	return ids, failures(q.url, len(batch), out.Failed, func(f sqstypes.BatchResultErrorEntry) (string, string, string, bool) {
		return aws.ToString(f.Id), aws.ToString(f.Code), aws.ToString(f.Message), f.SenderFault
	}), nil
}

// messageIDs returns the message ids of a batch response's successful
// entries (SNS and SQS have the same shape in different types) by index.
func messageIDs[E any](n int, ok []E, fields func(E) (id, messageID string)) []string {
	ids := make([]string, n)
	for _, e := range ok {
		id, messageID := fields(e)
		if i, err := strconv.Atoi(id); err == nil && i >= 0 && i < n {
			ids[i] = messageID
		}
	}
	return ids
}

// failures turns the failed entries of a batch response (SNS and SQS have
// the same shape in different types) into entryFailures by batch index.
func failures[E any](target string, n int, failed []E, fields func(E) (id, code, msg string, senderFault bool)) []entryFailure {
	out := make([]entryFailure, 0, len(failed))
	for _, f := range failed {
		id, code, msg, sender := fields(f)
		i, err := strconv.Atoi(id)
		if err != nil || i < 0 || i >= n {
			continue
		}
		out = append(out, entryFailure{i, &EntryError{Target: target, Code: code, Message: msg, Permanent: !retriableEntry(code, sender)}})
	}
	return out
}

func (q *queueTarget) sendOne(ctx context.Context, o *outgoing) (string, error) {
	in := &sqs.SendMessageInput{
		QueueUrl: aws.String(q.url), MessageBody: aws.String(o.body),
		MessageAttributes: attrconv.ToSQS(o.attrs), DelaySeconds: int32(o.delay / time.Second),
	}
	if o.group != "" {
		in.MessageGroupId = aws.String(o.group)
		in.MessageDeduplicationId = aws.String(o.dedup)
	}
	out, err := q.clients.SQS.SendMessage(ctx, in)
	if err != nil {
		return "", fmt.Errorf("sink: send to %s: %w", q, err)
	}
	return aws.ToString(out.MessageId), nil
}

// newDedupID returns a random deduplication id, as tomodachi uses.
func newDedupID() string { return uuid.NewString() }

var errNoGroup = errors.New("a FIFO target needs a message group id, and the message has none")
