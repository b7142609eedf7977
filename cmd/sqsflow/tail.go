package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/attrconv"
	"github.com/sqsflow/sqsflow/provision"
)

func init() {
	register(&command{
		Name:    "tail",
		Short:   "print the messages on a queue, decoded, and leave them there (or delete them with -delete)",
		Example: "sqsflow tail -endpoint http://127.0.0.1:4566 -n 10 -json billing-order-created",
		Args:    "QUEUE",
		Setup:   setupTail,
	})
}

// tailFlags are the settings of one tail.
type tailFlags struct {
	queuePrefix, topicPrefix string
	max                      int
	follow, delete, json     bool
	wait, hold               time.Duration
	envelope                 string
}

func setupTail(fs *flag.FlagSet) runFunc {
	aws := addAWSFlags(fs)
	f := &tailFlags{}
	fs.StringVar(&f.queuePrefix, "queue-prefix", "", "queue name `prefix` (tomodachi's aws_sns_sqs.queue_name_prefix); not applied to URLs and ARNs")
	fs.StringVar(&f.topicPrefix, "topic-prefix", "", "topic name `prefix`, removed from the topics shown")
	fs.IntVar(&f.max, "n", 0, "stop after printing `N` messages (0: no limit)")
	fs.BoolVar(&f.follow, "follow", false, "keep waiting for new messages until interrupted, instead of stopping when the queue has none. An interrupt lets the receive in progress end (at most -wait) and gives back what it got")
	fs.DurationVar(&f.wait, "wait", 2*time.Second, "long-poll `time` of each receive, whole seconds up to 20s; without -follow, tail stops after a receive that long finds nothing")
	fs.DurationVar(&f.hold, "hold", 5*time.Minute, "`time` the printed messages stay invisible to other consumers while tail runs, whole seconds up to 12h; when tail ends they are made visible again at once")
	fs.BoolVar(&f.delete, "delete", false, "delete the messages once printed. Without it they are left on the queue, but each receive still counts toward the queue's maxReceiveCount, so a message near its limit may move to the dead-letter queue")
	fs.BoolVar(&f.json, "json", false, "print one JSON object a line: id, topic, attributes, data, envelope metadata, receive count")
	fs.StringVar(&f.envelope, "envelope", "auto", "`envelope` to open the payload with: auto (JSON base, then protobuf base, then raw), json, protobuf or raw")
	return concisely(func(ctx context.Context, args []string, stdout io.Writer) error {
		if len(args) != 1 {
			return usagef("want one QUEUE, got %d arguments", len(args))
		}
		if err := f.check(); err != nil {
			return err
		}
		s, err := aws.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		url, err := provision.LookupQueue(ctx, s.sqs, provision.Naming{QueuePrefix: f.queuePrefix}, args[0])
		if err != nil {
			return fmt.Errorf("queue %q: %w", args[0], err)
		}
		t := &tail{flags: f, sqs: s.sqs, url: url, out: stdout, held: map[string]string{}}
		return t.run(ctx)
	})
}

func (f *tailFlags) check() error {
	switch {
	case f.max < 0:
		return usagef("-n %d: want 0 (no limit) or more", f.max)
	case f.wait < 0 || f.wait > 20*time.Second || f.wait%time.Second != 0:
		return usagef("-wait %v: want whole seconds from 0 to 20s", f.wait)
	case f.hold < time.Second || f.hold > 12*time.Hour || f.hold%time.Second != 0:
		return usagef("-hold %v: want whole seconds from 1s to 12h", f.hold)
	}
	switch f.envelope {
	case "auto", "json", "protobuf", "raw":
		return nil
	}
	return usagef("-envelope %q: want auto, json, protobuf or raw", f.envelope)
}

// sqsTail is what tail calls on SQS.
type sqsTail interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, optFns ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
}

