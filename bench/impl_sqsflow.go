package main

import (
	"context"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// runSQSFlow is the pipeline as a user writes it from the README:
// source.SNSSQS (which provisions the queue's subscription to the topic),
// envelope.DecodeJSON, a stage, and sink.PublishSNS or an acking end.
//
// Configuration for throughput, per the source.Options docs: Window is the
// in-flight bound (the harness's -window, or the slow scenario's window);
// Receivers, the number of concurrent long polls, is one per 50 messages of
// window (at least 2, the default): a poll returns at most 10 messages, and
// a few polls in flight keep the window full while the pipeline works.
// Stages run 16 handlers at once (the README's figure), or the whole window
// when each message sleeps. Everything else (batched deletes with a 50ms
// linger, PublishBatch with a 5ms linger and 8 batches in flight) is the
// default.
func runSQSFlow(ctx context.Context, e *Env) error { return sqsflowPipeline(ctx, e, false) }

// runSQSFlowStrict is runSQSFlow with source.Options.StrictOrder: a FIFO
// group has one message in the pipeline at a time.
func runSQSFlowStrict(ctx context.Context, e *Env) error { return sqsflowPipeline(ctx, e, true) }

func sqsflowPipeline(ctx context.Context, e *Env, strict bool) error {
	j := e.Job
	p := flow.New(flow.WithLogger(quiet))
	deliveries := source.SNSSQS(p, j.TopicIn, source.Options{
		AWS:         e.AWS,
		Queue:       j.QueueIn,
		FIFO:        j.FIFO,
		StrictOrder: strict,
		Window:      j.Window,
		Receivers:   max(2, min(64, j.Window/50)),
		Logger:      quiet,
	})
	orders := envelope.DecodeJSON[Order](deliveries)
	handlers := 16
	if j.SlowWork > 0 {
		handlers = j.Window
	}
	switch j.Scenario {
	case ScenarioTransform:
		invoices := stage.Map(orders, handlers, func(_ context.Context, o Order) (Invoice, error) {
			e.work(o)
			return invoice(o), nil
		})
		sink.PublishSNS(invoices, j.TopicOut,
			sink.WithAWS(e.AWS),
			sink.WithEnvelope(envelope.JSON(envelope.Service{Name: benchService.Name, UUID: benchService.UUID})))
	case ScenarioFIFO:
		handled := stage.KeyedMap(orders, handlers, stage.ByGroup[Order], func(_ context.Context, o Order) (Order, error) {
			e.work(o)
			return o, nil
		})
		sink.Ack(handled)
	default:
		stage.Each(orders, handlers, func(_ context.Context, o Order) error {
			e.work(o)
			return nil
		})
	}
	return p.Run(ctx)
}
