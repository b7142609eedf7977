package sink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/sink"
)

// A Publisher publishes single messages in tomodachi's JSON base envelope;
// sink.PublishSNS does the same for a whole stream, in batches.
func ExamplePublisher() {
	ctx := context.Background()
	emu, _ := emulator.Start(ctx, emulator.Options{})
	defer emu.Close()

	// A subscriber to look at what is published.
	snsc, sqsc := sns.NewFromConfig(emu.Config()), sqs.NewFromConfig(emu.Config())
	topic, _ := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("invoice-created")})
	queue, _ := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("audit")})
	snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"),
		Endpoint: aws.String("arn:aws:sqs:us-east-1:000000000000:audit"), Attributes: map[string]string{"RawMessageDelivery": "true"}})

	pub := sink.NewPublisher(sink.WithAWS(emu.Config()),
		sink.WithEnvelope(envelope.JSON(envelope.Service{Name: "billing", UUID: "5d0b530f-5c44-4981-b01f-342801bd48f5"})))
	if _, err := pub.Publish(ctx, "invoice-created", map[string]any{"order_id": "A-1001", "total": 125},
		sink.WithAttributes(map[string]any{"currency": "EUR"})); err != nil {
		fmt.Println(err)
		return
	}

	out, _ := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, WaitTimeSeconds: 5, MessageAttributeNames: []string{"All"}})
	var env struct {
		Service  struct{ Name string }
		Metadata struct {
			ProtocolVersion string `json:"protocol_version"`
			Topic           string
		}
		Data map[string]any
	}
	json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &env)
	fmt.Println(env.Service.Name, env.Metadata.ProtocolVersion, env.Metadata.Topic, env.Data["order_id"])
	fmt.Println(aws.ToString(out.Messages[0].MessageAttributes["currency"].StringValue))
	// Output:
	// billing tomodachi-json-base--1.0.0 invoice-created A-1001
	// EUR
}

// A batch publisher gathers concurrent calls into batch requests: here a
// hundred goroutines publish with ten requests between them, and each gets
// its own message id.
func ExampleNewBatchPublisher() {
	ctx := context.Background()
	emu, _ := emulator.Start(ctx, emulator.Options{})
	defer emu.Close()

	var stats sink.Stats
	pub := sink.NewBatchPublisher(sink.WithAWS(emu.Config()), sink.WithStats(&stats),
		sink.WithLinger(time.Second)) // how long a batch may wait to fill
	defer pub.Close()
	if _, err := pub.Publish(ctx, "page-viewed", map[string]any{"warm": "up"}); err != nil {
		fmt.Println(err) // the first call creates the topic
		return
	}

	ids := make(chan string, 100)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			id, err := pub.Publish(ctx, "page-viewed", map[string]any{"page": i})
			if err != nil {
				fmt.Println(err)
			}
			ids <- id
		})
	}
	wg.Wait()
	close(ids)
	distinct := map[string]bool{}
	for id := range ids {
		distinct[id] = true
	}
	fmt.Println(len(distinct), "messages,", stats.Requests.Load()-1, "requests")
	// Output: 100 messages, 10 requests
}
