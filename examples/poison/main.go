// Command poison shows what happens to messages that fail: retries with
// backoff, the dead-letter queue (DLQ), and a redrive back to the queue.
//
// A shop publishes 20 orders to "order-placed"; the payments service charges
// them. Two of them cannot be handled yet:
//
//   - order 7 comes from a legacy publisher in a format the service does not
//     read. Decoding fails, which no retry can fix (a permanent failure), so
//     it goes to the DLQ at once.
//   - order 13 is declined by the payment provider, a failure that may pass:
//     it is retried with backoff (1s, then 2s) and, after its third receive,
//     SQS moves it to the DLQ (the queue's maxReceiveCount is 3).
//
// With both in the DLQ, the fix is deployed (the service learns the legacy
// format; the provider accepts order 13) and the DLQ is redriven: its
// messages are sent back to the queue, as they were, and both orders go
// through. In production you would deploy the fix and then run
// `sqsflow redrive payments-order-placed-dlq`; here the redrive runs in the
// same pipeline as the service, a source on the DLQ and a sink to the queue,
// which shows how little a redrive is.
//
//	go run ./examples/poison
//	go run ./examples/poison -endpoint http://127.0.0.1:4566
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// Config is one run of the example.
type Config struct {
	exampleenv.Env
}

func main() {
	exampleenv.Main(func(ctx context.Context, env exampleenv.Env) error {
		return run(ctx, Config{Env: env}, os.Stdout)
	})
}

const (
	orders          = 20
	legacyOrder     = 7  // published in a format the service cannot decode yet
	declinedOrder   = 13 // declined by the payment provider until the fix
	maxReceiveCount = 3
)

func run(ctx context.Context, cfg Config, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr := exampleenv.NewPrinter(out)
	pr.Printf("poison: %d orders, two of which fail, on %s", orders, cfg.Where)
	svc := &payments{pr: pr, done: exampleenv.NewCountdown(orders, cancel)} // stop once every order is charged
	var redriven source.Stats

	// Decoding failures are reported here: they are permanent, so the
	// source sends the message to the DLQ at once instead of retrying it.
	p := flow.New(flow.WithLogger(cfg.Logger), flow.WithErrorHandler(func(e *flow.StageError) {
		if flow.IsPermanent(e.Err) {
			pr.Printf("  message %s cannot be decoded, which no retry can fix: to the DLQ at once\n    (%v)", e.Meta.ID, e.Err)
		}
	}))

	// The payments service. A failed message comes back after the backoff
	// (Base·2^(n-1), capped at Max); after maxReceiveCount receives SQS
	// moves it to the DLQ.
	placed := source.SNSSQS(p, "order-placed", source.Options{
		AWS: cfg.AWS, Naming: cfg.Naming, Logger: cfg.Logger,
		Queue:      "payments-order-placed",
		DeadLetter: provision.Set(provision.DeadLetter{Queue: "payments-order-placed-dlq", MaxReceiveCount: maxReceiveCount}),
		Backoff:    source.Backoff{Base: time.Second, Max: 2 * time.Second},
	})
	charged := flow.Transform(envelope.Decode(placed, &envelope.JSONBase{}, svc.parse), "charge", svc.charge)
	sink.Ack(charged)

	// The redrive: once the DLQ holds both messages, deploy the fix and send
	// them back to the queue exactly as they were (the SNS notification
	// included), then delete them from the DLQ. (Stopped early, Batch hands
	// on fewer: without the fix they stay in the DLQ.)
	dead := source.SQS(p, "payments-order-placed-dlq", source.Options{
		AWS: cfg.AWS, Naming: cfg.Naming, Logger: cfg.Logger, Stats: &redriven,
	})
	both := stage.Tap(stage.Batch(dead, 2, time.Minute), func(dlq []envelope.Delivery) {
		if len(dlq) == 2 {
			pr.Printf("  the DLQ holds both messages; deploying the fix and redriving them")
			svc.fixed.Store(true)
		}
	})
	back := stage.FlatMap(both, 1, func(_ context.Context, dlq []envelope.Delivery) ([]envelope.Sealed, error) {
		if !svc.fixed.Load() {
			return nil, errors.New("not redriven: the fix is not deployed")
		}
		bodies := make([]envelope.Sealed, len(dlq))
		for i, d := range dlq {
			bodies[i] = envelope.Sealed{Payload: d.Body}
		}
		return bodies, nil
	})
	sink.SendSQS(back, "payments-order-placed", sink.WithAWS(cfg.AWS), sink.WithNaming(cfg.Naming), sink.WithBareBody())

	err := exampleenv.Run(ctx, func(ctx context.Context) error { return publish(ctx, cfg) }, p)
	if err != nil {
		return err
	}
	if left := svc.done.Left(); left > 0 {
		return fmt.Errorf("stopped with %d orders still to charge: %w", left, context.Cause(ctx))
	}
	pr.Printf("summary")
	pr.Printf("  orders charged        %2d (%d after the redrive)", svc.charged.Load(), svc.afterFix.Load())
	pr.Printf("  failed attempts       %2d (order %d, retried with backoff)", svc.declined.Load(), declinedOrder)
	pr.Printf("  redriven from the DLQ %2d (and deleted there: %d)", redriven.Received.Load(), redriven.Deleted.Load())
	return nil
}

// publish is the shop: orders 1 to 20, order 7 by the legacy publisher.
func publish(ctx context.Context, cfg Config) error {
	shop := sink.NewPublisher(sink.WithAWS(cfg.AWS), sink.WithNaming(cfg.Naming),
		sink.WithEnvelope(envelope.JSON(envelope.Service{Name: "shop"})))
	for id := 1; id <= orders; id++ {
		var data any = Order{ID: id, AmountCents: int64(1000 * id)}
		if id == legacyOrder {
			data = fmt.Sprintf("%d;%d", id, 1000*id) // the legacy format: "id;amount"
		}
		if _, err := shop.Publish(ctx, "order-placed", data); err != nil {
			return fmt.Errorf("publish order %d: %w", id, err)
		}
	}
	return nil
}
