package source

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/provision"
)

// Options configure a source. The zero value of every field is a sensible
// default, documented on the field; most users set only Queue, FilterPolicy
// and DeadLetter.
type Options struct {
	// AWS is the SDK configuration (region, credentials, endpoint). When it
	// has no region, the source loads the default configuration chain
	// (environment, shared config, instance role) when the pipeline starts;
	// AWS_ENDPOINT_URL is honoured by the SDK.
	AWS aws.Config
	// SQS, SNS and STS, when set, are used instead of clients made from AWS,
	// for example to inject failures in tests.
	SQS awsiface.SQS
	SNS awsiface.SNS
	STS awsiface.STS

	// Naming holds the topic and queue name prefixes, as tomodachi's
	// aws_sns_sqs.topic_prefix and queue_name_prefix options.
	Naming provision.Naming

	// Queue names the queue: a name (the queue prefix is prepended), a queue
	// URL or an SQS ARN (used as they are; the queue must exist). Empty: the
	// name tomodachi derives from the topic.
	Queue string
	// NonCompeting, for a queue named from the topic, gives one consumer a
	// queue of its own (tomodachi's competing=False) instead of one queue
	// that every instance of the service competes on, which is sqsflow's
	// default. tomodachi hashes the handler's name and the service's uuid
	// into the queue name; both must be set and stable across restarts.
	NonCompeting provision.NonCompeting
	// FIFO consumes a FIFO topic and queue (names end in ".fifo"). Order
	// within a message group is kept when the pipeline uses stage.KeyedMap
	// with stage.ByGroup, as long as nothing fails; StrictOrder keeps it
	// across failures too.
	FIFO bool
	// StrictOrder keeps each message group in order even when messages
	// fail: a group has one message in the pipeline at a time, the next one
	// entering only once the one before it has finished. When one is to be
	// retried, the messages received behind it go back to the queue with
	// it, so the group is received again in its order. Dead-lettered,
	// discarded and (DeleteOnError) deleted messages let the next one go.
	// It applies to messages with a group id (FIFO queues); a group's
	// messages are then handled one after another, so throughput comes
	// from many groups, not from one.
	StrictOrder bool

	// Provision says whether the source creates and configures its queue,
	// dead-letter queue, topic and subscription before it starts (the
	// default), or only looks the queue up (ProvisionOff), for services whose
	// infrastructure is managed elsewhere.
	Provision ProvisionMode
	// FilterPolicy is the subscription's filter policy, for example
	// provision.Set(provision.FilterPolicy{"currency": []string{"EUR", "USD"}}).
	FilterPolicy provision.Setting[provision.FilterPolicy]
	// FilterPolicyScope is provision.MessageAttributes (AWS's default) or
	// provision.MessageBody.
	FilterPolicyScope provision.Setting[provision.FilterPolicyScope]
	// RawMessageDelivery delivers the published message itself instead of an
	// SNS notification wrapping it. The source reads both forms; tomodachi
	// consumers of the same queue read only wrapped ones.
	RawMessageDelivery provision.Setting[bool]
	// VisibilityTimeout is the queue's visibility timeout. The source also
	// receives messages with it, and its heartbeat keeps slow messages
	// invisible. Left as is, the queue's current value is read at start.
	VisibilityTimeout provision.Setting[time.Duration]
	// DeadLetter configures the queue's redrive policy: after
	// MaxReceiveCount receives a message moves to the dead-letter queue.
	DeadLetter provision.Setting[provision.DeadLetter]
	// KMSKey and KMSDataKeyReuse configure server-side encryption of the
	// queue (tomodachi's sqs_kms_master_key_id and
	// sqs_kms_data_key_reuse_period); TopicKMSKey that of the topic
	// (sns_kms_master_key_id).
	KMSKey          provision.Setting[string]
	KMSDataKeyReuse provision.Setting[time.Duration]
	TopicKMSKey     provision.Setting[string]

	// Receivers is how many long polls run at once (default 2; 1-64).
	Receivers int
	// MaxMessages is the most messages one receive asks for (default 10,
	// SQS's maximum; 1-10).
	MaxMessages int
	// Window bounds the messages received and not yet finished (default
	// 100): the source stops receiving while it is full, so memory is
	// bounded and a slow pipeline slows the source.
	Window int
	// WaitTime is the long-poll wait (default 20s, SQS's maximum).
	WaitTime time.Duration
	// AckLinger is how long a finished message may wait for a full batch of
	// deletes (default 50ms). Deletes and visibility changes go out in
	// batches of up to 10.
	AckLinger time.Duration

	// Backoff sets how long a failed message waits before it is delivered
	// again. Past the redrive policy's MaxReceiveCount, SQS moves it to the
	// dead-letter queue.
	Backoff Backoff
	// OnError says what happens to a message that failed: Retry (the
	// default) returns it to the queue with a backoff; DeleteOnError deletes
	// it, as tomodachi does for any exception other than its
	// InternalServiceError.
	OnError ErrorPolicy
	// OnPermanent says what happens to a message that failed permanently
	// (flow.Permanent, e.g. it cannot be decoded): DeadLetter (the default)
	// sends it to the queue's dead-letter queue at once, Discard deletes it
	// with a log line, Retry treats it as any failure. Without a dead-letter
	// queue, DeadLetter falls back to Retry.
	OnPermanent PoisonPolicy
	// Heartbeat configures the visibility heartbeat.
	Heartbeat Heartbeat

	// Unwrap says which body forms are accepted: SNS notifications,
	// tomodachi's sqs_send_message bodies and raw deliveries (the default,
	// envelope.ModeAuto), only wrapped bodies, or only raw ones.
	Unwrap envelope.UnwrapMode

	// Logger receives the source's log lines (default: the pipeline's).
	Logger *slog.Logger
	// Stats, when set, is kept up to date with the source's counters.
	Stats *Stats
}

