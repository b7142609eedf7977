package awsiface_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsflow/sqsflow/internal/awsiface"
)

// failingSend wraps an SQS client and fails every SendMessage; all other calls
// go to the wrapped client.
type failingSend struct {
	awsiface.SQS
}

func (failingSend) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return nil, errors.New("injected failure")
}

func Example() {
	var client awsiface.SQS = failingSend{SQS: sqs.New(sqs.Options{Region: "us-east-1"})}
	_, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{})
	fmt.Println(err)
	// Output: injected failure
}
