package provision_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/internal/naming"
	"github.com/sqsflow/sqsflow/provision"
)

// TestEnsureCreatesThenChangesNothing provisions a queue with a dead-letter
// queue, a topic and a filtered subscription, checks every resource and
// attribute on the endpoint, and checks that a second run makes no change.
func TestEnsureCreatesThenChangesNothing(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	spec := provision.Spec{
		Naming: e.Naming,
		Queue: provision.Queue{
			Name:              "billing",
			VisibilityTimeout: provision.Set(45 * time.Second),
			DeadLetter:        provision.Set(provision.DeadLetter{Queue: "billing-dlq", MaxReceiveCount: 5}),
		},
		Subscription: provision.Subscription{
			Topic:        "order-created",
			FilterPolicy: provision.Set(provision.FilterPolicy{"currency": []string{"EUR", "USD"}}),
		},
	}
	res, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(res.Calls), []string{"CreateQueue", "CreateQueue", "CreateTopic", "SetQueueAttributes", "Subscribe"})
	is.Equal(res.Calls[0].Target, e.Prefix+"billing")
	is.Equal(len(res.Calls[0].Params), 0) // a standard queue is created with no attributes
	is.Equal(res.Calls[1].Target, e.Prefix+"billing-dlq")
	is.Equal(res.Calls[1].Params, []provision.Param{{Name: "MessageRetentionPeriod", Value: "1209600"}})
	is.Equal(res.Calls[2].Target, e.Prefix+"order-created")
	for _, c := range res.Calls {
		is.True(!c.DryRun)
	}

	// The queue and its attributes.
	is.Equal(res.QueueName, e.Prefix+"billing")
	qa := queueAttrs(t, e, res.QueueURL)
	is.Equal(qa["QueueArn"], res.QueueARN)
	is.Equal(qa["VisibilityTimeout"], "45")
	is.True(jsonEqual(qa["RedrivePolicy"], fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":5}`, res.DeadLetterARN)) ||
		jsonEqual(qa["RedrivePolicy"], fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"5"}`, res.DeadLetterARN)))
	is.True(strings.HasSuffix(res.DeadLetterARN, ":"+e.Prefix+"billing-dlq"))
	is.Equal(queueAttrs(t, e, res.DeadLetterURL)["MessageRetentionPeriod"], "1209600")

	// The topic, and a policy that lets exactly that topic send.
	is.Equal(len(res.TopicARNs), 1)
	is.True(strings.HasSuffix(res.TopicARNs[0], ":"+e.Prefix+"order-created"))
	is.Equal(policyStatements(t, qa["Policy"]), []policyStatement{{"Allow", "SQS:SendMessage", res.QueueARN, "*", res.TopicARNs[0]}})

	// The subscription with its filter policy.
	is.Equal(len(res.SubscriptionARNs), 1)
	sa := subAttrs(t, e, res.SubscriptionARNs[0])
	is.Equal(sa["Endpoint"], res.QueueARN)
	is.Equal(sa["Protocol"], "sqs")
	is.True(jsonEqual(sa["FilterPolicy"], `{"currency":["EUR","USD"]}`))
	is.True(sa["RawMessageDelivery"] == "" || sa["RawMessageDelivery"] == "false")

	// Messages flow through it, filtered.
	for _, cur := range []string{"GBP", "EUR"} {
		_, err := e.SNS.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(res.TopicARNs[0]), Message: aws.String(cur),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"currency": {DataType: aws.String("String"), StringValue: aws.String(cur)}}})
		is.NoErr(err)
	}
	got, err := e.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(res.QueueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
	is.NoErr(err)
	is.Equal(len(got.Messages), 1)
	var note struct{ Type, Message, TopicArn string }
	is.NoErr(json.Unmarshal([]byte(aws.ToString(got.Messages[0].Body)), &note))
	is.Equal(note, struct{ Type, Message, TopicArn string }{"Notification", "EUR", res.TopicARNs[0]})

	// A second run changes nothing and finds the same resources.
	again, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(len(again.Calls), 0)
	again.Calls, res.Calls = nil, nil
	is.Equal(again, res)
	// Not even the policy was rewritten (its Sids would change).
	is.Equal(queueAttrs(t, e, res.QueueURL)["Policy"], qa["Policy"])
}

func TestEnsureFIFOAutoNamed(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	spec := provision.Spec{
		Naming:       e.Naming,
		Queue:        provision.Queue{FIFO: true},
		Subscription: provision.Subscription{Topic: "order-events"},
	}
	res, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(res.Calls), []string{"CreateQueue", "CreateTopic", "SetQueueAttributes", "Subscribe"})

	wantQueue := naming.QueueName(e.Prefix, "order-events", true, "", "", true)
	is.Equal(res.QueueName, wantQueue)
	is.True(strings.HasSuffix(res.QueueURL, "/"+wantQueue))
	is.Equal(res.Calls[0].Params, []provision.Param{
		{Name: "ContentBasedDeduplication", Value: "false"}, {Name: "DeduplicationScope", Value: "messageGroup"},
		{Name: "FifoQueue", Value: "true"}, {Name: "FifoThroughputLimit", Value: "perMessageGroupId"},
	})
	qa := queueAttrs(t, e, res.QueueURL)
	is.Equal(qa["FifoQueue"], "true")
	is.Equal(qa["ContentBasedDeduplication"], "false")

	is.True(strings.HasSuffix(res.TopicARNs[0], ":"+e.Prefix+"order-events.fifo"))
	ta := topicAttrs(t, e, res.TopicARNs[0])
	is.Equal(ta["FifoTopic"], "true")

	again, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(len(again.Calls), 0)
	is.Equal(again.QueueURL, res.QueueURL)
}

func TestEnsureQueueOnly(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	spec := provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "jobs", VisibilityTimeout: provision.Set(2 * time.Minute)}}
	res, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	// Unlike tomodachi, attributes apply to queues without a topic too.
	is.Equal(actions(res.Calls), []string{"CreateQueue", "SetQueueAttributes"})
	is.Equal(res.Calls[1].Params, []provision.Param{{Name: "VisibilityTimeout", Value: "120"}})
	is.Equal(queueAttrs(t, e, res.QueueURL)["VisibilityTimeout"], "120")
	is.Equal(len(res.TopicARNs), 0)
	_, hasPolicy := queueAttrs(t, e, res.QueueURL)["Policy"]
	is.True(!hasPolicy)

	again, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(len(again.Calls), 0)
}

// TestEnsureWildcard subscribes to every existing topic a pattern matches,
// across several ListTopics pages (tomodachi kept only the last page's).
func TestEnsureWildcard(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	tn := func(topic string, fifo bool) string { return naming.TopicName(e.Prefix, topic, fifo) }
	created := createTopic(t, e, tn("orders.created", false), nil)
	for i := range 20 {
		createTopic(t, e, tn(fmt.Sprintf("noise-%03d", i), false), nil)
	}
	updated := createTopic(t, e, tn("orders.updated", false), nil)
	deep := createTopic(t, e, tn("orders.eu.created", false), nil)
	createTopic(t, e, tn("orders.created.fifo", true), map[string]string{"FifoTopic": "true"})
	createTopic(t, e, tn("ordersXcreated", false), nil)

	// Pages of 7 topics: matches sit on different pages.
	pages := &pagingSNS{SNS: e.SNS, pageSize: 7}
	clients := e.Clients
	clients.SNS = pages
	filter := provision.FilterPolicy{"kind": []string{"a"}}
	cases := []struct {
		pattern string
		want    []string
	}{
		{"orders.*", []string{created, updated}},
		{"orders.#", []string{created, updated, deep}},
	}
	for _, c := range cases {
		spec := provision.Spec{
			Naming:       e.Naming,
			Queue:        provision.Queue{Name: "all-orders-" + fmt.Sprint(len(c.want))},
			Subscription: provision.Subscription{Topic: c.pattern, FilterPolicy: provision.Set(filter)},
		}
		pages.calls.Store(0)
		res, err := provision.Ensure(ctx, clients, spec, provision.Options{})
		is.NoErr(err)
		is.True(pages.calls.Load() >= 4) // every page was read
		want := append([]string(nil), c.want...)
		sort.Strings(want)
		is.Equal(res.TopicARNs, want)
		is.Equal(len(res.SubscriptionARNs), len(want))

		// One policy statement per matched topic, no wildcard source.
		var wantStmts []policyStatement
		for _, arn := range want {
			wantStmts = append(wantStmts, policyStatement{"Allow", "SQS:SendMessage", res.QueueARN, "*", arn})
		}
		stmts := policyStatements(t, queueAttrs(t, e, res.QueueURL)["Policy"])
		sort.Slice(stmts, func(i, j int) bool { return stmts[i].SourceArn < stmts[j].SourceArn })
		is.Equal(stmts, wantStmts)

		// Every subscription has the filter policy (tomodachi only gave it to the first).
		for i, arn := range res.SubscriptionARNs {
			sa := subAttrs(t, e, arn)
			is.Equal(sa["TopicArn"], want[i])
			is.True(jsonEqual(sa["FilterPolicy"], `{"kind":["a"]}`))
		}

		again, err := provision.Ensure(ctx, clients, spec, provision.Options{})
		is.NoErr(err)
		is.Equal(len(again.Calls), 0)
	}
}

func TestEnsureWildcardNoMatch(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	spec := provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q"}, Subscription: provision.Subscription{Topic: "nothing.*"}}
	res, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(res.Calls), []string{"CreateQueue"}) // no topics, no policy, no subscription
	is.Equal(len(res.TopicARNs), 0)
}

func TestEnsureDryRun(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	spec := provision.Spec{
		Naming: e.Naming,
		Queue: provision.Queue{Name: "dry", VisibilityTimeout: provision.Set(time.Minute),
			DeadLetter: provision.Set(provision.DeadLetter{Queue: "dry-dlq", MaxReceiveCount: 3})},
		Subscription: provision.Subscription{Topic: "dry-topic", RawMessageDelivery: provision.Set(true)},
	}
	plan, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{DryRun: true})
	is.NoErr(err)
	is.Equal(actions(plan.Calls), []string{"CreateQueue", "CreateQueue", "CreateTopic", "SetQueueAttributes", "Subscribe"})
	for _, c := range plan.Calls {
		is.True(c.DryRun)
	}
	is.Equal(plan.QueueURL, "")
	v, _ := param(plan.Calls[3], "VisibilityTimeout")
	is.Equal(v, "60")
	_, hasRedrive := param(plan.Calls[3], "RedrivePolicy")
	is.True(hasRedrive)
	raw, _ := param(plan.Calls[4], "RawMessageDelivery")
	is.Equal(raw, "true")
	is.Equal(plan.Calls[4].String(), "Subscribe <ARN of topic "+e.Prefix+"dry-topic> Protocol=sqs Endpoint=<ARN of queue "+e.Prefix+"dry> RawMessageDelivery=true")

	// Nothing was created.
	_, err = provision.LookupQueue(ctx, e.SQS, e.Naming, "dry")
	var nf *provision.QueueNotFoundError
	is.True(errors.As(err, &nf))

	// Create it for real, then plan a change: exactly one call, not made.
	res, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(res.Calls), actions(plan.Calls))
	spec.Queue.VisibilityTimeout = provision.Set(90 * time.Second)
	plan, err = provision.Ensure(ctx, e.Clients, spec, provision.Options{DryRun: true})
	is.NoErr(err)
	is.Equal(len(plan.Calls), 1)
	is.Equal(plan.Calls[0].String(), "SetQueueAttributes "+res.QueueURL+" VisibilityTimeout=90")
	is.True(plan.Calls[0].DryRun)
	is.Equal(plan.QueueURL, res.QueueURL)
	is.Equal(plan.SubscriptionARNs, res.SubscriptionARNs)
	is.Equal(queueAttrs(t, e, res.QueueURL)["VisibilityTimeout"], "60")
}

// TestEnsureQueuePolicy checks that a foreign policy is replaced and a
// matching one with other Sids is left alone.
func TestEnsureQueuePolicy(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	spec := provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "pol"}, Subscription: provision.Subscription{Topic: "pol-topic"}}
	res, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	topicARN := res.TopicARNs[0]

	// Same statements, other Sid and Id formatting: not rewritten.
	same := fmt.Sprintf(`{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"other","Effect":"Allow","Principal":"*","Action":"SQS:SendMessage","Resource":%q,"Condition":{"ArnEquals":{"aws:SourceArn":%q}}}]}`, res.QueueARN, topicARN)
	setQueueAttr(t, e, res.QueueURL, "Policy", same)
	again, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(len(again.Calls), 0)

	// An open policy is replaced by one scoped to the topic.
	open := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"open","Effect":"Allow","Principal":"*","Action":"SQS:SendMessage","Resource":%q}]}`, res.QueueARN)
	setQueueAttr(t, e, res.QueueURL, "Policy", open)
	again, err = provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(again.Calls), []string{"SetQueueAttributes"})
	is.Equal(policyStatements(t, queueAttrs(t, e, res.QueueURL)["Policy"]), []policyStatement{{"Allow", "SQS:SendMessage", res.QueueARN, "*", topicARN}})

	// LeaveQueuePolicy leaves even an open policy alone.
	setQueueAttr(t, e, res.QueueURL, "Policy", open)
	spec.Subscription.LeaveQueuePolicy = true
	again, err = provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(len(again.Calls), 0)
	is.True(jsonEqual(queueAttrs(t, e, res.QueueURL)["Policy"], open))
}