// tail is one run of `sqsflow tail`.
type tail struct {
	flags   *tailFlags
	sqs     sqsTail
	url     string
	out     io.Writer
	printed int
	// held maps the ids of the messages printed and not deleted to their
	// latest receipt handles, to make them visible again at the end.
	held map[string]string
}

// cleanupTimeout bounds the calls that release or delete messages after
// tail was interrupted.
const cleanupTimeout = 30 * time.Second

func (t *tail) run(ctx context.Context) (err error) {
	defer func() {
		// Give back what was held even when interrupted.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		if rerr := t.release(rctx); rerr != nil && err == nil {
			err = rerr
		}
		if err == nil && !t.flags.json {
			err = t.summary()
		}
	}()
	for t.flags.max == 0 || t.printed < t.flags.max {
		if ctx.Err() != nil {
			return nil // interrupted: a normal way to stop tailing
		}
		n := int32(10)
		if t.flags.max > 0 {
			n = int32(min(10, t.flags.max-t.printed))
		}
		// The receive is not cancelled with ctx: SQS may still hand the
		// messages of an abandoned long poll to it, and they would stay
		// hidden for -hold. An interrupt waits for it instead (at most
		// -wait), and what it got is given back unprinted.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), t.flags.wait+cleanupTimeout)
		out, err := t.sqs.ReceiveMessage(rctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(t.url),
			MaxNumberOfMessages:         n,
			WaitTimeSeconds:             int32(t.flags.wait / time.Second),
			VisibilityTimeout:           int32(t.flags.hold / time.Second),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		cancel()
		if err != nil {
			return fmt.Errorf("receive from %s: %w", t.url, err)
		}
		fresh := make([]sqstypes.Message, 0, len(out.Messages))
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			if _, seen := t.held[id]; seen || ctx.Err() != nil {
				// Received again after its hold ran out, or after an
				// interrupt: held, to be given back, and not printed.
				t.held[id] = aws.ToString(m.ReceiptHandle)
				continue
			}
			fresh = append(fresh, m)
		}
		if len(out.Messages) == 0 && !t.flags.follow {
			return nil
		}
		for _, m := range fresh {
			if err := t.print(m); err != nil {
				return err
			}
			t.printed++
			t.held[aws.ToString(m.MessageId)] = aws.ToString(m.ReceiptHandle)
		}
		if t.flags.delete && len(fresh) > 0 {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			err := t.deletePrinted(dctx, fresh)
			cancel()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// deletePrinted deletes messages tail printed.
func (t *tail) deletePrinted(ctx context.Context, msgs []sqstypes.Message) error {
	entries := make([]sqstypes.DeleteMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		delete(t.held, aws.ToString(m.MessageId))
	}
	out, err := t.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(t.url), Entries: entries})
	if err != nil {
		return fmt.Errorf("delete from %s: %w", t.url, err)
	}
	if len(out.Failed) > 0 {
		f := out.Failed[0]
		return fmt.Errorf("delete from %s: %d of %d messages were not deleted: %s: %s", t.url, len(out.Failed), len(msgs), aws.ToString(f.Code), aws.ToString(f.Message))
	}
	return nil
}

// release makes the held messages visible again, ten at a time.
func (t *tail) release(ctx context.Context) error {
	ids := make([]string, 0, len(t.held))
	for id := range t.held {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var errs []error
	for start := 0; start < len(ids); start += 10 {
		batch := ids[start:min(start+10, len(ids))]
		entries := make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, len(batch))
		for i, id := range batch {
			entries[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(t.held[id]), VisibilityTimeout: 0}
		}
		out, err := t.sqs.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(t.url), Entries: entries})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range out.Failed {
			// A message whose hold ran out and that another consumer has
			// taken since cannot be released by tail, and need not be.
			if code := aws.ToString(f.Code); code != "ReceiptHandleIsInvalid" && !strings.Contains(code, "MessageNotInflight") {
				errs = append(errs, fmt.Errorf("%s: %s", code, aws.ToString(f.Message)))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("make the printed messages visible again on %s: %w", t.url, errors.Join(errs...))
	}
	return nil
}

