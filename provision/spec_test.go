package provision_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/internal/naming"
	"github.com/sqsflow/sqsflow/provision"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	sub := provision.Subscription{Topic: "order-created"}
	cases := []struct {
		name  string
		spec  provision.Spec
		field string // "" = valid; "FIFO" = *FIFOMismatchError
		text  string // part of the message
	}{
		{"minimal", provision.Spec{Queue: provision.Queue{Name: "q"}}, "", ""},
		{"auto", provision.Spec{Subscription: sub}, "", ""},
		{"no name no topic", provision.Spec{}, "Queue.Name", "no Subscription.Topic"},
		{"bad queue chars", provision.Spec{Queue: provision.Queue{Name: "a b"}}, "Queue.Name", `contains ' '`},
		{"queue too long with prefix", provision.Spec{Naming: provision.Naming{QueuePrefix: "p-"}, Queue: provision.Queue{Name: strings.Repeat("q", 79)}}, "Queue.Name", "81 characters"},
		{"auto prefix too long", provision.Spec{Naming: provision.Naming{QueuePrefix: strings.Repeat("p", 17)}, Subscription: sub}, "Naming.QueuePrefix", "81 characters"},
		{"auto prefix 16", provision.Spec{Naming: provision.Naming{QueuePrefix: strings.Repeat("p", 16)}, Subscription: sub}, "", ""},
		{"non-competing half", provision.Spec{Queue: provision.Queue{NonCompeting: provision.NonCompeting{Handler: "h"}}, Subscription: sub}, "Queue.NonCompeting", "needs both"},
		{"non-competing with name", provision.Spec{Queue: provision.Queue{Name: "q", NonCompeting: provision.NonCompeting{Handler: "h", ServiceUUID: "u"}}, Subscription: sub}, "Queue.NonCompeting", "explicitly named"},
		{"queue fifo name standard", provision.Spec{Queue: provision.Queue{Name: "q.fifo"}}, "FIFO", `queue "q.fifo" has a ".fifo" name, so it is a FIFO queue, but the spec asks for standard`},
		{"queue standard name fifo", provision.Spec{Queue: provision.Queue{Name: "q", FIFO: true}}, "FIFO", `has no ".fifo" suffix`},
		{"queue arn", provision.Spec{Queue: provision.Queue{Name: "arn:aws:sqs:us-east-1:123456789012:q"}}, "", ""},
		{"queue bad arn", provision.Spec{Queue: provision.Queue{Name: "arn:aws:sqs:us-east-1:abc:q"}}, "Queue.Name", `account "abc"`},
		{"visibility max", provision.Spec{Queue: provision.Queue{Name: "q", VisibilityTimeout: provision.Set(12 * time.Hour)}}, "", ""},
		{"visibility over", provision.Spec{Queue: provision.Queue{Name: "q", VisibilityTimeout: provision.Set(12*time.Hour + time.Second)}}, "Queue.VisibilityTimeout", "allowed: 0s to 12h0m0s"},
		{"visibility negative", provision.Spec{Queue: provision.Queue{Name: "q", VisibilityTimeout: provision.Set(-time.Second)}}, "Queue.VisibilityTimeout", "allowed"},
		{"visibility fraction", provision.Spec{Queue: provision.Queue{Name: "q", VisibilityTimeout: provision.Set(1500 * time.Millisecond)}}, "Queue.VisibilityTimeout", "whole number of seconds"},
		{"reuse under", provision.Spec{Queue: provision.Queue{Name: "q", KMSDataKeyReuse: provision.Set(59 * time.Second)}}, "Queue.KMSDataKeyReuse", "allowed: 1m0s to 24h0m0s"},
		{"kms empty", provision.Spec{Queue: provision.Queue{Name: "q", KMSKey: provision.Set("")}}, "Queue.KMSKey", "Remove"},
		{"dlq count 0", provision.Spec{Queue: provision.Queue{Name: "q", DeadLetter: provision.Set(provision.DeadLetter{Queue: "d"})}}, "Queue.DeadLetter.MaxReceiveCount", "is 0; allowed: 1 to 1000"},
		{"dlq count 1001", provision.Spec{Queue: provision.Queue{Name: "q", DeadLetter: provision.Set(provision.DeadLetter{Queue: "d", MaxReceiveCount: 1001})}}, "Queue.DeadLetter.MaxReceiveCount", "1001"},
		{"dlq empty", provision.Spec{Queue: provision.Queue{Name: "q", DeadLetter: provision.Set(provision.DeadLetter{MaxReceiveCount: 3})}}, "Queue.DeadLetter.Queue", "empty"},
		{"dlq url", provision.Spec{Queue: provision.Queue{Name: "q", DeadLetter: provision.Set(provision.DeadLetter{Queue: "https://h/1/d", MaxReceiveCount: 3})}}, "Queue.DeadLetter.Queue", "is a URL"},
		{"dlq fifo mismatch", provision.Spec{Queue: provision.Queue{Name: "q.fifo", FIFO: true, DeadLetter: provision.Set(provision.DeadLetter{Queue: "d", MaxReceiveCount: 3})}}, "FIFO", `dead-letter queue "d" has no ".fifo" suffix`},
		{"dlq arn", provision.Spec{Queue: provision.Queue{Name: "q", DeadLetter: provision.Set(provision.DeadLetter{Queue: "arn:aws:sqs:us-east-1:123456789012:d", MaxReceiveCount: 3})}}, "", ""},
		{"topic dotted", provision.Spec{Subscription: provision.Subscription{Topic: "order.created"}}, "Subscription.Topic", `contains '.'`},
		{"topic fifo name standard", provision.Spec{Subscription: provision.Subscription{Topic: "orders.fifo"}}, "FIFO", `topic "orders.fifo"`},
		{"topic fifo", provision.Spec{Queue: provision.Queue{FIFO: true}, Subscription: provision.Subscription{Topic: "orders.fifo"}}, "", ""},
		{"pattern dotted", provision.Spec{Subscription: provision.Subscription{Topic: "order.*"}}, "", ""},
		{"pattern with kms", provision.Spec{Subscription: provision.Subscription{Topic: "order.*", TopicKMSKey: provision.Remove[string]()}}, "Subscription.TopicKMSKey", "pattern"},
		{"topic too long with prefix", provision.Spec{Naming: provision.Naming{TopicPrefix: "p-"}, Queue: provision.Queue{Name: "q"}, Subscription: provision.Subscription{Topic: strings.Repeat("t", 256)}}, "Subscription.Topic", "258 characters"},
		{"filter without topic", provision.Spec{Queue: provision.Queue{Name: "q"}, Subscription: provision.Subscription{FilterPolicy: provision.Set(provision.FilterPolicy{"a": []string{"b"}})}}, "Subscription.FilterPolicy", "Topic is empty"},
		{"raw without topic", provision.Spec{Queue: provision.Queue{Name: "q"}, Subscription: provision.Subscription{RawMessageDelivery: provision.Remove[bool]()}}, "Subscription.RawMessageDelivery", "Topic is empty"},
		{"filter empty", provision.Spec{Subscription: provision.Subscription{Topic: "t", FilterPolicy: provision.Set(provision.FilterPolicy{})}}, "Subscription.FilterPolicy", "empty policy"},
		{"filter not json", provision.Spec{Subscription: provision.Subscription{Topic: "t", FilterPolicy: provision.Set(provision.FilterPolicy{"n": math.NaN()})}}, "Subscription.FilterPolicy", "JSON"},
		{"scope unknown", provision.Spec{Subscription: provision.Subscription{Topic: "t", FilterPolicyScope: provision.Set(provision.FilterPolicyScope("Body"))}}, "Subscription.FilterPolicyScope", `allowed: "MessageAttributes", "MessageBody"`},
		{"topic kms empty", provision.Spec{Subscription: provision.Subscription{Topic: "t", TopicKMSKey: provision.Set("")}}, "Subscription.TopicKMSKey", "Remove"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			err := c.spec.Validate()
			switch c.field {
			case "":
				is.NoErr(err)
				return
			case "FIFO":
				var fe *provision.FIFOMismatchError
				is.True(errors.As(err, &fe))
			default:
				var se *provision.SpecError
				is.True(errors.As(err, &se))
				is.Equal(se.Field, c.field)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not mention %q", err, c.text)
			}
		})
	}
}

