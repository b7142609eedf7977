package provision

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/internal/naming"
)

// Clients are the AWS clients provisioning uses. *sqs.Client, *sns.Client and
// *sts.Client satisfy the interfaces.
type Clients struct {
	SQS awsiface.SQS
	SNS awsiface.SNS // needed when a spec subscribes to a topic, and by EnsureTopic
	STS awsiface.STS // optional; needed by EnsureTopic with LookupOnly
	// Region is the AWS region of the SNS client, used to build topic ARNs for
	// lookups. When empty it is taken from the SNS client if it has an
	// Options() method, as *sns.Client does.
	Region string
}

// Naming holds the prefixes tomodachi's options aws_sns_sqs.topic_prefix and
// aws_sns_sqs.queue_name_prefix hold. Services that share topics and queues
// must use the same prefixes.
type Naming struct {
	TopicPrefix string // prepended to every topic name before encoding
	QueuePrefix string // prepended to queue and dead-letter queue names (not to ARNs or URLs)
}

// TopicName returns the SNS topic name for topic: the prefixed topic, encoded
// as tomodachi encodes it, with ".fifo" appended for FIFO topics.
func (n Naming) TopicName(topic string, fifo bool) string {
	return naming.TopicName(n.TopicPrefix, topic, fifo)
}

// Spec describes one queue and, optionally, its subscription to a topic:
// what a tomodachi @aws_sns_sqs handler provisions.
type Spec struct {
	Naming       Naming
	Queue        Queue
	Subscription Subscription // zero value: no subscription (a queue that senders write to directly)
}

// NonCompeting identifies the consumer whose queue an automatically named,
// non-competing queue belongs to: tomodachi hashes the handler's function name
// and the service's uuid into the queue name. Both fields must be set, and the
// service uuid must be stable across restarts, or every start gets a new queue.
type NonCompeting struct {
	Handler     string
	ServiceUUID string
}

// Queue describes the SQS queue.
type Queue struct {
	// Name is the queue: a plain name (Naming.QueuePrefix is prepended; created
	// if missing), or the ARN or URL of an existing queue (never created, never
	// prefixed). Empty: the name tomodachi generates from Subscription.Topic.
	Name string
	// NonCompeting, for automatically named queues, gives one consumer a queue of
	// its own. The zero value names the queue by the topic only, so every
	// consumer of the topic competes for its messages (sqsflow's default;
	// tomodachi's default is non-competing).
	NonCompeting NonCompeting
	// FIFO asks for a FIFO queue (and a FIFO topic). An explicit Name must end
	// in ".fifo" exactly when FIFO is set; automatic names get the suffix.
	FIFO bool
	// VisibilityTimeout, whole seconds from 0 to 12h. Remove restores AWS's
	// default of 30s.
	VisibilityTimeout Setting[time.Duration]
	// DeadLetter is the redrive policy. Remove removes the redrive policy
	// (the dead-letter queue itself is left alone).
	DeadLetter Setting[DeadLetter]
	// KMSKey is the queue's KmsMasterKeyId (SSE-KMS). Remove disables SSE-KMS.
	KMSKey Setting[string]
	// KMSDataKeyReuse is KmsDataKeyReusePeriodSeconds, whole seconds from 1m to
	// 24h. Remove restores AWS's default of 5m.
	KMSDataKeyReuse Setting[time.Duration]
}

// DeadLetter is a queue's redrive policy.
type DeadLetter struct {
	// Queue is the dead-letter queue: a plain name (Naming.QueuePrefix is
	// prepended; created if missing with a 14-day retention period and the
	// main queue's FIFO setting), or the ARN of an existing queue.
	Queue string
	// MaxReceiveCount is how many times a message is received before SQS moves
	// it to the dead-letter queue: 1 to 1000.
	MaxReceiveCount int
}

// FilterPolicy is an SNS subscription filter policy, as it is written in JSON.
type FilterPolicy map[string]any

// FilterPolicyScope says what a filter policy applies to.
type FilterPolicyScope string

// The filter policy scopes SNS supports.
const (
	MessageAttributes FilterPolicyScope = "MessageAttributes" // AWS's default
	MessageBody       FilterPolicyScope = "MessageBody"
)

// Subscription subscribes the queue to a topic.
type Subscription struct {
	// Topic is the topic as the user writes it, without Naming.TopicPrefix. A
	// topic containing '*' (one dot-separated segment) or '#' (any characters)
	// is a pattern: the queue is subscribed to every existing topic it matches,
	// on every ListTopics page. Its FIFO setting follows Queue.FIFO. Empty: no
	// subscription.
	Topic string
	// TopicKMSKey is the topic's KmsMasterKeyId. Remove disables encryption.
	// Not allowed with a pattern (matched topics are not modified).
	TopicKMSKey Setting[string]
	// FilterPolicy is the subscription's filter policy, applied to every
	// matched topic's subscription. Remove removes it (sets "{}").
	FilterPolicy Setting[FilterPolicy]
	// FilterPolicyScope; Remove restores the default, MessageAttributes.
	FilterPolicyScope Setting[FilterPolicyScope]
	// RawMessageDelivery; Remove turns it off (AWS's default, and what
	// tomodachi consumers expect).
	RawMessageDelivery Setting[bool]
	// LeaveQueuePolicy leaves the queue's access policy as it is. By default
	// the policy is rewritten, when its statements differ, to let exactly the
	// subscribed topics send to the queue; without it SNS cannot deliver.
	LeaveQueuePolicy bool
}

