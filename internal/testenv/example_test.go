package testenv_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsflow/sqsflow/internal/testenv"
)

// An integration test takes its endpoint and clients from New and its
// resource names from Name or CreateQueue, so it runs in parallel with
// others and against a shared external endpoint alike.
func Example() {
	_ = func(t *testing.T) {
		t.Parallel()
		env := testenv.New(t) // embedded emulator, or SQSFLOW_TEST_ENDPOINT
		_, url := env.CreateQueue(t, "orders", map[string]string{"VisibilityTimeout": "5"})
		if _, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{
			QueueUrl: &url, MessageBody: aws.String(`{"id":1}`),
		}); err != nil {
			t.Fatal(err)
		}
	}
}
