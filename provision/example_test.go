package provision_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/provision"
)

// A spec names its queue exactly as tomodachi would, and is checked before
// any AWS call.
func Example() {
	spec := provision.Spec{
		Naming: provision.Naming{TopicPrefix: "dev-", QueuePrefix: "dev-"},
		Queue: provision.Queue{
			VisibilityTimeout: provision.Set(30 * time.Second),
			DeadLetter:        provision.Set(provision.DeadLetter{Queue: "billing-dlq", MaxReceiveCount: 5}),
			KMSKey:            provision.Remove[string](),
		},
		Subscription: provision.Subscription{
			Topic:        "order-created",
			FilterPolicy: provision.Set(provision.FilterPolicy{"currency": []string{"EUR", "USD"}}),
		},
	}
	name, err := spec.QueueName()
	fmt.Println(name, err)
	fmt.Println(spec.Naming.TopicName("order-created", false))
	fmt.Println(spec.Queue.VisibilityTimeout, spec.Queue.KMSKey, spec.Queue.KMSDataKeyReuse)

	spec.Queue.VisibilityTimeout = provision.Set(13 * time.Hour)
	fmt.Println(spec.Validate())
	// Output:
	// dev-a2f3d836c843f726e733201f2c8b3de13fac7b1bc4ec638563662f8125823e1c <nil>
	// dev-order-created
	// set(30s) remove leave
	// provision: invalid Queue.VisibilityTimeout: is 13h0m0s; allowed: 0s to 12h0m0s
}

// Provisioning a queue subscribed to a topic, here against the embedded
// emulator (against AWS, build the clients from config.LoadDefaultConfig):
// first a dry run that lists the calls it would make, then the real run,
// then a second run that finds nothing to change.
func ExampleEnsure() {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	cfg := srv.Config()
	clients := provision.Clients{SQS: sqs.NewFromConfig(cfg), SNS: sns.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg)}

	spec := provision.Spec{
		Queue: provision.Queue{
			Name:              "billing-order-created",
			VisibilityTimeout: provision.Set(time.Minute),
			DeadLetter:        provision.Set(provision.DeadLetter{Queue: "billing-dlq", MaxReceiveCount: 5}),
		},
		Subscription: provision.Subscription{
			Topic:        "order-created",
			FilterPolicy: provision.Set(provision.FilterPolicy{"currency": []string{"EUR", "USD"}}),
		},
	}
	plan, err := provision.Ensure(ctx, clients, spec, provision.Options{DryRun: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range plan.Calls {
		var names []string
		for _, p := range c.Params {
			names = append(names, p.Name)
		}
		fmt.Println("would call", c.Action, c.Target, names)
	}

	res, err := provision.Ensure(ctx, clients, spec, provision.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res.Calls), "calls; queue", res.QueueARN, "subscribed to", res.TopicARNs)

	again, err := provision.Ensure(ctx, clients, spec, provision.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(again.Calls), "calls the second time")
	// Output:
	// would call CreateQueue billing-order-created []
	// would call CreateQueue billing-dlq [MessageRetentionPeriod]
	// would call CreateTopic order-created []
	// would call SetQueueAttributes billing-order-created [Policy RedrivePolicy VisibilityTimeout]
	// would call Subscribe <ARN of topic order-created> [Protocol Endpoint FilterPolicy]
	// 5 calls; queue arn:aws:sqs:us-east-1:000000000000:billing-order-created subscribed to [arn:aws:sns:us-east-1:000000000000:order-created]
	// 0 calls the second time
}
