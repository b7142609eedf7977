package emulator

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// queueConfig is the settable configuration of a queue, parsed.
type queueConfig struct {
	delay        time.Duration
	maxSize      int
	retention    time.Duration
	receiveWait  time.Duration
	visibility   time.Duration
	policy       string
	redrive      *redrivePolicy
	redriveAllow string
	kmsKey       string
	kmsReuse     int
	sseEnabled   bool
	contentDedup bool
	dedupScope   string // "queue" or "messageGroup"
	throughput   string // "perQueue" or "perMessageGroupId"
}

// redrivePolicy names the dead-letter queue and the receive count that sends a message there.
type redrivePolicy struct {
	targetARN  string
	targetName string
	maxReceive int
}

// Defaults AWS documents for a new queue. The maximum message size default
// is 1 MiB since AWS raised the limit from 256 KiB in 2025.
func defaultQueueConfig() queueConfig {
	return queueConfig{
		maxSize:    1 << 20,
		retention:  4 * 24 * time.Hour,
		visibility: 30 * time.Second,
		kmsReuse:   300,
		sseEnabled: true,
		dedupScope: "queue",
		throughput: "perQueue",
	}
}

// Queue attribute names.
const (
	attrAll                   = "All"
	attrDelaySeconds          = "DelaySeconds"
	attrMaximumMessageSize    = "MaximumMessageSize"
	attrMessageRetention      = "MessageRetentionPeriod"
	attrPolicy                = "Policy"
	attrReceiveWait           = "ReceiveMessageWaitTimeSeconds"
	attrVisibilityTimeout     = "VisibilityTimeout"
	attrRedrivePolicy         = "RedrivePolicy"
	attrRedriveAllowPolicy    = "RedriveAllowPolicy"
	attrKmsMasterKeyID        = "KmsMasterKeyId"
	attrKmsReuse              = "KmsDataKeyReusePeriodSeconds"
	attrSqsManagedSse         = "SqsManagedSseEnabled"
	attrFifoQueue             = "FifoQueue"
	attrContentDedup          = "ContentBasedDeduplication"
	attrDedupScope            = "DeduplicationScope"
	attrFifoThroughputLimit   = "FifoThroughputLimit"
	attrQueueArn              = "QueueArn"
	attrApproxMessages        = "ApproximateNumberOfMessages"
	attrApproxNotVisible      = "ApproximateNumberOfMessagesNotVisible"
	attrApproxDelayed         = "ApproximateNumberOfMessagesDelayed"
	attrCreatedTimestamp      = "CreatedTimestamp"
	attrLastModifiedTimestamp = "LastModifiedTimestamp"
)

var fifoOnlyAttrs = map[string]bool{attrFifoQueue: true, attrContentDedup: true, attrDedupScope: true, attrFifoThroughputLimit: true}

var readOnlyAttrs = map[string]bool{attrQueueArn: true, attrApproxMessages: true, attrApproxNotVisible: true,
	attrApproxDelayed: true, attrCreatedTimestamp: true, attrLastModifiedTimestamp: true}

// queueResolver finds other queues by ARN, for redrive policies.
type queueResolver func(arn string) *queue

