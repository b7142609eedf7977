package main

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// runRawSDK is the best hand-written aws-sdk-go-v2 code for the same work,
// the practical limit for client code: window/10 pollers (at least one),
// each long-polling batches of 10, handling a batch (its messages
// concurrently when each takes time), publishing its results with one
// PublishBatch and deleting it with one DeleteMessageBatch. No framework,
// no retries of partial batch failures beyond the SDK's own (failed entries
// are left to come back), no visibility heartbeat.
func runRawSDK(ctx context.Context, e *Env) error {
	j := e.Job
	r := &rawSDK{env: e, sqs: sqs.NewFromConfig(e.AWS), sns: sns.NewFromConfig(e.AWS)}
	var wg sync.WaitGroup
	for range max(1, j.Window/10) {
		wg.Go(func() { r.poll(ctx) })
	}
	wg.Wait()
	return nil
}

type rawSDK struct {
	env *Env
	sqs *sqs.Client
	sns *sns.Client
}

func (r *rawSDK) poll(ctx context.Context) {
	j := r.env.Job
	in := &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(j.QueueInURL),
		MaxNumberOfMessages: 10,
		WaitTimeSeconds:     20,
	}
	if j.FIFO {
		in.MessageSystemAttributeNames = []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameMessageGroupId}
	}
	for ctx.Err() == nil {
		out, err := r.sqs.ReceiveMessage(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(100 * time.Millisecond) // the SDK has retried already; back off a little
			continue
		}
		// A batch in hand is finished even when the run is being stopped.
		r.handle(context.WithoutCancel(ctx), out.Messages)
	}
}

// handle processes one received batch and deletes what was processed.
func (r *rawSDK) handle(ctx context.Context, msgs []sqstypes.Message) {
	if len(msgs) == 0 {
		return
	}
	j := r.env.Job
	orders := make([]Order, len(msgs))
	ok := make([]bool, len(msgs))
	for i, m := range msgs {
		o, err := decodeOrder(aws.ToString(m.Body))
		orders[i], ok[i] = o, err == nil
	}
	if j.SlowWork > 0 {
		// Each message takes time: handle the batch concurrently.
		var wg sync.WaitGroup
		for i := range msgs {
			if ok[i] {
				wg.Go(func() { r.env.work(orders[i]) })
			}
		}
		wg.Wait()
	} else {
		// In order: a FIFO batch holds each group's messages in order.
		for i := range msgs {
			if ok[i] {
				r.env.work(orders[i])
			}
		}
	}
	if j.Scenario == ScenarioTransform {
		r.publish(ctx, orders, ok)
	}
	var entries []sqstypes.DeleteMessageBatchRequestEntry
	for i, m := range msgs {
		if ok[i] {
			entries = append(entries, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(entries) > 0 {
		r.sqs.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(j.QueueInURL), Entries: entries})
	}
}

// publish sends the invoices of a batch with one PublishBatch; messages
// whose invoice was not published are not deleted (ok is cleared).
func (r *rawSDK) publish(ctx context.Context, orders []Order, ok []bool) {
	j := r.env.Job
	var entries []snstypes.PublishBatchRequestEntry
	for i, o := range orders {
		if !ok[i] {
			continue
		}
		body, err := sealJSON(j.TopicOut, invoice(o))
		if err != nil {
			ok[i] = false
			continue
		}
		entries = append(entries, snstypes.PublishBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), Message: aws.String(string(body))})
	}
	if len(entries) == 0 {
		return
	}
	out, err := r.sns.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: aws.String(j.TopicOutARN), PublishBatchRequestEntries: entries})
	if err != nil {
		clear(ok)
		return
	}
	for _, f := range out.Failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i < len(ok) {
			ok[i] = false
		}
	}
}
