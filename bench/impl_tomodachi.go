package main

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// runTomodachi reproduces the AWS request pattern of a tomodachi
// @aws_sns_sqs handler (tomodachi-spec.md sections 3.2, 3.3, 3.6 and 7.1),
// standing in for a tomodachi service's AWS cost: one receive loop per
// handler; ReceiveMessage of up to 10 (1 on a FIFO queue) with
// WaitTimeSeconds 20; every message of the batch handled concurrently; the
// loop waits for all of them before it receives again; each handled
// message is deleted with its own DeleteMessage, and each publish is its
// own Publish (tomodachi has no batch calls; the topic ARN is cached after
// the first lookup, so it costs nothing per message). The window does not
// apply: the pattern has at most 10 messages in flight per handler.
func runTomodachi(ctx context.Context, e *Env) error {
	j := e.Job
	sqsc, snsc := sqs.NewFromConfig(e.AWS), sns.NewFromConfig(e.AWS)
	maxMessages := int32(10)
	if j.FIFO {
		maxMessages = 1
	}
	in := &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(j.QueueInURL),
		MaxNumberOfMessages: maxMessages,
		WaitTimeSeconds:     20,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{
			sqstypes.MessageSystemAttributeNameApproximateReceiveCount,
			sqstypes.MessageSystemAttributeNameMessageDeduplicationId,
			sqstypes.MessageSystemAttributeNameMessageGroupId,
		},
		MessageAttributeNames: []string{"All"},
	}
	hctx := context.WithoutCancel(ctx) // running handlers are awaited on stop (spec 3.7)
	for ctx.Err() == nil {
		out, err := sqsc.ReceiveMessage(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			time.Sleep(time.Second) // spec 3.5: warn and sleep 1s
			continue
		}
		var wg sync.WaitGroup
		for _, m := range out.Messages {
			wg.Go(func() {
				del := func() {
					sqsc.DeleteMessage(hctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(j.QueueInURL), ReceiptHandle: m.ReceiptHandle})
				}
				o, err := decodeOrder(aws.ToString(m.Body))
				if err != nil {
					del() // spec 3.4/3.6: unparseable bodies are deleted
					return
				}
				e.work(o)
				if j.Scenario == ScenarioTransform {
					body, err := sealJSON(j.TopicOut, invoice(o))
					if err == nil {
						_, err = snsc.Publish(hctx, &sns.PublishInput{TopicArn: aws.String(j.TopicOutARN), Message: aws.String(string(body))})
					}
					if err != nil {
						del() // spec 3.6: any other exception deletes the message
						return
					}
				}
				del()
			})
		}
		wg.Wait()
	}
	return nil
}
