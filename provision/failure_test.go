package provision_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/provision"
)

var errBoom = errors.New("boom")

func TestEnsureCreateQueueFails(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	clients := e.Clients
	clients.SQS = &faultySQS{SQS: e.SQS, createQueue: func(*sqs.CreateQueueInput) error { return errBoom }}
	res, err := provision.Ensure(ctx, clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q"}}, provision.Options{})
	is.True(errors.Is(err, errBoom))
	is.Equal(err.Error(), `provision: create queue "`+e.Prefix+`q": boom`)
	is.Equal(actions(res.Calls), []string{"CreateQueue"}) // the attempted call is reported
}

func TestEnsureLookupFails(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	clients := e.Clients
	clients.SQS = &faultySQS{SQS: e.SQS, getQueueURL: func(*sqs.GetQueueUrlInput) error { return errBoom }}
	res, err := provision.Ensure(ctx, clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q"}}, provision.Options{})
	is.True(errors.Is(err, errBoom))
	is.Equal(err.Error(), `provision: look up queue "`+e.Prefix+`q": boom`)
	is.Equal(len(res.Calls), 0) // nothing is created when the lookup fails for another reason
}

func TestEnsureSetQueueAttributesFails(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	clients := e.Clients
	clients.SQS = &faultySQS{SQS: e.SQS, setQueueAttributes: func(*sqs.SetQueueAttributesInput) error { return errBoom }}
	spec := provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q", KMSKey: provision.Set("alias/k")}}
	_, err := provision.Ensure(ctx, clients, spec, provision.Options{})
	is.True(errors.Is(err, errBoom))
	is.True(strings.HasPrefix(err.Error(), `provision: set attributes of queue "`+e.Prefix+`q"`))
}

// TestEnsureFIFOMismatchOnAWS: a FIFO spec given a queue that AWS reports as
// standard fails with an error naming both.
func TestEnsureFIFOMismatchOnAWS(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	clients := e.Clients
	clients.SQS = &faultySQS{SQS: e.SQS, getQueueAttributes: func(out *sqs.GetQueueAttributesOutput) { delete(out.Attributes, "FifoQueue") }}
	_, err := provision.Ensure(ctx, clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q.fifo", FIFO: true}}, provision.Options{})
	var fe *provision.FIFOMismatchError
	is.True(errors.As(err, &fe))
	is.Equal(fe, &provision.FIFOMismatchError{Resource: "queue", Name: e.Prefix + "q.fifo", IsFIFO: false, WantFIFO: true})
	is.Equal(err.Error(), `provision: queue "`+e.Prefix+`q.fifo" is a standard queue on AWS, but the spec asks for FIFO (Queue.FIFO is true)`)
}

// TestEnsureTopicDifferentAttributes follows tomodachi's recovery when the
// topic cannot be read and CreateTopic reports different attributes: a plain
// CreateTopic for the ARN, then the attributes one by one.
func TestEnsureTopicDifferentAttributes(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	arn := createTopic(t, e, e.Prefix+"t", nil)
	var reads atomic.Int64
	fake := &faultySNS{SNS: e.SNS,
		getTopicAttributes: func(*sns.GetTopicAttributesInput) error {
			if reads.Add(1) == 1 {
				return &smithy.GenericAPIError{Code: "AuthorizationError", Message: "not allowed"}
			}
			return nil
		},
		createTopic: func(in *sns.CreateTopicInput) error {
			if len(in.Attributes) > 0 {
				return &smithy.GenericAPIError{Code: "InvalidParameter", Message: "Invalid parameter: Attributes Reason: Topic already exists with different attributes"}
			}
			return nil
		},
	}
	clients := e.Clients
	clients.SNS = fake
	spec := provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q"},
		Subscription: provision.Subscription{Topic: "t", TopicKMSKey: provision.Set("alias/t")}}
	res, err := provision.Ensure(ctx, clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(res.Calls), []string{"CreateQueue", "CreateTopic", "CreateTopic", "SetTopicAttributes", "SetQueueAttributes", "Subscribe"})
	is.Equal(res.TopicARNs, []string{arn})
	is.Equal(topicAttrs(t, e, arn)["KmsMasterKeyId"], "alias/t")
}

func TestEnsureTopicCreateFails(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	clients := e.Clients
	clients.SNS = &faultySNS{SNS: e.SNS, createTopic: func(*sns.CreateTopicInput) error {
		return &smithy.GenericAPIError{Code: "AuthorizationError", Message: "not allowed to create topics"}
	}}
	_, err := provision.Ensure(ctx, clients, provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q"}, Subscription: provision.Subscription{Topic: "t"}}, provision.Options{})
	var api smithy.APIError
	is.True(errors.As(err, &api))
	is.Equal(api.ErrorCode(), "AuthorizationError")
	is.True(strings.HasPrefix(err.Error(), `provision: create topic "`+e.Prefix+`t": `))
}

// TestEnsureSubscriptionDifferentAttributes: the subscription exists but is
// not listed yet, and Subscribe with attributes reports different ones.
func TestEnsureSubscriptionDifferentAttributes(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	spec := provision.Spec{Naming: e.Naming, Queue: provision.Queue{Name: "q"},
		Subscription: provision.Subscription{Topic: "t", FilterPolicy: provision.Set(provision.FilterPolicy{"a": []string{"x"}})}}
	first, err := provision.Ensure(ctx, e.Clients, spec, provision.Options{})
	is.NoErr(err)

	var lists atomic.Int64
	clients := e.Clients
	clients.SNS = &faultySNS{SNS: e.SNS,
		listSubscriptionsByTopic: func(in *sns.ListSubscriptionsByTopicInput) (*sns.ListSubscriptionsByTopicOutput, error) {
			if lists.Add(1) == 1 {
				return &sns.ListSubscriptionsByTopicOutput{}, nil // not listed yet
			}
			return e.SNS.ListSubscriptionsByTopic(ctx, in)
		},
		subscribe: func(in *sns.SubscribeInput) error {
			if len(in.Attributes) > 0 {
				return &smithy.GenericAPIError{Code: "InvalidParameter", Message: "Invalid parameter: Attributes Reason: Subscription already exists with different attributes"}
			}
			return nil
		},
	}
	spec.Subscription.FilterPolicy = provision.Set(provision.FilterPolicy{"a": []string{"y"}})
	res, err := provision.Ensure(ctx, clients, spec, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(res.Calls), []string{"Subscribe", "Subscribe", "SetSubscriptionAttributes"})
	is.Equal(res.SubscriptionARNs, first.SubscriptionARNs)
	is.True(jsonEqual(subAttrs(t, e, first.SubscriptionARNs[0])["FilterPolicy"], `{"a":["y"]}`))
}

func TestEnsureMissingClients(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	_, err := provision.Ensure(ctx, provision.Clients{}, provision.Spec{Queue: provision.Queue{Name: "q"}}, provision.Options{})
	is.Equal(err.Error(), "provision: Clients.SQS is nil")
	_, err = provision.Ensure(ctx, provision.Clients{SQS: &faultySQS{}}, provision.Spec{Subscription: provision.Subscription{Topic: "t"}}, provision.Options{})
	is.Equal(err.Error(), "provision: Clients.SNS is nil but the spec subscribes to a topic")
	_, err = provision.Lookup(ctx, provision.Clients{}, provision.Spec{Queue: provision.Queue{Name: "q"}})
	is.Equal(err.Error(), "provision: Clients.SQS is nil")
}
