package provision

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqsflow/sqsflow/internal/vectors"

	"github.com/matryer/is"
)

func TestSetting(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var zero Setting[int]
	is.True(zero.IsLeave())
	is.Equal(zero, Leave[int]())
	is.Equal(zero.String(), "leave")

	rm := Remove[string]()
	is.True(rm.IsRemove() && !rm.IsSet() && !rm.IsLeave())
	v, ok := rm.Value()
	is.True(!ok)
	is.Equal(v, "")
	is.Equal(rm.String(), "remove")

	s := Set(30 * time.Second)
	is.True(s.IsSet() && !s.IsRemove() && !s.IsLeave())
	d, ok := s.Value()
	is.True(ok)
	is.Equal(d, 30*time.Second)
	is.Equal(s.String(), "set(30s)")

	// Set of a zero value is still a set, not a leave.
	is.True(Set(false).IsSet())
}

func TestQueuePolicyVector(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	raw, err := os.ReadFile(filepath.Join(vectors.Dir(t), "10_queue_policy.json"))
	is.NoErr(err)
	var want map[string]any
	is.NoErr(json.Unmarshal(raw, &want))

	now := time.UnixMilli(1712345678123)
	p := buildQueuePolicy("arn:aws:sqs:eu-west-1:123456789012:dev-order-commands",
		[]string{"arn:aws:sns:eu-west-1:123456789012:dev-order-created"}, now)
	b, err := json.Marshal(p)
	is.NoErr(err)
	var got map[string]any
	is.NoErr(json.Unmarshal(b, &got))

	// Sid: a uuid4 followed by the time in milliseconds.
	sid := p.Statement[0].Sid
	is.Equal(len(sid), 36+13)
	is.True(strings.HasSuffix(sid, "1712345678123"))
	is.Equal(sid[14], byte('4')) // uuid version 4

	// Everything else is exactly the vector.
	got["Statement"].([]any)[0].(map[string]any)["Sid"] = "x"
	want["Statement"].([]any)[0].(map[string]any)["Sid"] = "x"
	is.Equal(got, want)
	// And the keys come in tomodachi's order.
	is.True(strings.HasPrefix(string(b), `{"Version":"2012-10-17","Id":"arn:aws:sqs:eu-west-1:123456789012:dev-order-commands/SQSDefaultPolicy","Statement":[{"Sid":`))
}

func TestPolicyMatches(t *testing.T) {
	t.Parallel()
	q := "arn:aws:sqs:us-east-1:1:q"
	a, b := "arn:aws:sns:us-east-1:1:a", "arn:aws:sns:us-east-1:1:b"
	want := buildQueuePolicy(q, []string{a, b}, time.Now())
	enc := func(p queuePolicy) string { s, _ := json.Marshal(p); return string(s) }
	reordered := buildQueuePolicy(q, []string{b, a}, time.Now().Add(time.Hour)) // other Sids
	reordered.Statement[0], reordered.Statement[1] = reordered.Statement[1], reordered.Statement[0]
	oneTopic := buildQueuePolicy(q, []string{a}, time.Now())
	single := enc(oneTopic)
	// A Statement written as an object rather than a one-element array.
	objectForm := strings.Replace(strings.Replace(single, `"Statement":[`, `"Statement":`, 1), `}]}`, `}}`, 1)
	cases := []struct {
		name    string
		current string
		want    queuePolicy
		match   bool
	}{
		{"same", enc(want), want, true},
		{"other sids and order", enc(reordered), want, true},
		{"no policy", "", want, false},
		{"not json", "{", want, false},
		{"missing a topic", enc(oneTopic), want, false},
		{"extra topic", enc(want), oneTopic, false},
		{"statement object", objectForm, oneTopic, true},
		{"unconditional statement", strings.Replace(single, `"Condition":{"ArnEquals":{"aws:SourceArn":"`+a+`"}}`, `"Condition":{}`, 1), oneTopic, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(policyMatches(c.current, c.want), c.match)
		})
	}
}

