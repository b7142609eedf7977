package sink

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/provision"
)

// An Option configures a sink, or one call of Publish or Send.
//
// Options that take a function of the value (WithGroupIDFunc and the like)
// are checked against the stream's type when the sink is built; a mismatch
// is a build error that Run returns.
type Option func(*config)

type config struct {
	aws        aws.Config
	sqs        awsiface.SQS
	sns        awsiface.SNS
	sts        awsiface.STS
	naming     provision.Naming
	env        envelope.Envelope
	lookupOnly bool
	fifo       bool
	topicKMS   provision.Setting[string]
	topicAttrs map[string]string
	linger     time.Duration
	inFlight   int
	bareBody   bool
	stats      *Stats

	// Per message: constants, and functions of the value (func(T) X), whose
	// T is checked when the sink is built.
	attrs                                         map[string]any
	groupID, dedupID, subject                     string
	delay                                         time.Duration
	carryFIFO                                     bool
	attrsFn, groupFn, dedupFn, subjectFn, delayFn any

	errs []error
}

func newConfig(opts []Option) *config {
	c := &config{linger: 5 * time.Millisecond, inFlight: 8}
	for _, o := range opts {
		o(c)
	}
	if c.env == nil {
		c.env = envelope.JSON(envelope.Service{})
	}
	if c.stats == nil {
		c.stats = &Stats{}
	}
	return c
}

func (c *config) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// WithAWS sets the SDK configuration (region, credentials, endpoint). Without
// it, or with a configuration that has no region, the default chain is
// loaded when the pipeline starts (AWS_ENDPOINT_URL is honoured).
func WithAWS(cfg aws.Config) Option { return func(c *config) { c.aws = cfg } }

// WithSNSClient, WithSQSClient and WithSTSClient set clients to use instead
// of ones made from the configuration, for example to inject failures.
func WithSNSClient(client awsiface.SNS) Option { return func(c *config) { c.sns = client } }

// WithSQSClient: see WithSNSClient.
func WithSQSClient(client awsiface.SQS) Option { return func(c *config) { c.sqs = client } }

// WithSTSClient: see WithSNSClient.
func WithSTSClient(client awsiface.STS) Option { return func(c *config) { c.sts = client } }

// WithNaming sets the topic and queue prefixes (tomodachi's
// aws_sns_sqs.topic_prefix and queue_name_prefix).
func WithNaming(n provision.Naming) Option { return func(c *config) { c.naming = n } }

// WithEnvelope sets the envelope values are sealed with (default: the JSON
// base envelope, tomodachi-json-base--1.0.0, with a random service uuid).
// Values of type envelope.Sealed are sent as they are.
func WithEnvelope(env envelope.Envelope) Option {
	return func(c *config) {
		if env == nil {
			c.errorf("sink: WithEnvelope(nil)")
			return
		}
		c.env = env
	}
}

// WithLookupOnly makes a publisher only look its topic up, never create it or
// change its attributes, for services that may not call sns:CreateTopic
// (as tomodachi does since 0.28.4).
func WithLookupOnly() Option { return func(c *config) { c.lookupOnly = true } }

// WithFIFO publishes to the FIFO topic (".fifo" is appended to its name).
// Setting a group id (WithGroupID, WithGroupIDFunc, WithSourceFIFOIDs) does
// this too, as in tomodachi.
func WithFIFO() Option { return func(c *config) { c.fifo = true } }

// WithTopicKMSKey sets the KmsMasterKeyId the topic is created or updated
// with (provision.Remove disables encryption).
func WithTopicKMSKey(key provision.Setting[string]) Option {
	return func(c *config) { c.topicKMS = key }
}

// WithTopicAttributes sets further attributes of the topic, applied when it
// is created or when they differ.
func WithTopicAttributes(attrs map[string]string) Option {
	return func(c *config) { c.topicAttrs = attrs }
}

// WithLinger sets how long the first value of a batch may wait for the batch
// to fill (default 5ms; 0 to 1s). Batches of ten go out at once. With 0 a
// batch is what is waiting when the sink gets to it: the least latency, and
// full batches only while every batch in flight is busy (so more requests per
// message at moderate rates).
func WithLinger(d time.Duration) Option {
	return func(c *config) {
		if d < 0 || d > time.Second {
			c.errorf("sink: WithLinger(%v): must be between 0 and 1s", d)
			return
		}
		c.linger = d
	}
}

