package envelope_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
)

type Order struct {
	ID     string  `json:"order_id"`
	Amount float64 `json:"amount"`
}

func Example() {
	// What a tomodachi service publishing {"order_id": "A-1", "amount": 99.5}
	// to topic "order-created" puts on an SQS queue subscribed to it.
	svc := envelope.Service{Name: "order-service", UUID: "5d0b530f-5c44-4981-b01f-342801bd48f5"}
	payload, _ := envelope.JSON(svc).Seal("order-created", Order{"A-1", 99.5}, nil)
	body, _ := json.Marshal(map[string]any{
		"Type":     "Notification",
		"TopicArn": "arn:aws:sns:eu-west-1:123456789012:dev-order-created",
		"Message":  payload,
	})

	// A consumer: unwrap the body, then open the envelope.
	d, err := envelope.Unwrap(string(body), nil, envelope.UnwrapOptions{TopicPrefix: "dev-"})
	if err != nil {
		panic(err)
	}
	o, err := envelope.JSON(svc).Open(d.Payload)
	if err != nil {
		panic(err)
	}
	var order Order
	_ = json.Unmarshal(o.Data, &order)
	fmt.Println(d.Topic, o.Meta.ServiceName, order)
	// Output: order-created order-service {A-1 99.5}
}

func ExampleJSONBase_Seal() {
	env := &envelope.JSONBase{
		Service: envelope.Service{Name: "order-service", UUID: "5d0b530f"},
		NewUUID: func() string { return "8f6a1c52" },                          // fixed for the example
		Now:     func() time.Time { return time.Unix(1712345678, 123456000) }, // likewise
	}
	payload, _ := env.Seal("order-created", map[string]any{"note": "räksmörgås", "amount": 4711}, nil)
	fmt.Println(payload)
	// Output: {"service": {"name": "order-service", "uuid": "5d0b530f"}, "metadata": {"message_uuid": "5d0b530f.8f6a1c52", "protocol_version": "tomodachi-json-base--1.0.0", "compatible_protocol_versions": ["json_base-wip"], "timestamp": 1712345678.123456, "topic": "order-created", "data_encoding": "raw"}, "data": {"amount": 4711, "note": "r\u00e4ksm\u00f6rg\u00e5s"}}
}

func ExampleDecodeJSON() {
	p := flow.New()
	svc := envelope.Service{Name: "order-service", UUID: "5d0b530f"}
	good, _ := envelope.JSON(svc).Seal("order-created", Order{"A-1", 10}, nil)
	src := flowtest.Slice(p, []envelope.Delivery{{Payload: good}, {Payload: "not an envelope"}}, flowtest.Options{})

	orders := flowtest.Collect(envelope.DecodeJSON[Order](src.Stream()))
	_ = p.Run(context.Background())

	fmt.Println(orders.Values())
	fmt.Println(src.Outcome(1), flow.IsPermanent(src.Err(1)))
	// Output:
	// [{A-1 10}]
	// failed true
}

func ExampleEncodeAttributes() {
	attrs, _ := envelope.EncodeAttributes(map[string]any{
		"amount": 4711, "ratio": 1e20, "flags": []any{"a", 1}, "is_test": true,
	})
	for _, name := range []string{"amount", "ratio", "flags", "is_test"} {
		fmt.Printf("%s: %s %s\n", name, attrs[name].DataType, attrs[name].StringValue)
	}
	decoded, _ := envelope.DecodeAttributes(attrs)
	fmt.Printf("%T %T %v %v\n", decoded["amount"], decoded["ratio"], decoded["flags"], decoded["is_test"])
	// Output:
	// amount: Number 4711
	// ratio: Number 1e+20
	// flags: String.Array ["a", 1]
	// is_test: String.Array true
	// int64 float64 [a 1] true
}

func ExampleSQSBody() {
	body, _ := envelope.SQSBody("https://sqs.eu-west-1.amazonaws.com/123456789012/dev-order-commands",
		"payload", map[string]any{"attempt": 1}, time.Date(2024, 4, 5, 19, 36, 0, 0, time.UTC))
	fmt.Println(body)
	// Output: {"Type": "Message", "QueueUrl": "https://sqs.eu-west-1.amazonaws.com/123456789012/dev-order-commands", "Version": "0", "Message": "payload", "Timestamp": "2024-04-05T19:36:00.000Z", "MessageAttributes": {"attempt": {"Type": "Number", "Value": "1"}}}
}