// applyAttributes validates attrs and applies them to cfg. creating tells
// CreateQueue (FifoQueue allowed) from SetQueueAttributes (it is not).
func applyAttributes(cfg *queueConfig, attrs map[string]string, fifo, creating bool, resolve queueResolver) error {
	for name, v := range attrs {
		if readOnlyAttrs[name] {
			return errInvalidAttributeName("Unknown Attribute %s.", name)
		}
		if fifoOnlyAttrs[name] && !fifo {
			if name == attrFifoQueue && creating && v == "false" {
				continue
			}
			return errInvalidAttributeName("Unknown Attribute %s.", name)
		}
		switch name {
		case attrDelaySeconds:
			n, err := intAttr(name, v, 0, 900)
			if err != nil {
				return err
			}
			cfg.delay = time.Duration(n) * time.Second
		case attrMaximumMessageSize:
			n, err := intAttr(name, v, 1024, 1<<20)
			if err != nil {
				return err
			}
			cfg.maxSize = n
		case attrMessageRetention:
			n, err := intAttr(name, v, 60, 1_209_600)
			if err != nil {
				return err
			}
			cfg.retention = time.Duration(n) * time.Second
		case attrReceiveWait:
			n, err := intAttr(name, v, 0, 20)
			if err != nil {
				return err
			}
			cfg.receiveWait = time.Duration(n) * time.Second
		case attrVisibilityTimeout:
			n, err := intAttr(name, v, 0, 43_200)
			if err != nil {
				return err
			}
			cfg.visibility = time.Duration(n) * time.Second
		case attrPolicy:
			if v != "" && !json.Valid([]byte(v)) {
				return errInvalidAttributeValue("Invalid value for the parameter Policy.")
			}
			cfg.policy = v
		case attrRedrivePolicy:
			rp, err := parseRedrivePolicy(v, fifo, resolve)
			if err != nil {
				return err
			}
			cfg.redrive = rp
		case attrRedriveAllowPolicy:
			if v != "" && !json.Valid([]byte(v)) {
				return errInvalidAttributeValue("Invalid value for the parameter RedriveAllowPolicy. Reason: Amazon SQS can't parse the RedriveAllowPolicy.")
			}
			cfg.redriveAllow = v
		case attrKmsMasterKeyID:
			cfg.kmsKey = v
			if v != "" {
				cfg.sseEnabled = false
			}
		case attrKmsReuse:
			n, err := intAttr(name, v, 60, 86_400)
			if err != nil {
				return err
			}
			cfg.kmsReuse = n
		case attrSqsManagedSse:
			b, err := boolAttr(name, v)
			if err != nil {
				return err
			}
			cfg.sseEnabled = b
		case attrFifoQueue:
			if !creating {
				return errInvalidAttributeValue("Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.")
			}
			if v != "true" {
				return errInvalidAttributeValue("Invalid value for the parameter FifoQueue.")
			}
		case attrContentDedup:
			b, err := boolAttr(name, v)
			if err != nil {
				return err
			}
			cfg.contentDedup = b
		case attrDedupScope:
			if v != "queue" && v != "messageGroup" {
				return errInvalidAttributeValue("Invalid value for the parameter DeduplicationScope.")
			}
			cfg.dedupScope = v
		case attrFifoThroughputLimit:
			if v != "perQueue" && v != "perMessageGroupId" {
				return errInvalidAttributeValue("Invalid value for the parameter FifoThroughputLimit.")
			}
			cfg.throughput = v
		default:
			return errInvalidAttributeName("Unknown Attribute %s.", name)
		}
	}
	if fifo && cfg.throughput == "perMessageGroupId" && cfg.dedupScope != "messageGroup" {
		return errInvalidAttributeValue("Invalid value for the parameter FifoThroughputLimit. Reason: The perMessageGroupId value is allowed only when the value for DeduplicationScope is messageGroup.")
	}
	return nil
}

func intAttr(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errInvalidAttributeValue("Invalid value for the parameter %s.", name)
	}
	return n, nil
}

func boolAttr(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errInvalidAttributeValue("Invalid value for the parameter %s.", name)
}

