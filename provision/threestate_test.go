package provision_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/provision"
)

// state selects one of the three states of a Setting.
type state int

const (
	leave state = iota
	remove
	set
)

// threeState describes how one attribute is provisioned and observed.
type threeState struct {
	name string
	// apply puts the attribute in state s into the spec.
	apply func(spec *provision.Spec, s state)
	// read returns the attribute's current value on the endpoint, normalised.
	read func(t *testing.T, e *env, res provision.Result) string
	// change sets the attribute to another value behind provisioning's back.
	change func(t *testing.T, e *env, res provision.Result)
	// setValue, otherValue and removedValue are what read returns after Set,
	// after change, and after Remove.
	setValue, otherValue, removedValue string
}

func queueAttr(name string) func(*testing.T, *env, provision.Result) string {
	return func(t *testing.T, e *env, res provision.Result) string { return queueAttrs(t, e, res.QueueURL)[name] }
}

func subAttr(name, def string) func(*testing.T, *env, provision.Result) string {
	return func(t *testing.T, e *env, res provision.Result) string {
		v := subAttrs(t, e, res.SubscriptionARNs[0])[name]
		if v == "" {
			return def
		}
		return v
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// canonical re-encodes JSON with sorted keys and no spaces; "" and "{}"
// (no filter policy) both become "".
func canonical(s string) string {
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return s
	}
	if m, ok := v.(map[string]any); ok && len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestEnsureThreeStates(t *testing.T) {
	t.Parallel()
	dur := func(s state, v time.Duration) provision.Setting[time.Duration] {
		switch s {
		case set:
			return provision.Set(v)
		case remove:
			return provision.Remove[time.Duration]()
		}
		return provision.Leave[time.Duration]()
	}
	str := func(s state, v string) provision.Setting[string] {
		switch s {
		case set:
			return provision.Set(v)
		case remove:
			return provision.Remove[string]()
		}
		return provision.Leave[string]()
	}
	cases := []threeState{
		{
			name:  "Queue.VisibilityTimeout",
			apply: func(spec *provision.Spec, s state) { spec.Queue.VisibilityTimeout = dur(s, 45*time.Second) },
			read:  queueAttr("VisibilityTimeout"),
			change: func(t *testing.T, e *env, res provision.Result) {
				setQueueAttr(t, e, res.QueueURL, "VisibilityTimeout", "99")
			},
			setValue: "45", otherValue: "99", removedValue: "30",
		},
		{
			name: "Queue.DeadLetter",
			apply: func(spec *provision.Spec, s state) {
				switch s {
				case set:
					spec.Queue.DeadLetter = provision.Set(provision.DeadLetter{Queue: "dlq", MaxReceiveCount: 4})
				case remove:
					spec.Queue.DeadLetter = provision.Remove[provision.DeadLetter]()
				default:
					spec.Queue.DeadLetter = provision.Leave[provision.DeadLetter]()
				}
			},
			read: func(t *testing.T, e *env, res provision.Result) string {
				var rp struct {
					Target string          `json:"deadLetterTargetArn"`
					Count  json.RawMessage `json:"maxReceiveCount"`
				}
				v := queueAttrs(t, e, res.QueueURL)["RedrivePolicy"]
				if v == "" {
					return ""
				}
				if err := json.Unmarshal([]byte(v), &rp); err != nil {
					t.Fatalf("RedrivePolicy %q: %v", v, err)
				}
				count := string(rp.Count)
				if uq, err := strconv.Unquote(count); err == nil {
					count = uq
				}
				return count // the target is checked in TestEnsureCreatesThenChangesNothing
			},
			change: func(t *testing.T, e *env, res provision.Result) {
				v := queueAttrs(t, e, res.QueueURL)["RedrivePolicy"]
				var rp map[string]any
				if err := json.Unmarshal([]byte(v), &rp); err != nil {
					t.Fatal(err)
				}
				rp["maxReceiveCount"] = 9
				b, _ := json.Marshal(rp)
				setQueueAttr(t, e, res.QueueURL, "RedrivePolicy", string(b))
			},
			setValue: "4", otherValue: "9", removedValue: "",
		},
		{
			name:  "Queue.KMSKey",
			apply: func(spec *provision.Spec, s state) { spec.Queue.KMSKey = str(s, "alias/sqsflow-test") },
			read:  queueAttr("KmsMasterKeyId"),
			change: func(t *testing.T, e *env, res provision.Result) {
				setQueueAttr(t, e, res.QueueURL, "KmsMasterKeyId", "alias/other")
			},
			setValue: "alias/sqsflow-test", otherValue: "alias/other", removedValue: "",
		},
		{
			name: "Queue.KMSDataKeyReuse",
			apply: func(spec *provision.Spec, s state) {
				spec.Queue.KMSKey = provision.Set("alias/sqsflow-test") // data-key reuse applies to SSE-KMS queues
				spec.Queue.KMSDataKeyReuse = dur(s, 10*time.Minute)
			},
			read: func(t *testing.T, e *env, res provision.Result) string {
				return orDefault(queueAttrs(t, e, res.QueueURL)["KmsDataKeyReusePeriodSeconds"], "300")
			},
			change: func(t *testing.T, e *env, res provision.Result) {
				setQueueAttr(t, e, res.QueueURL, "KmsDataKeyReusePeriodSeconds", "900")
			},
			setValue: "600", otherValue: "900", removedValue: "300",
		},
		{
			name:  "Subscription.TopicKMSKey",
			apply: func(spec *provision.Spec, s state) { spec.Subscription.TopicKMSKey = str(s, "alias/sqsflow-topic") },
			read: func(t *testing.T, e *env, res provision.Result) string {
				return topicAttrs(t, e, res.TopicARNs[0])["KmsMasterKeyId"]
			},
			change: func(t *testing.T, e *env, res provision.Result) {
				setTopicAttr(t, e, res.TopicARNs[0], "KmsMasterKeyId", "alias/other")
			},
			setValue: "alias/sqsflow-topic", otherValue: "alias/other", removedValue: "",
		},
		{
			name: "Subscription.FilterPolicy",
			apply: func(spec *provision.Spec, s state) {
				switch s {
				case set:
					spec.Subscription.FilterPolicy = provision.Set(provision.FilterPolicy{"kind": []any{"a", map[string]any{"prefix": "b"}}})
				case remove:
					spec.Subscription.FilterPolicy = provision.Remove[provision.FilterPolicy]()
				default:
					spec.Subscription.FilterPolicy = provision.Leave[provision.FilterPolicy]()
				}
			},
			read: func(t *testing.T, e *env, res provision.Result) string {
				return canonical(subAttrs(t, e, res.SubscriptionARNs[0])["FilterPolicy"])
			},
			change: func(t *testing.T, e *env, res provision.Result) {
				setSubAttr(t, e, res.SubscriptionARNs[0], "FilterPolicy", `{"kind": ["c"]}`)
			},
			setValue: `{"kind":["a",{"prefix":"b"}]}`, otherValue: `{"kind":["c"]}`, removedValue: "",
		},
		{
			name: "Subscription.FilterPolicyScope",
			apply: func(spec *provision.Spec, s state) {
				spec.Subscription.FilterPolicy = provision.Set(provision.FilterPolicy{"kind": []string{"a"}})
				switch s {
				case set:
					spec.Subscription.FilterPolicyScope = provision.Set(provision.MessageBody)
				case remove:
					spec.Subscription.FilterPolicyScope = provision.Remove[provision.FilterPolicyScope]()
				default:
					spec.Subscription.FilterPolicyScope = provision.Leave[provision.FilterPolicyScope]()
				}
			},
			read: subAttr("FilterPolicyScope", "MessageAttributes"),
			change: func(t *testing.T, e *env, res provision.Result) {
				setSubAttr(t, e, res.SubscriptionARNs[0], "FilterPolicyScope", "MessageAttributes")
			},
			setValue: "MessageBody", otherValue: "MessageAttributes", removedValue: "MessageAttributes",
		},
		{
			name: "Subscription.RawMessageDelivery",
			apply: func(spec *provision.Spec, s state) {
				switch s {
				case set:
					spec.Subscription.RawMessageDelivery = provision.Set(true)
				case remove:
					spec.Subscription.RawMessageDelivery = provision.Remove[bool]()
				default:
					spec.Subscription.RawMessageDelivery = provision.Leave[bool]()
				}
			},
			read: subAttr("RawMessageDelivery", "false"),
			change: func(t *testing.T, e *env, res provision.Result) {
				setSubAttr(t, e, res.SubscriptionARNs[0], "RawMessageDelivery", "false")
			},
			setValue: "true", otherValue: "false", removedValue: "false",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			spec := provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q"}, Subscription: provision.Subscription{Topic: "t"}}
			ensure := func(s state) provision.Result {
				t.Helper()
				c.apply(&spec, s)
				res, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
				if err != nil {
					t.Fatalf("Ensure with %s in state %d: %v", c.name, s, err)
				}
				return res
			}
			is := is.New(t)

			// Set, then a second run changes nothing.
			res := ensure(set)
			is.Equal(c.read(t, e, res), c.setValue)
			is.Equal(ensure(set).Calls, []provision.Call(nil))

			// Changed behind our back: Leave keeps the change.
			c.change(t, e, res)
			is.Equal(c.read(t, e, res), c.otherValue)
			is.Equal(ensure(leave).Calls, []provision.Call(nil))
			is.Equal(c.read(t, e, res), c.otherValue)

			// Set restores the value.
			is.True(len(ensure(set).Calls) > 0)
			is.Equal(c.read(t, e, res), c.setValue)

			// Remove removes it, once.
			is.True(len(ensure(remove).Calls) > 0)
			is.Equal(c.read(t, e, res), c.removedValue)
			is.Equal(ensure(remove).Calls, []provision.Call(nil))
			is.Equal(c.read(t, e, res), c.removedValue)
		})
	}
}
