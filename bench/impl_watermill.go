package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wmsns "github.com/ThreeDotsLabs/watermill-aws/sns"
	wmsqs "github.com/ThreeDotsLabs/watermill-aws/sqs"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// runWatermill consumes with github.com/ThreeDotsLabs/watermill's Router
// over watermill-aws v1.0.2: an sns.Subscriber (which creates the queue if
// missing, sets its policy and subscribes it to the topic with raw message
// delivery, its default) and, for transform, an sns.Publisher whose
// messages the router publishes before it acks.
//
// Configuration for throughput, per the sqs.SubscriberConfig docs:
// ConsumeWorkers ("the number of goroutines that will concurrently receive
// and process messages") is the window, since each worker handles one
// message at a time; ReceiveMessage asks for 10 messages instead of the
// default 1 (GenerateReceiveMessageInput). Each worker hands its batch to
// the router one message at a time and deletes each with DeleteMessage
// after its ack; the publisher sends one Publish per message. Neither has a
// batch mode.
func runWatermill(ctx context.Context, e *Env) error {
	j := e.Job
	logger := watermill.NopLogger{}
	account, region, err := arnAccountRegion(j.TopicInARN)
	if err != nil {
		return err
	}
	resolver, err := wmsns.NewGenerateArnTopicResolver(account, region)
	if err != nil {
		return err
	}
	queueAttrs := wmsqs.QueueConfigAttributes{}
	if j.FIFO {
		queueAttrs.FifoQueue = true
	}
	sub, err := wmsns.NewSubscriber(
		wmsns.SubscriberConfig{
			AWSConfig:     e.AWS,
			TopicResolver: resolver,
			GenerateSqsQueueName: func(context.Context, wmsns.TopicArn) (string, error) {
				return j.QueueIn, nil
			},
		},
		wmsqs.SubscriberConfig{
			AWSConfig:             e.AWS,
			ConsumeWorkers:        j.Window,
			QueueConfigAttributes: queueAttrs,
			GenerateReceiveMessageInput: func(ctx context.Context, url wmsqs.QueueURL) (*sqs.ReceiveMessageInput, error) {
				in, err := wmsqs.GenerateReceiveMessageInputDefault(ctx, url)
				if err != nil {
					return nil, err
				}
				in.MaxNumberOfMessages = 10
				return in, nil
			},
		},
		logger)
	if err != nil {
		return fmt.Errorf("watermill subscriber: %w", err)
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 30 * time.Second}, logger)
	if err != nil {
		return err
	}
	switch j.Scenario {
	case ScenarioTransform:
		pub, err := wmsns.NewPublisher(wmsns.PublisherConfig{AWSConfig: e.AWS, TopicResolver: resolver}, logger)
		if err != nil {
			return fmt.Errorf("watermill publisher: %w", err)
		}
		router.AddHandler("transform", j.TopicInName, sub, j.TopicOutName, pub, func(msg *message.Message) ([]*message.Message, error) {
			o, err := openJSON[Order](msg.Payload)
			if err != nil {
				return nil, err
			}
			e.work(o)
			body, err := sealJSON(j.TopicOut, invoice(o))
			if err != nil {
				return nil, err
			}
			return []*message.Message{message.NewMessage(watermill.NewUUID(), body)}, nil
		})
	default:
		router.AddConsumerHandler("consume", j.TopicInName, sub, func(msg *message.Message) error {
			o, err := openJSON[Order](msg.Payload)
			if err != nil {
				return err
			}
			e.work(o)
			return nil
		})
	}
	return router.Run(ctx) // closes the router (and the subscriber) when ctx is done
}

// arnAccountRegion returns the account and region of an ARN.
func arnAccountRegion(arn string) (account, region string, err error) {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 {
		return "", "", fmt.Errorf("not an ARN: %q", arn)
	}
	return parts[4], parts[3], nil
}