// Limits checked by Validate; they are AWS's.
const (
	MaxVisibilityTimeout = 12 * time.Hour
	MinKMSDataKeyReuse   = time.Minute
	MaxKMSDataKeyReuse   = 24 * time.Hour
	MaxMaxReceiveCount   = 1000
)

// Attribute values provisioning writes.
const (
	dlqRetentionSeconds   = "1209600" // 14 days, as tomodachi creates dead-letter queues
	defaultVisibility     = "30"      // AWS's default VisibilityTimeout, restored by Remove
	defaultDataKeyReuse   = "300"     // AWS's default KmsDataKeyReusePeriodSeconds, restored by Remove
	emptyFilterPolicyJSON = "{}"      // removes a filter policy (AWS documents "{}")
)

// Validate checks the spec without calling AWS and returns a *SpecError
// naming the first invalid field and the allowed values, or a
// *FIFOMismatchError when a name and the FIFO flag disagree.
func (s Spec) Validate() error {
	_, err := s.plan()
	return err
}

// QueueName returns the name of the queue the spec describes: the prefixed
// explicit name, the name in an ARN or URL, or the name tomodachi generates.
func (s Spec) QueueName() (string, error) {
	p, err := s.plan()
	if err != nil {
		return "", err
	}
	return p.queue.Name, nil
}

// plan is a validated spec with names resolved.
type plan struct {
	spec     Spec
	queue    naming.QueueRef // Name is the full (prefixed) name for RefName
	dlq      naming.QueueRef // Kind 0 when no dead-letter queue is set
	topic    string          // SNS name or encoded pattern; "" without subscription
	wildcard bool
	policy   string // filter policy JSON when set
}

func specErr(field, format string, args ...any) error {
	return &SpecError{Field: field, Detail: fmt.Sprintf(format, args...)}
}

func (s Spec) plan() (plan, error) {
	p := plan{spec: s}
	q, sub := s.Queue, s.Subscription
	if sub.Topic != "" {
		p.wildcard = naming.IsWildcard(sub.Topic)
		if p.wildcard {
			if err := naming.ValidateTopicPattern(sub.Topic); err != nil {
				return p, &SpecError{Field: "Subscription.Topic", Err: err}
			}
			if !sub.TopicKMSKey.IsLeave() {
				return p, specErr("Subscription.TopicKMSKey", "must be left as it is for a topic pattern (%q); matched topics are not modified", sub.Topic)
			}
		} else {
			if err := naming.ValidateTopic(sub.Topic); err != nil {
				return p, &SpecError{Field: "Subscription.Topic", Err: err}
			}
			if strings.HasSuffix(sub.Topic, naming.FIFOSuffix) && !q.FIFO {
				return p, &FIFOMismatchError{Resource: "topic", Name: sub.Topic, IsFIFO: true, WantFIFO: false, ByName: true}
			}
		}
		p.topic = s.Naming.TopicName(sub.Topic, q.FIFO)
		if n := len([]rune(p.topic)); n > naming.MaxTopicLength {
			return p, specErr("Subscription.Topic", "SNS topic name %q (prefix and encoding included) is %d characters long; at most %d are allowed", p.topic, n, naming.MaxTopicLength)
		}
	} else {
		switch {
		case !sub.TopicKMSKey.IsLeave():
			return p, specErr("Subscription.TopicKMSKey", "is %s but Subscription.Topic is empty", sub.TopicKMSKey)
		case !sub.FilterPolicy.IsLeave():
			return p, specErr("Subscription.FilterPolicy", "is %s but Subscription.Topic is empty", sub.FilterPolicy)
		case !sub.FilterPolicyScope.IsLeave():
			return p, specErr("Subscription.FilterPolicyScope", "is %s but Subscription.Topic is empty", sub.FilterPolicyScope)
		case !sub.RawMessageDelivery.IsLeave():
			return p, specErr("Subscription.RawMessageDelivery", "is %s but Subscription.Topic is empty", sub.RawMessageDelivery)
		}
	}
	if k, ok := sub.TopicKMSKey.Value(); ok && k == "" {
		return p, specErr("Subscription.TopicKMSKey", "is set to the empty string; use provision.Remove[string]() to disable encryption")
	}
	if fp, ok := sub.FilterPolicy.Value(); ok {
		if len(fp) == 0 {
			return p, specErr("Subscription.FilterPolicy", "is set to an empty policy; use provision.Remove[provision.FilterPolicy]() to remove it")
		}
		b, err := json.Marshal(fp)
		if err != nil {
			return p, &SpecError{Field: "Subscription.FilterPolicy", Detail: "cannot be encoded as JSON", Err: err}
		}
		p.policy = string(b)
	}
	if sc, ok := sub.FilterPolicyScope.Value(); ok && sc != MessageAttributes && sc != MessageBody {
		return p, specErr("Subscription.FilterPolicyScope", "is %q; allowed: %q, %q", sc, MessageAttributes, MessageBody)
	}

	var err error
	if p.queue, err = s.queueRef(); err != nil {
		return p, err
	}

	if d, ok := q.VisibilityTimeout.Value(); ok {
		if err := checkSeconds("Queue.VisibilityTimeout", d, 0, MaxVisibilityTimeout); err != nil {
			return p, err
		}
	}
	if d, ok := q.KMSDataKeyReuse.Value(); ok {
		if err := checkSeconds("Queue.KMSDataKeyReuse", d, MinKMSDataKeyReuse, MaxKMSDataKeyReuse); err != nil {
			return p, err
		}
	}
	if k, ok := q.KMSKey.Value(); ok && k == "" {
		return p, specErr("Queue.KMSKey", "is set to the empty string; use provision.Remove[string]() to disable SSE-KMS")
	}
	if dl, ok := q.DeadLetter.Value(); ok {
		if dl.MaxReceiveCount < 1 || dl.MaxReceiveCount > MaxMaxReceiveCount {
			return p, specErr("Queue.DeadLetter.MaxReceiveCount", "is %d; allowed: 1 to %d", dl.MaxReceiveCount, MaxMaxReceiveCount)
		}
		ref, err := naming.ParseQueueRef(dl.Queue)
		if err != nil {
			return p, &SpecError{Field: "Queue.DeadLetter.Queue", Err: err}
		}
		switch ref.Kind {
		case naming.RefURL:
			return p, specErr("Queue.DeadLetter.Queue", "is a URL (%q); give a queue name or ARN", dl.Queue)
		case naming.RefName:
			ref.Name = s.Naming.QueuePrefix + ref.Name
			if err := naming.ValidateQueueName(ref.Name); err != nil {
				return p, &SpecError{Field: "Queue.DeadLetter.Queue", Err: err}
			}
		}
		if isFIFO := strings.HasSuffix(ref.Name, naming.FIFOSuffix); isFIFO != q.FIFO {
			return p, &FIFOMismatchError{Resource: "dead-letter queue", Name: ref.Name, IsFIFO: isFIFO, WantFIFO: q.FIFO, ByName: true}
		}
		p.dlq = ref
	}
	return p, nil
}