func TestValidateNameErrorReachable(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	err := provision.Spec{Queue: provision.Queue{Name: strings.Repeat("q", 81)}}.Validate()
	var ne *provision.InvalidNameError
	is.True(errors.As(err, &ne))
	is.Equal(ne.Problem, naming.TooLong)
	is.Equal(err.Error(), `provision: invalid Queue.Name: invalid queue name "`+strings.Repeat("q", 81)+`": is 81 characters long; at most 80 are allowed`)
}

func TestSpecQueueName(t *testing.T) {
	t.Parallel()
	const svc = "5d0b530f-5c44-4981-b01f-342801bd48f5"
	cases := []struct {
		spec provision.Spec
		want string
	}{
		{provision.Spec{Naming: provision.Naming{QueuePrefix: "dev-"}, Subscription: provision.Subscription{Topic: "test-topic"}},
			"dev-c6fb053c1b70aabd10bfefd087166b532b7c79ed12d24f2d43a9999c724797fd"},
		{provision.Spec{Queue: provision.Queue{NonCompeting: provision.NonCompeting{Handler: "func", ServiceUUID: svc}}, Subscription: provision.Subscription{Topic: "test-topic"}},
			"45b56d76d14276da54c0ef65ca5c604ab9d0301bbebf4d6ad11e91dd496c2975"},
		{provision.Spec{Naming: provision.Naming{QueuePrefix: "dev-"}, Queue: provision.Queue{FIFO: true, NonCompeting: provision.NonCompeting{Handler: "handler", ServiceUUID: svc}}, Subscription: provision.Subscription{Topic: "test-fifo-topic"}},
			"dev-a4c57108181e9f1f0c52ddc7e8aea747771c8a0b2cfa30db172e7ddec4d38b06.fifo"},
		{provision.Spec{Naming: provision.Naming{QueuePrefix: "dev-"}, Queue: provision.Queue{Name: "billing"}}, "dev-billing"},
		{provision.Spec{Naming: provision.Naming{QueuePrefix: "dev-"}, Queue: provision.Queue{Name: "arn:aws:sqs:eu-west-1:123456789012:billing"}}, "billing"},
	}
	for _, c := range cases {
		is := is.New(t)
		got, err := c.spec.QueueName()
		is.NoErr(err)
		is.Equal(got, c.want)
	}
}
