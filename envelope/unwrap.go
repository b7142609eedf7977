package envelope

import (
	"errors"
	"fmt"

	"github.com/sqsflow/sqsflow/internal/naming"
)

// MaxBody is the default limit on the size of an SQS body given to Unwrap:
// 1 MiB, the SQS message size limit.
const MaxBody = 1 << 20

// UnwrapMode says which body forms Unwrap accepts.
type UnwrapMode int

const (
	// ModeAuto, the default, accepts SNS notifications, tomodachi's
	// Type "Message" bodies and raw deliveries: a body that is a JSON object
	// with Type "Notification" or "Message" is unwrapped, and any other body
	// (other JSON, or not JSON at all) is the payload itself.
	ModeAuto UnwrapMode = iota
	// ModeWrapped accepts only bodies with a "Message" member, as tomodachi
	// does (it cannot consume raw deliveries); anything else is an error.
	ModeWrapped
	// ModeRaw takes every body as the payload, as with SNS raw message
	// delivery or messages sent straight to the queue without a wrapper.
	ModeRaw
)

// String returns "auto", "wrapped" or "raw".
func (m UnwrapMode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeWrapped:
		return "wrapped"
	case ModeRaw:
		return "raw"
	}
	return fmt.Sprintf("UnwrapMode(%d)", int(m))
}

// UnwrapOptions configure Unwrap. The zero value is ModeAuto, no topic
// prefix and a MaxBody limit.
type UnwrapOptions struct {
	// TopicPrefix is removed from the start of topic names taken from
	// TopicArn, as tomodachi's aws_sns_sqs.topic_prefix option.
	TopicPrefix string
	// Mode says which body forms are accepted.
	Mode UnwrapMode
	// MaxBody is the largest body accepted, in bytes; 0 means MaxBody.
	MaxBody int
}

// Delivery is a message taken off a queue, unwrapped: the payload an
// envelope opens, and what the wrapper said about it.
type Delivery struct {
	// Payload is what the envelope opens: the SNS notification's "Message",
	// the "Message" of a tomodachi Type "Message" body, or the raw body.
	Payload string
	// Body is the SQS message body as received.
	Body string
	// Type is the body's "Type": "Notification", "Message", or "" for a
	// raw delivery.
	Type string
	// TopicARN is the notification's TopicArn ("" if not a notification).
	TopicARN string
	// Topic is the topic name from TopicARN, decoded from tomodachi's
	// encoding, with the prefix removed and a ".fifo" suffix kept, exactly
	// the topic a tomodachi handler sees ("" if not a notification).
	Topic string
	// SNSMessageID is the notification's MessageId ("" if not a notification).
	SNSMessageID string
	// Timestamp is the body's "Timestamp" as written (ISO 8601 UTC with
	// milliseconds), "" for a raw delivery.
	Timestamp string
	// Subject is the notification's Subject, if any.
	Subject string
	// Attributes are the decoded message attributes (see DecodeAttributes):
	// the SQS message's own when it has any, otherwise the body's, as
	// tomodachi chooses. Nil when there are none.
	Attributes map[string]any
}

// Unwrap takes apart an SQS message: body is its Body and sqsAttrs its
// message attributes. Bad input (see UnwrapMode for what each mode accepts, a
// wrapper with a missing or empty Message, attributes that do not decode, a
// body over the size limit) is an [*Error] with Op "unwrap".
func Unwrap(body string, sqsAttrs map[string]Attribute, opts UnwrapOptions) (Delivery, error) {
	const op = "unwrap"
	limit := opts.MaxBody
	if limit <= 0 {
		limit = MaxBody
	}
	if len(body) > limit {
		return Delivery{}, newError(op, "", ErrTooLarge, fmt.Errorf("body is %d bytes, limit %d", len(body), limit))
	}
	d := Delivery{Body: body, Payload: body}
	var bodyAttrs map[string]Attribute
	switch opts.Mode {
	case ModeRaw:
	case ModeAuto, ModeWrapped:
		w, err := scanWrapper(body, len(sqsAttrs) == 0)
		if err != nil {
			if opts.Mode == ModeWrapped || w.wrapped() {
				return Delivery{}, withOp(err, op)
			}
			break // not a wrapper: a raw delivery
		}
		if opts.Mode == ModeAuto && !w.wrapped() {
			break
		}
		if !w.hasMessage || w.message == "" {
			return Delivery{}, newError(op, "Message", ErrNoMessage, nil)
		}
		d.Payload = w.message
		d.Type = w.typ
		d.Timestamp = w.timestamp
		d.Subject = w.subject
		if w.typ == "Notification" && w.topicARN != "" {
			d.TopicARN = w.topicARN
			d.Topic = naming.TopicFromARN(w.topicARN, opts.TopicPrefix)
			d.SNSMessageID = w.messageID
		}
		bodyAttrs = w.attrs
	default:
		return Delivery{}, newError(op, "", ErrUnsupportedValue, fmt.Errorf("unknown mode %v", opts.Mode))
	}
	attrs := sqsAttrs
	if len(attrs) == 0 {
		attrs = bodyAttrs
	}
	if len(attrs) > 0 {
		decoded, err := DecodeAttributes(attrs)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Op = op
			}
			return Delivery{}, err
		}
		d.Attributes = decoded
	}
	return d, nil
}

// wrapper is what scanWrapper found in a body.
type wrapper struct {
	typ, message, topicARN, messageID, timestamp, subject string
	hasMessage                                            bool
	attrs                                                 map[string]Attribute
}

// wrapped reports whether the body says it is a notification or a tomodachi
// Type "Message" body.
func (w wrapper) wrapped() bool { return w.typ == "Notification" || w.typ == "Message" }

// scanWrapper reads the members of body that Unwrap needs in one pass. It
// reads MessageAttributes only if wantAttrs.
func scanWrapper(body string, wantAttrs bool) (wrapper, error) {
	var w wrapper
	sc := scanner{s: body}
	if sc.peek() != '{' {
		return w, notObject("", "", &sc)
	}
	err := sc.object(0, func(key string) error {
		var err error
		switch key {
		case "Type":
			w.typ, err = sc.stringOrNull("Type")
		case "Message":
			if sc.peek() == '"' {
				w.hasMessage = true
			}
			w.message, err = sc.stringOrNull("Message")
		case "TopicArn":
			w.topicARN, err = sc.stringOrNull("TopicArn")
		case "MessageId":
			w.messageID, err = sc.stringOrNull("MessageId")
		case "Timestamp":
			w.timestamp, err = sc.stringOrNull("Timestamp")
		case "Subject":
			w.subject, err = sc.stringOrNull("Subject")
		case "MessageAttributes":
			if wantAttrs {
				w.attrs, err = sc.bodyAttributes()
			} else {
				_, err = sc.value(1)
			}
		default:
			_, err = sc.value(1)
		}
		return err
	})
	if err == nil {
		err = sc.end()
	}
	if err != nil {
		return w, fieldOrSyntax("", err)
	}
	return w, nil
}