// ProvisionMode says whether a source provisions its infrastructure.
type ProvisionMode int

const (
	// ProvisionOn creates and configures the queue, dead-letter queue, topic
	// and subscription before the pipeline starts, idempotently.
	ProvisionOn ProvisionMode = iota
	// ProvisionOff only looks the queue up; nothing is created or changed.
	ProvisionOff
)

// ErrorPolicy says what happens to a failed message.
type ErrorPolicy int

const (
	// Retry returns a failed message to the queue with a backoff.
	Retry ErrorPolicy = iota
	// DeleteOnError deletes a failed message, as tomodachi does.
	DeleteOnError
)

// PoisonPolicy says what happens to a permanently failed message.
type PoisonPolicy int

const (
	// DeadLetter sends it to the dead-letter queue at once.
	DeadLetter PoisonPolicy = iota
	// Discard deletes it, with a log line.
	Discard
	// RetryPoison retries it like any failed message.
	RetryPoison
)

// Heartbeat configures the visibility heartbeat: a message in flight for
// more than half its visibility timeout has its visibility extended, so a
// slow handler does not see it delivered twice.
type Heartbeat struct {
	// Disabled turns the heartbeat off.
	Disabled bool
	// MaxExtension is the longest a message is kept invisible by the
	// heartbeat, counted from its receipt (default 1h, at most 12h): a
	// handler that is stuck cannot hold a message for ever.
	MaxExtension time.Duration
}

// withDefaults returns o with defaults filled in, or an error naming the
// first field out of range.
func (o Options) withDefaults() (Options, error) {
	if o.Receivers == 0 {
		o.Receivers = 2
	}
	if o.MaxMessages == 0 {
		o.MaxMessages = 10
	}
	if o.Window == 0 {
		o.Window = 100
	}
	if o.WaitTime == 0 {
		o.WaitTime = 20 * time.Second
	}
	if o.AckLinger == 0 {
		o.AckLinger = 50 * time.Millisecond
	}
	if o.Heartbeat.MaxExtension == 0 {
		o.Heartbeat.MaxExtension = time.Hour
	}
	o.Backoff.setDefaults()
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(o.Receivers < 1 || o.Receivers > 64, "Receivers %d: must be between 1 and 64", o.Receivers)
	check(o.MaxMessages < 1 || o.MaxMessages > 10, "MaxMessages %d: must be between 1 and 10", o.MaxMessages)
	check(o.Window < 1, "Window %d: must be at least 1", o.Window)
	check(o.WaitTime < time.Second || o.WaitTime > 20*time.Second, "WaitTime %v: must be between 1s and 20s", o.WaitTime)
	check(o.AckLinger < 0 || o.AckLinger > 10*time.Second, "AckLinger %v: must be between 0 and 10s", o.AckLinger)
	check(o.Heartbeat.MaxExtension < 0 || o.Heartbeat.MaxExtension > maxVisibility, "Heartbeat.MaxExtension %v: must be between 0 and 12h", o.Heartbeat.MaxExtension)
	check(o.Provision != ProvisionOn && o.Provision != ProvisionOff, "Provision %d: unknown mode", o.Provision)
	check(o.OnError != Retry && o.OnError != DeleteOnError, "OnError %d: unknown policy", o.OnError)
	check(o.OnPermanent < DeadLetter || o.OnPermanent > RetryPoison, "OnPermanent %d: unknown policy", o.OnPermanent)
	if err := o.Backoff.validate(); err != nil {
		errs = append(errs, err)
	}
	if d, ok := o.VisibilityTimeout.Value(); ok {
		check(d < 0 || d > maxVisibility || d%time.Second != 0, "VisibilityTimeout %v: must be whole seconds between 0 and 12h", d)
	}
	return o, errors.Join(errs...)
}

func (o Options) unwrap() envelope.UnwrapOptions {
	return envelope.UnwrapOptions{TopicPrefix: o.Naming.TopicPrefix, Mode: o.Unwrap}
}
