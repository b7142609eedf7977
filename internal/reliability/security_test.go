package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/reliability"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
)

// policyStatement is what the policy checks read of a statement.
type policyStatement struct {
	Effect    string
	Principal any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

// checkPolicy asserts that the queue policy lets exactly the topics send
// to the queue, each by an aws:SourceArn condition, and nothing else: no
// statement allows anyone unconditionally.
func checkPolicy(t *testing.T, policy, queueARN string, topics []string) {
	t.Helper()
	var doc struct{ Statement json.RawMessage }
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("the queue policy is not JSON: %v: %s", err, policy)
	}
	var sts []policyStatement
	if err := json.Unmarshal(doc.Statement, &sts); err != nil {
		var one policyStatement
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			t.Fatalf("the policy's Statement is neither a list nor a statement: %s", policy)
		}
		sts = []policyStatement{one}
	}
	var allowed []string
	for i, st := range sts {
		if st.Effect != "Allow" {
			continue
		}
		if st.Resource != queueARN {
			t.Errorf("statement %d: Resource %v, want only the queue %s", i, st.Resource, queueARN)
		}
		if st.Action != "SQS:SendMessage" && st.Action != "sqs:SendMessage" {
			t.Errorf("statement %d: Action %v, want only SQS:SendMessage", i, st.Action)
		}
		var sources []string
		for op, conds := range st.Condition {
			for key, v := range conds {
				if !strings.EqualFold(key, "aws:SourceArn") {
					continue
				}
				if op != "ArnEquals" && op != "StringEquals" {
					t.Errorf("statement %d: %s %s: want ArnEquals (an exact topic, not a pattern)", i, op, key)
				}
				switch v := v.(type) {
				case string:
					sources = append(sources, v)
				case []any:
					for _, s := range v {
						sources = append(sources, fmt.Sprint(s))
					}
				}
			}
		}
		if len(sources) == 0 {
			t.Errorf("statement %d allows %v without an aws:SourceArn condition: %s", i, st.Principal, policy)
		}
		for _, s := range sources {
			if strings.ContainsAny(s, "*?") {
				t.Errorf("statement %d: aws:SourceArn %q is a wildcard", i, s)
			}
		}
		allowed = append(allowed, sources...)
	}
	slices.Sort(allowed)
	want := slices.Clone(topics)
	slices.Sort(want)
	if !slices.Equal(allowed, want) {
		t.Errorf("the policy lets %v send, want exactly %v: %s", allowed, want, policy)
	}
}

