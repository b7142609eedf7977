package provision_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/provision"
)

func TestEnsureTopic(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	e := newEnv(t)
	clients := e.Clients
	clients.Region = "us-east-1"

	// Lookup-only finds nothing before the topic exists.
	lookup := provision.Topic{Name: "invoice-created", LookupOnly: true}
	_, err := provision.EnsureTopic(ctx, clients, e.Naming, lookup, provision.Options{})
	var nf *provision.TopicNotFoundError
	is.True(errors.As(err, &nf))
	is.Equal(nf.Topic, e.Prefix+"invoice-created")
	is.True(strings.HasSuffix(nf.ARN, ":"+e.Prefix+"invoice-created"))

	// Dry run plans the creation.
	topic := provision.Topic{Name: "invoice-created", Attributes: map[string]string{"DisplayName": "invoices"}}
	plan, err := provision.EnsureTopic(ctx, clients, e.Naming, topic, provision.Options{DryRun: true})
	is.NoErr(err)
	is.Equal(len(plan.Calls), 1)
	is.Equal(plan.Calls[0].String(), "CreateTopic "+e.Prefix+"invoice-created DisplayName=invoices")
	is.Equal(plan.ARN, "")

	res, err := provision.EnsureTopic(ctx, clients, e.Naming, topic, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(res.Calls), []string{"CreateTopic"})
	is.Equal(res.Name, e.Prefix+"invoice-created")
	is.True(strings.HasSuffix(res.ARN, ":"+e.Prefix+"invoice-created"))
	is.Equal(topicAttrs(t, e, res.ARN)["DisplayName"], "invoices")

	// Found by its ARN (STS account + region): no call the second time.
	again, err := provision.EnsureTopic(ctx, clients, e.Naming, topic, provision.Options{})
	is.NoErr(err)
	is.Equal(len(again.Calls), 0)
	is.Equal(again.ARN, res.ARN)

	// The region can come from the *sns.Client itself.
	again, err = provision.EnsureTopic(ctx, e.Clients, e.Naming, lookup, provision.Options{})
	is.NoErr(err)
	is.Equal(again.ARN, res.ARN)
	is.Equal(len(again.Calls), 0)

	// A changed attribute is set on the existing topic, one call per attribute.
	topic.Attributes["DisplayName"] = "bills"
	topic.KMSKey = provision.Set("alias/bills")
	again, err = provision.EnsureTopic(ctx, clients, e.Naming, topic, provision.Options{})
	is.NoErr(err)
	is.Equal(actions(again.Calls), []string{"SetTopicAttributes", "SetTopicAttributes"})
	ta := topicAttrs(t, e, res.ARN)
	is.Equal(ta["DisplayName"], "bills")
	is.Equal(ta["KmsMasterKeyId"], "alias/bills")

	// FIFO topics get the suffix and the FIFO attributes.
	fifo, err := provision.EnsureTopic(ctx, clients, e.Naming, provision.Topic{Name: "invoice-events", FIFO: true}, provision.Options{})
	is.NoErr(err)
	is.True(strings.HasSuffix(fifo.ARN, ":"+e.Prefix+"invoice-events.fifo"))
	is.Equal(topicAttrs(t, e, fifo.ARN)["FifoTopic"], "true")
}

func TestEnsureTopicValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		topic provision.Topic
		text  string
	}{
		{"empty", provision.Topic{}, "is empty"},
		{"dotted", provision.Topic{Name: "a.b"}, "contains '.'"},
		{"fifo name standard", provision.Topic{Name: "a.fifo"}, `"a.fifo" has a ".fifo" name`},
		{"fifo attr", provision.Topic{Name: "a", Attributes: map[string]string{"FifoTopic": "true"}}, "must not contain FifoTopic"},
		{"kms attr", provision.Topic{Name: "a", Attributes: map[string]string{"KmsMasterKeyId": "k"}}, "must not contain KmsMasterKeyId"},
		{"kms empty", provision.Topic{Name: "a", KMSKey: provision.Set("")}, "Remove"},
		{"lookup with change", provision.Topic{Name: "a", LookupOnly: true, KMSKey: provision.Remove[string]()}, "never changed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			_, err := provision.EnsureTopic(ctx, provision.Clients{}, provision.Naming{}, c.topic, provision.Options{})
			is.True(err != nil)
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not mention %q", err, c.text)
			}
		})
	}
}