func TestEnsureExistingQueueByARNAndURL(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	base, err := provision.Ensure(ctx, e.Clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "existing"}}, provision.Options{})
	is.NoErr(err)
	dlq, err := provision.Ensure(ctx, e.Clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "existing-dlq"}}, provision.Options{})
	is.NoErr(err)

	for _, ref := range []string{base.QueueARN, base.QueueURL} {
		spec := provision.Spec{
			Naming: e.Naming, // the prefix is not applied to ARNs or URLs
			Queue: provision.Queue{Name: ref, VisibilityTimeout: provision.Set(31 * time.Second),
				DeadLetter: provision.Set(provision.DeadLetter{Queue: dlq.QueueARN, MaxReceiveCount: 2})},
		}
		res, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
		is.NoErr(err)
		is.Equal(res.QueueURL, base.QueueURL)
		is.Equal(res.DeadLetterARN, dlq.QueueARN)
		for _, c := range res.Calls {
			is.Equal(c.Action, "SetQueueAttributes") // nothing created
		}
	}

	// A queue given by ARN must exist; so must a dead-letter queue given by ARN.
	missing := strings.Replace(base.QueueARN, "existing", "missing", 1)
	_, err = provision.Ensure(ctx, e.Clients, provision.Spec{Queue: provision.Queue{Name: missing}}, provision.Options{})
	var nf *provision.QueueNotFoundError
	is.True(errors.As(err, &nf))
	is.Equal(nf.Queue, missing)
	var dne *sqstypes.QueueDoesNotExist
	is.True(errors.As(err, &dne)) // the AWS error stays reachable

	_, err = provision.Ensure(ctx, e.Clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "existing",
		DeadLetter: provision.Set(provision.DeadLetter{Queue: missing, MaxReceiveCount: 2})}}, provision.Options{})
	is.True(errors.As(err, &nf))
	is.True(strings.Contains(err.Error(), "missing"))
}

