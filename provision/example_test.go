package provision_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

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

// Provisioning against AWS (or any endpoint the AWS config chain points at),
// first as a dry run that prints the calls it would make.
func ExampleEnsure() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	clients := provision.Clients{SQS: sqs.NewFromConfig(cfg), SNS: sns.NewFromConfig(cfg), STS: sts.NewFromConfig(cfg)}
	spec := provision.Spec{
		Queue:        provision.Queue{Name: "billing-order-created", VisibilityTimeout: provision.Set(time.Minute)},
		Subscription: provision.Subscription{Topic: "order-created"},
	}
	plan, err := provision.Ensure(ctx, clients, spec, provision.Options{DryRun: true})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range plan.Calls {
		fmt.Println("would call", c)
	}
	res, err := provision.Ensure(ctx, clients, spec, provision.Options{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("consuming from", res.QueueURL)
}
