// Command etl is an extract-transform-load consumer built with sqsflow.
//
// A shop publishes orders to the SNS topic "order-placed". The billing
// service subscribes with a filter policy (EUR and USD orders only), decodes
// each order, keeps the paid ones, enriches them with customer data into
// invoices and publishes those to "invoice-created". The reporting service
// collects the invoices and prints them. Progress (counts and rates) is
// printed while it runs, a summary at the end.
//
//	go run ./examples/etl                  # on the embedded emulator
//	go run ./examples/etl -orders 20000
//	go run ./examples/etl -endpoint http://127.0.0.1:4566 -v
//	go run ./examples/etl -aws             # real AWS (creates and deletes its topics and queues)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

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
	Orders   int           // how many orders the shop publishes
	Progress time.Duration // how often progress is printed
}

func main() {
	cfg := Config{Orders: 10000, Progress: 500 * time.Millisecond}
	flag.IntVar(&cfg.Orders, "orders", cfg.Orders, "how many orders the shop publishes")
	flag.DurationVar(&cfg.Progress, "progress", cfg.Progress, "how often progress is printed")
	exampleenv.Main(func(ctx context.Context, env exampleenv.Env) error {
		cfg.Env = env
		return run(ctx, cfg, os.Stdout)
	})
}

// The billing service accepts these currencies: its subscription's filter
// policy makes SNS deliver only such orders to its queue.
var accepted = []string{"EUR", "USD"}

func run(ctx context.Context, cfg Config, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr := exampleenv.NewPrinter(out)
	orders := shopOrders(cfg.Orders)
	delivered := countOf(orders, func(o Order) bool { return slices.Contains(accepted, o.Currency) })
	invoiced := countOf(orders, func(o Order) bool { return slices.Contains(accepted, o.Currency) && o.Paid })
	pr.Printf("etl: %d orders through billing and reporting on %s", len(orders), cfg.Where)

	// The example is over when billing has seen every order the filter
	// policy lets through and reporting has every invoice: then cancel
	// both pipelines, which drain and return.
	done := exampleenv.NewCountdown(delivered+invoiced, cancel)
	var st stats

	// The billing service: EUR and USD orders -> the paid ones -> invoices.
	billing := flow.New(flow.WithLogger(cfg.Logger))
	placed := source.SNSSQS(billing, "order-placed", source.Options{
		AWS: cfg.AWS, Naming: cfg.Naming, Logger: cfg.Logger, Stats: &st.billingIn,
		Queue:        "billing-order-placed",
		FilterPolicy: provision.Set(provision.FilterPolicy{"currency": accepted}),
	})
	received := stage.Tap(envelope.DecodeJSON[Order](placed), func(o Order) {
		if st.orders.add(o.ID) { // delivery is at least once: count each order once
			done.Count()
		}
	})
	paid := stage.Filter(received, func(o Order) bool { return o.Paid })
	invoices := stage.Map(paid, 8, enrich)
	sink.PublishSNS(invoices, "invoice-created",
		sink.WithAWS(cfg.AWS), sink.WithNaming(cfg.Naming), sink.WithStats(&st.billingOut),
		sink.WithEnvelope(envelope.JSON(envelope.Service{Name: "billing"})))

	// The reporting service: every invoice, collected and printed.
	reporting := flow.New(flow.WithLogger(cfg.Logger))
	created := source.SNSSQS(reporting, "invoice-created", source.Options{
		AWS: cfg.AWS, Naming: cfg.Naming, Logger: cfg.Logger, Stats: &st.reportingIn,
		Queue: "reporting-invoice-created",
	})
	report := newReport()
	stage.Each(envelope.DecodeJSON[Invoice](created), 1, func(_ context.Context, inv Invoice) error {
		if n, isNew := report.add(inv); isNew {
			if n <= 3 {
				pr.Printf("  collected %v", inv)
			}
			done.Count()
		}
		return nil
	})

	// Run both services; once both have subscribed, the shop publishes.
	var start time.Time
	stopProgress := func() {}
	err := exampleenv.Run(ctx, func(ctx context.Context) error {
		start = time.Now()
		stopProgress = exampleenv.Every(cfg.Progress, func() { st.progress(pr, start, report) })
		return publish(ctx, cfg, orders)
	}, billing, reporting)
	stopProgress()
	elapsed := time.Since(start)
	if err != nil {
		return err
	}
	if left := done.Left(); left > 0 {
		return fmt.Errorf("stopped with %d messages still to come: %w", left, context.Cause(ctx))
	}
	st.summary(pr, len(orders), report, elapsed)
	return nil
}

// publish is the shop: it publishes every order to "order-placed", with its
// currency as a message attribute for the filter policy, a few at a time.
func publish(ctx context.Context, cfg Config, orders []Order) error {
	shop := sink.NewPublisher(sink.WithAWS(cfg.AWS), sink.WithNaming(cfg.Naming),
		sink.WithEnvelope(envelope.JSON(envelope.Service{Name: "shop"})))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, o := range orders {
		if ctx.Err() != nil {
			break // stopped, or a publish failed
		}
		g.Go(func() error {
			_, err := shop.Publish(ctx, "order-placed", o, sink.WithAttributes(map[string]any{"currency": o.Currency}))
			return err
		})
	}
	return g.Wait()
}