func TestQueueAttributeChanges(t *testing.T) {
	t.Parallel()
	const dlq = "arn:aws:sqs:us-east-1:1:dlq"
	redrive := `{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:1:dlq", "maxReceiveCount": 5}`
	cases := []struct {
		name    string
		q       Queue
		current map[string]string
		want    map[string]string
	}{
		{"all leave", Queue{}, map[string]string{"VisibilityTimeout": "99", "KmsMasterKeyId": "k", "RedrivePolicy": redrive}, map[string]string{}},
		{"visibility set", Queue{VisibilityTimeout: Set(time.Minute)}, map[string]string{"VisibilityTimeout": "30"}, map[string]string{"VisibilityTimeout": "60"}},
		{"visibility set equal", Queue{VisibilityTimeout: Set(time.Minute)}, map[string]string{"VisibilityTimeout": "60"}, map[string]string{}},
		{"visibility set zero", Queue{VisibilityTimeout: Set(time.Duration(0))}, map[string]string{"VisibilityTimeout": "30"}, map[string]string{"VisibilityTimeout": "0"}},
		{"visibility set default on new queue", Queue{VisibilityTimeout: Set(30 * time.Second)}, map[string]string{}, map[string]string{}},
		{"visibility remove", Queue{VisibilityTimeout: Remove[time.Duration]()}, map[string]string{"VisibilityTimeout": "60"}, map[string]string{"VisibilityTimeout": "30"}},
		{"visibility remove default", Queue{VisibilityTimeout: Remove[time.Duration]()}, map[string]string{"VisibilityTimeout": "30"}, map[string]string{}},
		{"redrive set", Queue{DeadLetter: Set(DeadLetter{"dlq", 5})}, map[string]string{}, map[string]string{"RedrivePolicy": redrive}},
		{"redrive set equal", Queue{DeadLetter: Set(DeadLetter{"dlq", 5})}, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:dlq","maxReceiveCount":"5"}`}, map[string]string{}},
		{"redrive set other count", Queue{DeadLetter: Set(DeadLetter{"dlq", 5})}, map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:1:dlq","maxReceiveCount":3}`}, map[string]string{"RedrivePolicy": redrive}},
		{"redrive remove", Queue{DeadLetter: Remove[DeadLetter]()}, map[string]string{"RedrivePolicy": redrive}, map[string]string{"RedrivePolicy": ""}},
		{"redrive remove absent", Queue{DeadLetter: Remove[DeadLetter]()}, map[string]string{}, map[string]string{}},
		{"redrive remove tomodachi empty", Queue{DeadLetter: Remove[DeadLetter]()}, map[string]string{"RedrivePolicy": "{}"}, map[string]string{}},
		{"kms set", Queue{KMSKey: Set("alias/k")}, map[string]string{}, map[string]string{"KmsMasterKeyId": "alias/k"}},
		{"kms set equal", Queue{KMSKey: Set("alias/k")}, map[string]string{"KmsMasterKeyId": "alias/k"}, map[string]string{}},
		{"kms remove", Queue{KMSKey: Remove[string]()}, map[string]string{"KmsMasterKeyId": "alias/k"}, map[string]string{"KmsMasterKeyId": ""}},
		{"kms remove absent", Queue{KMSKey: Remove[string]()}, map[string]string{}, map[string]string{}},
		{"reuse set", Queue{KMSDataKeyReuse: Set(time.Hour)}, map[string]string{"KmsDataKeyReusePeriodSeconds": "300"}, map[string]string{"KmsDataKeyReusePeriodSeconds": "3600"}},
		{"reuse remove", Queue{KMSDataKeyReuse: Remove[time.Duration]()}, map[string]string{"KmsDataKeyReusePeriodSeconds": "3600"}, map[string]string{"KmsDataKeyReusePeriodSeconds": "300"}},
		{"reuse remove absent", Queue{KMSDataKeyReuse: Remove[time.Duration]()}, map[string]string{}, map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			got, err := queueAttributeChanges(c.q, c.current, dlq, nil)
			is.NoErr(err)
			is.Equal(got, c.want)
		})
	}
}

func TestSubscriptionChanges(t *testing.T) {
	t.Parallel()
	const pol = `{"currency":["EUR"]}`
	cases := []struct {
		name    string
		sub     Subscription
		current map[string]string
		want    []Param
	}{
		{"all leave", Subscription{}, map[string]string{"FilterPolicy": `{"a":["b"]}`, "RawMessageDelivery": "true"}, nil},
		{"policy set on new", Subscription{FilterPolicy: Set(FilterPolicy{})}, map[string]string{}, []Param{{"FilterPolicy", pol}}},
		{"policy set equal, other spacing", Subscription{FilterPolicy: Set(FilterPolicy{})}, map[string]string{"FilterPolicy": `{"currency": ["EUR"]}`}, nil},
		{"policy set differs", Subscription{FilterPolicy: Set(FilterPolicy{})}, map[string]string{"FilterPolicy": `{"currency": ["USD"]}`}, []Param{{"FilterPolicy", pol}}},
		{"policy remove", Subscription{FilterPolicy: Remove[FilterPolicy]()}, map[string]string{"FilterPolicy": pol}, []Param{{"FilterPolicy", "{}"}}},
		{"policy remove absent", Subscription{FilterPolicy: Remove[FilterPolicy]()}, map[string]string{}, nil},
		{"policy remove already empty", Subscription{FilterPolicy: Remove[FilterPolicy]()}, map[string]string{"FilterPolicy": "{}"}, nil},
		{"scope body before policy", Subscription{FilterPolicy: Set(FilterPolicy{}), FilterPolicyScope: Set(MessageBody)}, map[string]string{}, []Param{{"FilterPolicyScope", "MessageBody"}, {"FilterPolicy", pol}}},
		{"scope back to attributes after policy", Subscription{FilterPolicy: Set(FilterPolicy{}), FilterPolicyScope: Set(MessageAttributes)}, map[string]string{"FilterPolicyScope": "MessageBody"}, []Param{{"FilterPolicy", pol}, {"FilterPolicyScope", "MessageAttributes"}}},
		{"scope set default on new", Subscription{FilterPolicyScope: Set(MessageAttributes)}, map[string]string{}, nil},
		{"scope remove", Subscription{FilterPolicyScope: Remove[FilterPolicyScope]()}, map[string]string{"FilterPolicyScope": "MessageBody"}, []Param{{"FilterPolicyScope", "MessageAttributes"}}},
		{"raw set", Subscription{RawMessageDelivery: Set(true)}, map[string]string{"RawMessageDelivery": "false"}, []Param{{"RawMessageDelivery", "true"}}},
		{"raw set false on new", Subscription{RawMessageDelivery: Set(false)}, map[string]string{}, nil},
		{"raw remove", Subscription{RawMessageDelivery: Remove[bool]()}, map[string]string{"RawMessageDelivery": "true"}, []Param{{"RawMessageDelivery", "false"}}},
		{"raw remove off", Subscription{RawMessageDelivery: Remove[bool]()}, map[string]string{"RawMessageDelivery": "false"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			is.Equal(subscriptionChanges(c.sub, c.current, pol), c.want)
		})
	}
}

func TestTopicMatcher(t *testing.T) {
	t.Parallel()
	cases := []struct {
		prefix, pattern string
		fifo            bool
		name            string
		match           bool
	}{
		{"dev-", "orders.*", false, "dev-orders___2e_created", true},
		{"dev-", "orders.*", false, "dev-orders___2e_created___2e_eu", false}, // * is one segment
		{"dev-", "orders.#", false, "dev-orders___2e_created___2e_eu", true},
		{"dev-", "orders.*", false, "prod-orders___2e_created", false},
		{"dev-", "orders.*", false, "dev-orders___2e_created.fifo", false}, // standard pattern, FIFO topic
		{"dev-", "orders.*", true, "dev-orders___2e_created.fifo", true},
		{"dev-", "orders.*", true, "dev-orders___2e_created", false},
		{"", "*-events", false, "order-events", true},
		{"", "*-events", false, "order-events-x", false},
		{"", "#", false, "anything___2e_at___2e_all", true},
		{"a.", "b*", false, "a___2e_bc", true}, // the prefix is literal
		{"a.", "b*", false, "aXbc", false},
		{"", "x+y*", false, "x___2b_yz", true}, // regexp metacharacters are literal
		{"", "x+y*", false, "xxyz", false},
	}
	for _, c := range cases {
		is := is.New(t)
		is.Equal(newTopicMatcher(c.prefix, c.pattern, c.fifo).match(c.name), c.match) // see case
		if t.Failed() {
			t.Logf("case %+v", c)
		}
	}
}

func TestParseRedrive(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in     string
		target string
		count  int
	}{
		{"", "", 0},
		{"{}", "", 0},
		{"nonsense", "", 0},
		{`{"deadLetterTargetArn":"a","maxReceiveCount":7}`, "a", 7},
		{`{"deadLetterTargetArn":"a","maxReceiveCount":"7"}`, "a", 7},
		{redrivePolicyJSON("arn:x", 3), "arn:x", 3},
	}
	for _, c := range cases {
		is := is.New(t)
		target, count := parseRedrive(c.in)
		is.Equal(target, c.target)
		is.Equal(count, c.count)
	}
	is := is.New(t)
	is.Equal(redrivePolicyJSON("arn:aws:sqs:r:1:dlq", 5), `{"deadLetterTargetArn": "arn:aws:sqs:r:1:dlq", "maxReceiveCount": 5}`)
}

