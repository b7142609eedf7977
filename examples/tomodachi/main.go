// Command tomodachi shows a Go service and tomodachi (Python) services
// talking over SNS and SQS, each in its own format, with no adapter between.
//
// Two tomodachi services publish, exactly as tomodachi's
// aws_sns_sqs_publish does: "order_service" sends orders to "order-created"
// in the JSON base envelope (tomodachi-json-base--1.0.0) with a message
// attribute, and "person_service" sends Person messages to "person-created"
// in the protobuf base envelope (tomodachi-protobuf-base--1.0.0).
//
// The Go service consumes both (DecodeJSON, DecodeProto), prints what a
// tomodachi handler would receive (topic, message_uuid, message_attributes,
// data), and answers each order on "order-confirmed" in the JSON base
// envelope. A third tomodachi service's handler consumes the answers: it is
// shown the payload as it arrives, the envelope tomodachi's JsonBase parses.
//
// Queues are named as tomodachi names them (source.Options.Queue left
// empty), topics are encoded as tomodachi encodes them, and prefixes work as
// tomodachi's topic_prefix and queue_name_prefix.
//
//	go run ./examples/tomodachi
//	go run ./examples/tomodachi -endpoint http://127.0.0.1:4566
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/examples/tomodachi/personpb"
	"github.com/sqsflow/sqsflow/flow"
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

// The services, as tomodachi identifies them in every envelope: a name and
// a uuid (tomodachi's service.uuid), which prefixes every message_uuid.
var (
	orderService  = envelope.Service{Name: "order_service", UUID: "5d0b530f-5c44-4981-b01f-342801bd48f5"}
	personService = envelope.Service{Name: "person_service", UUID: "9c1e7a52-8d3b-4f16-a0c4-7e25b1d9f380"}
	billing       = envelope.Service{Name: "billing", UUID: "0f4c2b8e-61a7-4d95-b3e2-c58d07a9e14b"} // the Go service
)

// OrderCreated is the data order_service publishes: a Python dict.
type OrderCreated struct {
	OrderID  string `json:"order_id"`
	Amount   int    `json:"amount"`
	Currency string `json:"currency"`
}

// OrderConfirmed is the Go service's answer.
type OrderConfirmed struct {
	OrderID   string `json:"order_id"`
	InvoiceID string `json:"invoice_id"`
	Status    string `json:"status"`
}

var (
	orders = []OrderCreated{{"A-1001", 4711, "SEK"}, {"A-1002", 1299, "EUR"}, {"A-1003", 250, "USD"}}
	people = []*personpb.Person{{Id: "12", Name: "John Doe"}, {Id: "13", Name: "Jane Roe"}}
)

func run(ctx context.Context, cfg Config, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr := exampleenv.NewPrinter(out)
	pr.Printf("tomodachi: %d JSON and %d protobuf messages from tomodachi services on %s", len(orders), len(people), cfg.Where)
	// Done when the Go service has handled every order and person and the
	// tomodachi side every answer.
	done := newTally(len(orders)+len(people)+len(orders), cancel)
	opts := source.Options{AWS: cfg.AWS, Naming: cfg.Naming, Logger: cfg.Logger}

	// The Go service.
	gosvc := flow.New(flow.WithLogger(cfg.Logger))
	created := handler(pr, done, "order_created", envelope.DecodeJSON[OrderCreated](source.SNSSQS(gosvc, "order-created", opts)))
	answers := stage.Map(created, 4, func(_ context.Context, o OrderCreated) (OrderConfirmed, error) {
		return OrderConfirmed{OrderID: o.OrderID, InvoiceID: "INV-" + o.OrderID[2:], Status: "confirmed"}, nil
	})
	sink.PublishSNS(answers, "order-confirmed", sink.WithAWS(cfg.AWS), sink.WithNaming(cfg.Naming),
		sink.WithEnvelope(envelope.JSON(billing)))
	persons := handler(pr, done, "person_created", envelope.DecodeProto[*personpb.Person](source.SNSSQS(gosvc, "person-created", opts)))
	sink.Ack(persons)

	// The tomodachi service that consumes the answers, as its handler sees
	// them: the payload is the JSON its JsonBase envelope parses.
	python := flow.New(flow.WithLogger(cfg.Logger))
	stage.Each(source.SNSSQS(python, "order-confirmed", opts), 1, func(_ context.Context, d envelope.Delivery) error {
		if done.first("answer " + d.SNSMessageID) {
			pr.Printf("a tomodachi handler subscribed to %q gets this payload, which its JsonBase envelope parses:\n    %s", d.Topic, d.Payload)
		}
		return nil
	})

	err := exampleenv.Run(ctx, func(ctx context.Context) error { return publishAsTomodachi(ctx, cfg) }, gosvc, python)
	if err != nil {
		return err
	}
	if left := done.Left(); left > 0 {
		return fmt.Errorf("stopped with %d messages still to come: %w", left, context.Cause(ctx))
	}
	pr.Printf("summary: the Go service handled %d JSON and %d protobuf messages from tomodachi services and answered %d in tomodachi's JSON envelope", len(orders), len(people), len(orders))
	return nil
}

// handler passes on the values of in, printing for each what a tomodachi
// handler called name would receive as its keyword arguments. It sees the
// whole message (flow.Transform) to read its metadata.
func handler[T any](pr *exampleenv.Printer, done *tally, name string, in flow.Stream[T]) flow.Stream[T] {
	return flow.Transform(in, name, func(_ context.Context, m *flow.Msg[T]) (T, error) {
		if !done.first(m.Meta.UUID) { // delivery is at least once: handle each message once
			return m.Value, flow.Skip
		}
		pr.Printf("%s(\n    topic=%q,\n    message_uuid=%q,\n    message_attributes=%v,\n    data=%s,\n)",
			name, m.Meta.Topic, m.Meta.UUID, show(m.Meta.Attributes), show(m.Value))
		return m.Value, nil
	})
}

// publishAsTomodachi publishes what the two tomodachi services publish:
// orders in the JSON base envelope with a message attribute, people in the
// protobuf base envelope.
func publishAsTomodachi(ctx context.Context, cfg Config) error {
	py := sink.NewPublisher(sink.WithAWS(cfg.AWS), sink.WithNaming(cfg.Naming))
	for _, o := range orders {
		if _, err := py.Publish(ctx, "order-created", o, sink.WithEnvelope(envelope.JSON(orderService)),
			sink.WithAttributes(map[string]any{"priority": 1, "source": "web"})); err != nil {
			return fmt.Errorf("publish order %s: %w", o.OrderID, err)
		}
	}
	for _, p := range people {
		if _, err := py.Publish(ctx, "person-created", p, sink.WithEnvelope(envelope.Protobuf(personService))); err != nil {
			return fmt.Errorf("publish person %s: %w", p.Id, err)
		}
	}
	return nil
}
