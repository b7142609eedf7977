package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"gocloud.dev/pubsub"
	"gocloud.dev/pubsub/awssnssqs"
)

// runGoCloud consumes with gocloud.dev/pubsub/awssnssqs v0.47.0, the
// subscription opened on the queue URL with clients made from the shared
// aws.Config (OpenSubscriptionV2 and OpenSNSTopicV2 take the SDK clients).
//
// Configuration for throughput, per the pubsub docs
// (ExampleSubscription_Receive_concurrent): Receive in a loop and handle
// each message in its own goroutine, with a semaphore of the window's size
// bounding the handlers. Batching is the driver's defaults: receives of up
// to 10 with up to 100 in flight, sized by the portable layer from the
// observed throughput; acks as DeleteMessageBatch of up to 10, sends as
// PublishBatch of up to 10, each with up to 100 batches in flight (a batch
// goes out as soon as a handler is free, so batches are as large as the
// backlog of the moment). WaitTime stays 0 (short polls), the default.
// SNSTopicARN is set so that only notifications of the input topic are
// unwrapped, as the SubscriptionOptions docs advise.
func runGoCloud(ctx context.Context, e *Env) error {
	j := e.Job
	sub := awssnssqs.OpenSubscriptionV2(ctx, sqs.NewFromConfig(e.AWS), j.QueueInURL,
		&awssnssqs.SubscriptionOptions{SNSTopicARN: j.TopicInARN})
	var topic *pubsub.Topic
	if j.Scenario == ScenarioTransform {
		topic = awssnssqs.OpenSNSTopicV2(ctx, sns.NewFromConfig(e.AWS), j.TopicOutARN, nil)
	}
	hctx := context.WithoutCancel(ctx) // handlers in flight finish on stop
	sem := make(chan struct{}, j.Window)
	var recvErr error
recv:
	for {
		msg, err := sub.Receive(ctx)
		if err != nil {
			if ctx.Err() == nil {
				recvErr = fmt.Errorf("gocloud receive: %w", err)
			}
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			msg.Nack()
			break recv
		}
		go func() {
			defer func() { <-sem }()
			o, err := openJSON[Order](msg.Body)
			if err != nil {
				msg.Nack()
				return
			}
			e.work(o)
			if topic != nil {
				body, err := sealJSON(j.TopicOut, invoice(o))
				if err == nil {
					err = topic.Send(hctx, &pubsub.Message{Body: body})
				}
				if err != nil {
					msg.Nack()
					return
				}
			}
			msg.Ack()
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	var errs []error
	if topic != nil {
		if err := topic.Shutdown(hctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := sub.Shutdown(hctx); err != nil {
		errs = append(errs, err)
	}
	if recvErr != nil {
		return recvErr
	}
	if len(errs) > 0 {
		return fmt.Errorf("gocloud shutdown: %v", errs)
	}
	return nil
}