// parseRedrivePolicy validates a RedrivePolicy value; "" removes the policy.
// maxReceiveCount may be a JSON number or a string holding one: AWS accepts
// both and returns a number.
func parseRedrivePolicy(v string, fifo bool, resolve queueResolver) (*redrivePolicy, error) {
	if v == "" {
		return nil, nil
	}
	invalid := func(reason string) error {
		return errInvalidParameterValue("Value %s for parameter RedrivePolicy is invalid. Reason: %s", v, reason)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, invalid("Redrive policy is not a valid JSON map.")
	}
	var arn string
	if err := json.Unmarshal(raw["deadLetterTargetArn"], &arn); err != nil || arn == "" {
		return nil, invalid("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
	}
	mrc, ok := raw["maxReceiveCount"]
	if !ok {
		return nil, invalid("Redrive policy does not contain mandatory attribute: maxReceiveCount.")
	}
	s := strings.Trim(string(mrc), `"`)
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return nil, invalid("Invalid value for maxReceiveCount: " + s + ", valid values are from 1 to 1000 both inclusive.")
	}
	for k := range raw {
		if k != "deadLetterTargetArn" && k != "maxReceiveCount" {
			return nil, invalid("Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].")
		}
	}
	target := resolve(arn)
	if target == nil {
		return nil, invalid("Dead letter target does not exist.")
	}
	if target.fifo != fifo {
		return nil, invalid("Dead-letter target must be the same type of queue as the source queue.")
	}
	return &redrivePolicy{targetARN: arn, targetName: target.name, maxReceive: n}, nil
}

func (rp *redrivePolicy) String() string {
	b, _ := json.Marshal(struct {
		Target string `json:"deadLetterTargetArn"`
		Max    int    `json:"maxReceiveCount"`
	}{rp.targetARN, rp.maxReceive})
	return string(b)
}

// attributeValue reports the current value of a queue attribute and
// whether the queue has it. The queue lock is held.
func (q *queue) attributeValue(name string, now time.Time) (string, bool) {
	c := &q.cfg
	itoa := strconv.Itoa
	switch name {
	case attrQueueArn:
		return q.arn, true
	case attrApproxMessages, attrApproxNotVisible, attrApproxDelayed:
		v, inflight, delayed := q.counts(now.UnixNano())
		switch name {
		case attrApproxNotVisible:
			v = inflight
		case attrApproxDelayed:
			v = delayed
		}
		return itoa(v), true
	case attrCreatedTimestamp:
		return strconv.FormatInt(q.created, 10), true
	case attrLastModifiedTimestamp:
		return strconv.FormatInt(q.modified, 10), true
	case attrDelaySeconds:
		return itoa(int(c.delay / time.Second)), true
	case attrMaximumMessageSize:
		return itoa(c.maxSize), true
	case attrMessageRetention:
		return itoa(int(c.retention / time.Second)), true
	case attrReceiveWait:
		return itoa(int(c.receiveWait / time.Second)), true
	case attrVisibilityTimeout:
		return itoa(int(c.visibility / time.Second)), true
	case attrPolicy:
		return c.policy, c.policy != ""
	case attrRedrivePolicy:
		if c.redrive == nil {
			return "", false
		}
		return c.redrive.String(), true
	case attrRedriveAllowPolicy:
		return c.redriveAllow, c.redriveAllow != ""
	case attrKmsMasterKeyID:
		return c.kmsKey, c.kmsKey != ""
	case attrKmsReuse:
		return itoa(c.kmsReuse), c.kmsKey != ""
	case attrSqsManagedSse:
		return strconv.FormatBool(c.sseEnabled), true
	case attrFifoQueue:
		return "true", q.fifo
	case attrContentDedup:
		return strconv.FormatBool(c.contentDedup), q.fifo
	case attrDedupScope:
		return c.dedupScope, q.fifo
	case attrFifoThroughputLimit:
		return c.throughput, q.fifo
	}
	return "", false
}

// allQueueAttrs lists every attribute name GetQueueAttributes knows, in the order "All" reports them.
var allQueueAttrs = []string{
	attrQueueArn, attrApproxMessages, attrApproxNotVisible, attrApproxDelayed, attrCreatedTimestamp,
	attrLastModifiedTimestamp, attrVisibilityTimeout, attrMaximumMessageSize, attrMessageRetention,
	attrDelaySeconds, attrReceiveWait, attrPolicy, attrRedrivePolicy, attrRedriveAllowPolicy,
	attrKmsMasterKeyID, attrKmsReuse, attrSqsManagedSse, attrFifoQueue, attrContentDedup,
	attrDedupScope, attrFifoThroughputLimit,
}

func knownQueueAttr(name string) bool {
	for _, n := range allQueueAttrs {
		if n == name {
			return true
		}
	}
	return false
}