// queueRef resolves Queue.Name (or the automatic name) and checks it.
func (s Spec) queueRef() (naming.QueueRef, error) {
	q := s.Queue
	nc := q.NonCompeting
	if (nc.Handler == "") != (nc.ServiceUUID == "") {
		return naming.QueueRef{}, specErr("Queue.NonCompeting", "needs both Handler and ServiceUUID (got Handler %q, ServiceUUID %q)", nc.Handler, nc.ServiceUUID)
	}
	var ref naming.QueueRef
	if q.Name == "" {
		if s.Subscription.Topic == "" {
			return ref, specErr("Queue.Name", "is empty and there is no Subscription.Topic to name the queue after")
		}
		ref = naming.QueueRef{Kind: naming.RefName, Name: naming.QueueName(s.Naming.QueuePrefix, s.Subscription.Topic, nc.Handler == "", nc.Handler, nc.ServiceUUID, q.FIFO)}
		if err := naming.ValidateQueueName(ref.Name); err != nil {
			return ref, &SpecError{Field: "Naming.QueuePrefix", Detail: "is too long for an automatic queue name", Err: err}
		}
		return ref, nil
	}
	if nc != (NonCompeting{}) {
		return ref, specErr("Queue.NonCompeting", "is set but Queue.Name is %q; an explicitly named queue is shared by every consumer", q.Name)
	}
	ref, err := naming.ParseQueueRef(q.Name)
	if err != nil {
		return ref, &SpecError{Field: "Queue.Name", Err: err}
	}
	if ref.Kind == naming.RefName {
		ref.Name = s.Naming.QueuePrefix + ref.Name
		if err := naming.ValidateQueueName(ref.Name); err != nil {
			return ref, &SpecError{Field: "Queue.Name", Err: err}
		}
	}
	if isFIFO := strings.HasSuffix(ref.Name, naming.FIFOSuffix); isFIFO != q.FIFO {
		return ref, &FIFOMismatchError{Resource: "queue", Name: ref.Name, IsFIFO: isFIFO, WantFIFO: q.FIFO, ByName: true}
	}
	return ref, nil
}

func checkSeconds(field string, d, min, max time.Duration) error {
	if d < min || d > max {
		return specErr(field, "is %v; allowed: %v to %v", d, min, max)
	}
	if d%time.Second != 0 {
		return specErr(field, "is %v; it must be a whole number of seconds", d)
	}
	return nil
}