// summary ends the text output with what happened to the messages.
func (t *tail) summary() error {
	var what string
	switch {
	case t.printed == 0:
		what = "no messages"
	case t.flags.delete:
		what = fmt.Sprintf("%d %s printed and deleted", t.printed, plural(t.printed, "message"))
	default:
		what = fmt.Sprintf("%d %s printed and left on the queue", t.printed, plural(t.printed, "message"))
	}
	_, err := fmt.Fprintf(t.out, "-- %s\n", what)
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// shown is a message as tail shows it; its JSON form is a line of -json.
type shown struct {
	ID           string         `json:"id"`
	ReceiveCount int            `json:"receive_count,omitempty"`
	Sent         string         `json:"sent,omitempty"`
	GroupID      string         `json:"group_id,omitempty"`
	DedupID      string         `json:"dedup_id,omitempty"`
	Topic        string         `json:"topic,omitempty"`
	TopicARN     string         `json:"topic_arn,omitempty"`
	SNSMessageID string         `json:"sns_message_id,omitempty"`
	Subject      string         `json:"subject,omitempty"`
	Attributes   map[string]any `json:"attributes,omitempty"`
	Envelope     *shownEnvelope `json:"envelope,omitempty"`
	// Data is the data as JSON when it is JSON, else as a JSON string when
	// it is text; DataBase64 holds protobuf data and data that is not text.
	Data       json.RawMessage `json:"data,omitempty"`
	DataBase64 string          `json:"data_base64,omitempty"`
	// Error says why the message could not be unwrapped or opened; Body is
	// then the SQS message body as received.
	Error string `json:"error,omitempty"`
	Body  string `json:"body,omitempty"`
}

type shownEnvelope struct {
	ProtocolVersion string  `json:"protocol_version,omitempty"`
	MessageUUID     string  `json:"message_uuid,omitempty"`
	Topic           string  `json:"topic,omitempty"`
	DataEncoding    string  `json:"data_encoding,omitempty"`
	ServiceName     string  `json:"service_name,omitempty"`
	ServiceUUID     string  `json:"service_uuid,omitempty"`
	Timestamp       float64 `json:"timestamp,omitempty"`
}

// decode unwraps and opens m.
func (t *tail) decode(m sqstypes.Message) shown {
	sys := m.Attributes
	s := shown{ID: aws.ToString(m.MessageId), GroupID: sys["MessageGroupId"], DedupID: sys["MessageDeduplicationId"]}
	s.ReceiveCount, _ = strconv.Atoi(sys["ApproximateReceiveCount"])
	if ms, err := strconv.ParseInt(sys["SentTimestamp"], 10, 64); err == nil {
		s.Sent = time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	body := aws.ToString(m.Body)
	d, err := envelope.Unwrap(body, attrconv.FromSQS(m.MessageAttributes), envelope.UnwrapOptions{TopicPrefix: t.flags.topicPrefix})
	if err != nil {
		s.Error, s.Body = err.Error(), body
		return s
	}
	s.Topic, s.TopicARN, s.SNSMessageID, s.Subject, s.Attributes = d.Topic, d.TopicARN, d.SNSMessageID, d.Subject, d.Attributes
	opened, err := openPayload(t.flags.envelope, d.Payload)
	if err != nil {
		s.Error, s.Body = err.Error(), body
		return s
	}
	if md := opened.Meta; md != (envelope.Metadata{}) {
		s.Envelope = &shownEnvelope{
			ProtocolVersion: md.ProtocolVersion, MessageUUID: md.MessageUUID, Topic: md.Topic, DataEncoding: md.DataEncoding,
			ServiceName: md.ServiceName, ServiceUUID: md.ServiceUUID, Timestamp: md.Timestamp,
		}
	}
	switch data := opened.Data; {
	case strings.Contains(opened.Meta.ProtocolVersion, "protobuf"):
		s.DataBase64 = base64.StdEncoding.EncodeToString(data) // a serialized message
	case json.Valid(data):
		s.Data = data
	case utf8.Valid(data):
		s.Data, _ = json.Marshal(string(data))
	default:
		s.DataBase64 = base64.StdEncoding.EncodeToString(data)
	}
	return s
}

// openPayload opens a payload with the envelope named by how ("auto" tries
// the JSON base, the protobuf base, and then takes the payload as raw data).
func openPayload(how, payload string) (envelope.Opened, error) {
	switch how {
	case "json":
		return envelope.JSON(envelope.Service{}).Open(payload)
	case "protobuf":
		return envelope.Protobuf(envelope.Service{}).Open(payload)
	case "raw":
		return envelope.Raw.Open(payload)
	}
	if o, err := (&envelope.JSONBase{}).Open(payload); err == nil && o.Meta.ProtocolVersion != "" {
		return o, nil
	}
	if o, err := (&envelope.ProtobufBase{}).Open(payload); err == nil && strings.Contains(o.Meta.ProtocolVersion, "protobuf") {
		return o, nil
	}
	return envelope.Raw.Open(payload)
}

// print writes one message as text or as a JSON line.
func (t *tail) print(m sqstypes.Message) error {
	s := t.decode(m)
	if t.flags.json {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		_, err = t.out.Write(append(b, '\n'))
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "message %s", s.ID)
	if s.ReceiveCount > 0 {
		fmt.Fprintf(&b, "  receive count %d", s.ReceiveCount)
	}
	if s.Sent != "" {
		fmt.Fprintf(&b, "  sent %s", s.Sent)
	}
	b.WriteByte('\n')
	if s.GroupID != "" {
		fmt.Fprintf(&b, "  fifo:       group %s, dedup %s\n", s.GroupID, s.DedupID)
	}
	if s.TopicARN != "" {
		fmt.Fprintf(&b, "  topic:      %s (%s)\n", s.Topic, s.TopicARN)
	}
	if s.Subject != "" {
		fmt.Fprintf(&b, "  subject:    %s\n", s.Subject)
	}
	if e := s.Envelope; e != nil {
		fmt.Fprintf(&b, "  envelope:   %s, uuid %s, service %s (%s)", e.ProtocolVersion, e.MessageUUID, e.ServiceName, e.ServiceUUID)
		if ts := (envelope.Metadata{Timestamp: e.Timestamp}).Time(); !ts.IsZero() {
			fmt.Fprintf(&b, ", sealed %s", ts.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		b.WriteByte('\n')
	}
	if len(s.Attributes) > 0 {
		b.WriteString("  attributes:")
		for _, kv := range sortedAttributes(s.Attributes) {
			b.WriteString(" " + kv)
		}
		b.WriteByte('\n')
	}
	switch {
	case s.Error != "":
		fmt.Fprintf(&b, "  error:      %s\n  body:       %s\n", s.Error, s.Body)
	case s.DataBase64 != "":
		fmt.Fprintf(&b, "  data:       (binary, base64) %s\n", s.DataBase64)
	default:
		fmt.Fprintf(&b, "  data:       %s\n", textData(s.Data))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(t.out, b.String())
	return err
}

// textData shows data in text output: a JSON string as its text, other
// JSON as it is.
func textData(data json.RawMessage) string {
	var s string
	if json.Unmarshal(data, &s) == nil {
		return s
	}
	return string(data)
}

// sortedAttributes formats attributes as name=value, sorted by name, with
// values in JSON so their types show ("EUR" is a string, 5 a number).
func sortedAttributes(attrs map[string]any) []string {
	out := make([]string, 0, len(attrs))
	for name, v := range attrs {
		b, err := json.Marshal(v)
		if err != nil {
			b = []byte(fmt.Sprintf("%v", v))
		}
		out = append(out, name+"="+string(b))
	}
	sort.Strings(out)
	return out
}
