package naming_test

import (
	"fmt"

	"github.com/sqsflow/sqsflow/internal/naming"
)

func Example() {
	fmt.Println(naming.TopicName("dev-", "order.created", true))
	fmt.Println(naming.QueueName("dev-", "order-created", true, "", "", false))
	fmt.Println(naming.TopicFromARN("arn:aws:sns:eu-west-1:123456789012:dev-order___2e_created", "dev-"))
	fmt.Println(naming.ValidateQueueName("dev-billing.fifo"))
	fmt.Println(naming.ValidateTopic("order created"))
	// Output:
	// dev-order___2e_created.fifo
	// dev-a2f3d836c843f726e733201f2c8b3de13fac7b1bc4ec638563662f8125823e1c
	// order.created
	// <nil>
	// invalid topic name "order created": contains ' ' at byte 5; only A-Z, a-z, 0-9, '_' and '-' are allowed (plus a ".fifo" suffix)
}
