package source_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// A source consumes a queue it provisions itself (here on the embedded
// emulator; with a real aws.Config, on AWS). The message below was sent as
// tomodachi's sqs_send_message sends it.
func ExampleSQS() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emu, _ := emulator.Start(ctx, emulator.Options{})
	defer emu.Close()

	p := flow.New()
	commands := envelope.DecodeJSON[map[string]string](source.SQS(p, "refunds", source.Options{
		AWS:        emu.Config(),
		DeadLetter: provision.Set(provision.DeadLetter{Queue: "refunds-dlq", MaxReceiveCount: 3}),
	}))
	stage.Each(commands, 1, func(_ context.Context, cmd map[string]string) error {
		fmt.Println("refund", cmd["order_id"])
		cancel() // one is enough for the example: drain and stop
		return nil
	})

	// Send once the queue exists.
	go func() {
		<-p.Started()
		client := sqs.NewFromConfig(emu.Config())
		url, _ := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("refunds")})
		body := `{"Type": "Message", "Message": "{\"metadata\": {\"data_encoding\": \"raw\"}, \"data\": {\"order_id\": \"A-1001\"}}"}`
		client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: url.QueueUrl, MessageBody: aws.String(body)})
	}()

	if err := p.Run(ctx); err != nil {
		fmt.Println(err)
	}
	// Output: refund A-1001
}