func TestLookup(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	std, err := provision.Ensure(ctx, e.Clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "look"}}, provision.Options{})
	is.NoErr(err)
	fifo, err := provision.Ensure(ctx, e.Clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "look2.fifo", FIFO: true}}, provision.Options{})
	is.NoErr(err)

	for _, ref := range []string{"look", std.QueueURL, std.QueueARN} {
		url, err := provision.LookupQueue(ctx, e.SQS, e.Naming, ref)
		is.NoErr(err)
		is.Equal(url, std.QueueURL)
	}

	// Not found, with a hint when the other kind exists.
	_, err = provision.LookupQueue(ctx, e.SQS, e.Naming, "look2")
	var nf *provision.QueueNotFoundError
	is.True(errors.As(err, &nf))
	is.Equal(nf.Queue, e.Prefix+"look2")
	is.Equal(nf.Hint, fmt.Sprintf("a queue named %q exists", e.Prefix+"look2.fifo"))
	_, err = provision.LookupQueue(ctx, e.SQS, e.Naming, "nope")
	is.True(errors.As(err, &nf))
	is.Equal(nf.Hint, "")
	_, err = provision.LookupQueue(ctx, e.SQS, e.Naming, "arn:aws:sns:us-east-1:1:x")
	var re *provision.InvalidRefError
	is.True(errors.As(err, &re))

	// Lookup never creates and checks FIFO-ness.
	res, err := provision.Lookup(ctx, e.Clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "look2.fifo", FIFO: true}})
	is.NoErr(err)
	is.Equal(res.QueueURL, fifo.QueueURL)
	is.Equal(res.QueueARN, fifo.QueueARN)
	_, err = provision.Lookup(ctx, e.Clients, provision.Spec{Naming: e.Naming, Subscription: provision.Subscription{Topic: "never-created"}})
	is.True(errors.As(err, &nf))
}