// TestReliabilityQueuePolicy checks the queue policy sqsflow writes: only
// the subscribed topics' ARNs may send (aws:SourceArn), never an
// unconditional "*", also when the queue had a wide-open policy before and
// when the subscription is a pattern.
func TestReliabilityQueuePolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		spec     provision.Spec
		topics   []string // topics that exist before
		existing string   // the queue's policy before, if any
	}{
		{name: "one topic", spec: provision.Spec{Queue: provision.Queue{Name: "billing"}, Subscription: provision.Subscription{Topic: "order-created"}}},
		{name: "prefixes and a dead-letter queue", spec: provision.Spec{
			Naming:       provision.Naming{TopicPrefix: "dev-", QueuePrefix: "dev-"},
			Queue:        provision.Queue{Name: "billing", DeadLetter: provision.Set(provision.DeadLetter{Queue: "billing-dlq", MaxReceiveCount: 3})},
			Subscription: provision.Subscription{Topic: "order-created"},
		}},
		{name: "FIFO", spec: provision.Spec{Queue: provision.Queue{Name: "billing.fifo", FIFO: true}, Subscription: provision.Subscription{Topic: "order-created"}}},
		{name: "pattern", topics: []string{"orders.created", "orders.paid", "invoices.created"},
			spec: provision.Spec{Queue: provision.Queue{Name: "audit"}, Subscription: provision.Subscription{Topic: "orders.*"}}},
		{name: "wide-open policy before", existing: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"SQS:*","Resource":"*"}]}`,
			spec: provision.Spec{Queue: provision.Queue{Name: "billing"}, Subscription: provision.Subscription{Topic: "order-created"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			srv, err := emulator.Start(context.Background(), emulator.Options{})
			is.NoErr(err)
			defer srv.Close()
			ctx := context.Background()
			cfg := srv.Config()
			clients := provision.Clients{SQS: sqs.NewFromConfig(cfg), SNS: sns.NewFromConfig(cfg)}
			for _, topic := range tt.topics {
				_, err := clients.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(provision.Naming{}.TopicName(topic, false))})
				is.NoErr(err)
			}
			if tt.existing != "" {
				_, err := clients.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(tt.spec.Queue.Name), Attributes: map[string]string{"Policy": tt.existing}})
				is.NoErr(err)
			}
			res, err := provision.Ensure(ctx, clients, tt.spec, provision.Options{})
			is.NoErr(err)
			is.True(len(res.TopicARNs) > 0)
			if tt.name == "pattern" {
				is.Equal(len(res.TopicARNs), 2) // orders.created and orders.paid, not invoices.created
			}
			attrs, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
				QueueUrl: aws.String(res.QueueURL), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy},
			})
			is.NoErr(err)
			checkPolicy(t, attrs.Attributes["Policy"], res.QueueARN, res.TopicARNs)
			if res.DeadLetterURL != "" {
				// The dead-letter queue gets no policy: only SQS moves messages there.
				dl, err := clients.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
					QueueUrl: aws.String(res.DeadLetterURL), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNamePolicy},
				})
				is.NoErr(err)
				is.Equal(dl.Attributes["Policy"], "")
			}
			// A second run leaves the policy as it is.
			again, err := provision.Ensure(ctx, clients, tt.spec, provision.Options{})
			is.NoErr(err)
			is.Equal(len(again.Calls), 0)
		})
	}
}

// Credentials that must never be seen outside the SDK's signer.
const (
	secretKey    = "sqsflowSECRETkey/do+not+log/0123456789abcdefGHIJ"
	sessionToken = "sqsflowSESSIONtoken-do-not-log-9876543210zyxwvu"
)

// TestReliabilitySecrets runs pipelines with a secret access key and a
// session token into every kind of failure (faults on the wire, a
// pipeline that cannot start, an endpoint that is not there) with debug
// logging, and checks that neither the secret nor the token appears in any
// log line or error message.
func TestReliabilitySecrets(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	r := newRig(t, emulator.Options{})
	proxy, err := reliability.StartProxy(reliability.ProxyOptions{Target: r.srv.Endpoint(), Rate: 0.3, Latency: time.Second})
	is.NoErr(err)
	defer proxy.Close()

	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var mu sync.Mutex
	var errs []string
	record := func(err error) {
		if err == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}
	secretConfig := func(endpoint string) aws.Config {
		cfg := reliability.ClientConfig(endpoint, 500*time.Millisecond)
		cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIASQSFLOWRELIAB01", secretKey, sessionToken)
		return cfg
	}

	// Faults on the wire: failed receives, sends, deletes and visibility
	// changes are logged and retried.
	js, bodies := jobs(t, 300, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	is.NoErr(reliability.Send(ctx, r.sqs, r.Input, bodies))
	out, dlq, stopDrains := r.drains(t, 0)
	p := reliability.Build(reliability.Config{
		AWS: secretConfig(proxy.URL()), Input: r.Input, Output: r.Output, Visibility: 2 * time.Second,
		Logger: logger, OnError: func(e *flow.StageError) { record(e) },
	})
	run := start(t, p)
	is.NoErr(reliability.Wait(ctx, func() bool { return out.Unique()+dlq.Unique() >= len(js) }, out, dlq))
	record(run.stop(t))
	stopDrains()
	is.True(proxy.Counts().Injected() > 0)

	// Pipelines that cannot start: a queue that does not exist, a sink
	// whose queue does not exist, and an endpoint that is not there.
	down := reliability.ClientConfig("http://127.0.0.1:1", 0) // nothing listens on port 1
	for _, tc := range []struct {
		name string
		cfg  aws.Config
		in   string
		out  string
	}{
		{"missing input", secretConfig(r.srv.Endpoint()), "no-such-queue", r.Output},
		{"missing output", secretConfig(r.srv.Endpoint()), r.Input, "no-such-queue"},
		{"endpoint down", func() aws.Config { c := secretConfig(""); c.BaseEndpoint = down.BaseEndpoint; return c }(), "q", "q"},
	} {
		p := flow.New(flow.WithLogger(logger))
		d := source.SQS(p, tc.in, source.Options{AWS: tc.cfg, Provision: source.ProvisionOff, Logger: logger, WaitTime: time.Second})
		sink.SendSQS(envelope.DecodeRaw(d), tc.out, sink.WithAWS(tc.cfg))
		err := p.Run(ctx)
		if err == nil {
			t.Errorf("%s: the pipeline ran", tc.name)
		}
		record(err)
		tc.cfg.HTTPClient.(*http.Client).CloseIdleConnections()
	}
	// A pipeline that cannot provision its queue and topic.
	{
		cfg := secretConfig("")
		cfg.BaseEndpoint = down.BaseEndpoint
		p := flow.New(flow.WithLogger(logger))
		sink.Discard(source.SNSSQS(p, "secrets", source.Options{AWS: cfg, Logger: logger}))
		err := p.Run(ctx)
		is.True(err != nil)
		record(err)
	}
	// Standalone publishing to a queue that does not exist.
	_, err = sink.Send(ctx, "no-such-queue", "hello", sink.WithAWS(secretConfig(r.srv.Endpoint())))
	is.True(err != nil)
	record(err)

	mu.Lock()
	defer mu.Unlock()
	is.True(len(errs) > 5)       // there were errors to look at
	is.True(logs.String() != "") // and log lines
	for _, secret := range []string{secretKey, sessionToken} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("a log line holds a credential:\n%s", grepLines(logs.String(), secret))
		}
		for _, e := range errs {
			if strings.Contains(e, secret) {
				t.Errorf("an error message holds a credential: %s", e)
			}
		}
	}
	t.Logf("secrets: log-bytes=%d errors=%d faults=%d leaks=0", len(logs.String()), len(errs)/3, proxy.Counts().Injected())
}

func grepLines(s, sub string) string {
	var b bytes.Buffer
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