func TestCallString(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	c := Call{Action: "CreateQueue", Target: "dev-q.fifo", Params: params(map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "false"})}
	is.Equal(c.String(), "CreateQueue dev-q.fifo ContentBasedDeduplication=false FifoQueue=true")
}

func TestTopicARNLike(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	is.Equal(topicARNLike("arn:aws-cn:sqs:cn-north-1:123:q", "t.fifo"), "arn:aws-cn:sns:cn-north-1:123:t.fifo")
	is.Equal(topicARNLike("", "t"), "")
	is.Equal(topicARNLike("<ARN of queue q>", "t"), "")
}

// FuzzAttributeParsers feeds arbitrary attribute values, as an endpoint may
// return them, to the parsers: they must not panic, and a policy must never
// match one that differs in its statements.
func FuzzAttributeParsers(f *testing.F) {
	want := buildQueuePolicy("arn:aws:sqs:r:1:q", []string{"arn:aws:sns:r:1:t"}, time.UnixMilli(0))
	b, _ := json.Marshal(want)
	f.Add(string(b))
	f.Add(`{"Statement":{}}`)
	f.Add(redrivePolicyJSON("arn:aws:sqs:r:1:d", 3))
	f.Add(`{"maxReceiveCount":"x"}`)
	f.Fuzz(func(t *testing.T, s string) {
		parseRedrive(s)
		if policyMatches(s, want) {
			var doc struct{ Statement json.RawMessage }
			if json.Unmarshal([]byte(s), &doc) != nil || !strings.Contains(string(doc.Statement), "arn:aws:sns:r:1:t") {
				t.Fatalf("policy %q matched without the topic's statement", s)
			}
		}
		subscriptionChanges(Subscription{FilterPolicy: Set(FilterPolicy{"a": 1})}, map[string]string{"FilterPolicy": s, "FilterPolicyScope": s, "RawMessageDelivery": s}, `{"a":1}`)
	})
}