// WithBatchesInFlight sets how many batch requests may be in flight at once
// (default 8; FIFO targets always use 1, to keep the order of each group).
func WithBatchesInFlight(n int) Option {
	return func(c *config) {
		if n < 1 || n > 256 {
			c.errorf("sink: WithBatchesInFlight(%d): must be between 1 and 256", n)
			return
		}
		c.inFlight = n
	}
}

// WithBareBody sends the sealed envelope as the SQS message body, instead of
// the {"Type": "Message", ...} body that tomodachi's sqs_send_message writes
// and its consumers expect.
func WithBareBody() Option { return func(c *config) { c.bareBody = true } }

// WithStats makes the sink keep s up to date.
func WithStats(s *Stats) Option { return func(c *config) { c.stats = s } }

// WithAttributes sets message attributes sent with every message (encoded as
// tomodachi encodes Python values; see envelope.EncodeAttributes).
func WithAttributes(attrs map[string]any) Option { return func(c *config) { c.attrs = attrs } }

// WithAttributesFunc sets a function that returns each value's message
// attributes (merged over WithAttributes).
func WithAttributesFunc[T any](fn func(T) map[string]any) Option {
	return func(c *config) { c.attrsFn = fn }
}

// WithGroupID sets the FIFO message group id of every message, making the
// target FIFO.
func WithGroupID(id string) Option { return func(c *config) { c.groupID = id } }

// WithGroupIDFunc sets a function that returns each value's FIFO message
// group id, making the target FIFO.
func WithGroupIDFunc[T any](fn func(T) string) Option { return func(c *config) { c.groupFn = fn } }

// WithDedupID sets the FIFO deduplication id (default: a random uuid per
// message, as tomodachi; constant ids are only useful for single sends).
func WithDedupID(id string) Option { return func(c *config) { c.dedupID = id } }

// WithDedupIDFunc sets a function that returns each value's FIFO
// deduplication id.
func WithDedupIDFunc[T any](fn func(T) string) Option { return func(c *config) { c.dedupFn = fn } }

// WithSourceFIFOIDs carries the group id of the message each value came
// from over to what is published (and its deduplication id, when it had
// one), so a FIFO pipeline keeps its groups end to end.
func WithSourceFIFOIDs() Option { return func(c *config) { c.carryFIFO = true } }

// WithSubject sets the SNS Subject of every message.
func WithSubject(s string) Option { return func(c *config) { c.subject = s } }

// WithSubjectFunc sets a function that returns each value's SNS Subject.
func WithSubjectFunc[T any](fn func(T) string) Option { return func(c *config) { c.subjectFn = fn } }

// WithDelay delays the delivery of every message sent to SQS (0 to 15m; not
// for FIFO queues).
func WithDelay(d time.Duration) Option {
	return func(c *config) {
		if d < 0 || d > 15*time.Minute {
			c.errorf("sink: WithDelay(%v): must be between 0 and 15m", d)
			return
		}
		c.delay = d
	}
}

// WithDelayFunc sets a function that returns each value's SQS delivery delay.
func WithDelayFunc[T any](fn func(T) time.Duration) Option { return func(c *config) { c.delayFn = fn } }

// fifoWanted reports whether the options ask for a FIFO target.
func (c *config) fifoWanted() bool {
	return c.fifo || c.groupID != "" || c.groupFn != nil || c.carryFIFO
}

// valueFuncs are the per-value functions, checked against T.
type valueFuncs[T any] struct {
	attrs                 func(T) map[string]any
	group, dedup, subject func(T) string
	delay                 func(T) time.Duration
}

func funcsFor[T any](c *config) (valueFuncs[T], error) {
	var f valueFuncs[T]
	var errs []error
	take := func(name string, v any, dst any) {
		if v == nil {
			return
		}
		dv := reflect.ValueOf(dst).Elem()
		if !reflect.TypeOf(v).AssignableTo(dv.Type()) {
			errs = append(errs, fmt.Errorf("sink: %s takes a %v, not a %T, for a stream of %v", name, dv.Type(), v, reflect.TypeFor[T]()))
			return
		}
		dv.Set(reflect.ValueOf(v))
	}
	take("WithAttributesFunc", c.attrsFn, &f.attrs)
	take("WithGroupIDFunc", c.groupFn, &f.group)
	take("WithDedupIDFunc", c.dedupFn, &f.dedup)
	take("WithSubjectFunc", c.subjectFn, &f.subject)
	take("WithDelayFunc", c.delayFn, &f.delay)
	if len(errs) > 0 {
		return f, errors.Join(errs...)
	}
	return f, nil
}
