package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Order is the payload every implementation consumes. Seq identifies the
// message for the correctness check, Group is its FIFO group ("" outside
// the FIFO scenario) and Sent the producer's clock (Unix nanoseconds) for
// the latency scenario.
type Order struct {
	Seq      int64   `json:"seq"`
	Group    string  `json:"group,omitempty"`
	Sent     int64   `json:"sent"`
	Customer string  `json:"customer"`
	Currency string  `json:"currency"`
	Paid     bool    `json:"paid"`
	Items    []Item  `json:"items"`
	Discount float64 `json:"discount"`
}

// Item is one line of an Order.
type Item struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

// Invoice is what the transform scenario publishes for each Order.
type Invoice struct {
	Seq      int64   `json:"seq"`
	Group    string  `json:"group,omitempty"`
	Customer string  `json:"customer"`
	Currency string  `json:"currency"`
	Lines    int     `json:"lines"`
	Total    float64 `json:"total"`
}

// newOrder returns the order with sequence number seq: about 300 bytes of
// JSON, a typical small business event.
func newOrder(seq int64, group string, sent time.Time) Order {
	return Order{
		Seq:      seq,
		Group:    group,
		Sent:     sent.UnixNano(),
		Customer: "customer-" + strconv.FormatInt(seq%997, 10),
		Currency: "EUR",
		Paid:     true,
		Items: []Item{
			{SKU: "sku-" + strconv.FormatInt(seq%101, 10), Qty: 2, Price: 9.95},
			{SKU: "sku-" + strconv.FormatInt(seq%103, 10), Qty: 1, Price: 24.5},
			{SKU: "sku-" + strconv.FormatInt(seq%107, 10), Qty: 3, Price: 4.25},
		},
		Discount: 0.1,
	}
}

// invoice is the transform scenario's map step, the same function for every
// implementation.
func invoice(o Order) Invoice {
	var total float64
	for _, it := range o.Items {
		total += float64(it.Qty) * it.Price
	}
	return Invoice{
		Seq: o.Seq, Group: o.Group, Customer: o.Customer, Currency: o.Currency,
		Lines: len(o.Items), Total: total * (1 - o.Discount),
	}
}

// groupOf returns the FIFO group of message seq among groups groups.
func groupOf(seq int64, groups int) string {
	return "g" + strconv.FormatInt(seq%int64(groups), 10)
}

// benchService is the sender the peers write into their envelopes.
var benchService = envService{Name: "bench", UUID: "8a1d5b0e-1f0c-4c2e-9a57-3c1e0f6b2d11"}

type envService struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

type envMetadata struct {
	MessageUUID         string   `json:"message_uuid"`
	ProtocolVersion     string   `json:"protocol_version"`
	CompatibleProtocols []string `json:"compatible_protocol_versions"`
	Timestamp           float64  `json:"timestamp"`
	Topic               string   `json:"topic"`
	DataEncoding        string   `json:"data_encoding"`
}

// jsonEnvelope is tomodachi's JSON base envelope as a peer's user would
// write it with encoding/json (tomodachi-json-base--1.0.0, raw data).
type jsonEnvelope[T any] struct {
	Service  envService  `json:"service"`
	Metadata envMetadata `json:"metadata"`
	Data     T           `json:"data"`
}

// sealJSON wraps v in tomodachi's JSON base envelope for topic.
func sealJSON[T any](topic string, v T) ([]byte, error) {
	now := time.Now()
	return json.Marshal(jsonEnvelope[T]{
		Service: benchService,
		Metadata: envMetadata{
			MessageUUID:         benchService.UUID + "." + uuid.NewString(),
			ProtocolVersion:     "tomodachi-json-base--1.0.0",
			CompatibleProtocols: []string{"json_base-wip"},
			Timestamp:           float64(now.UnixMicro()) / 1e6,
			Topic:               topic,
			DataEncoding:        "raw",
		},
		Data: v,
	})
}

// openJSON reads the data of a JSON base envelope.
func openJSON[T any](payload []byte) (T, error) {
	var env jsonEnvelope[T]
	if err := json.Unmarshal(payload, &env); err != nil {
		return env.Data, fmt.Errorf("open envelope: %w", err)
	}
	if env.Metadata.DataEncoding != "raw" {
		return env.Data, fmt.Errorf("open envelope: data_encoding %q not supported", env.Metadata.DataEncoding)
	}
	return env.Data, nil
}

// snsNotification is the body SNS delivers to a subscribed queue without raw
// message delivery (the fields consumers read).
type snsNotification struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicArn  string `json:"TopicArn"`
	Message   string `json:"Message"`
	Timestamp string `json:"Timestamp"`
}

// notification wraps payload as SNS wraps a message published to topicARN,
// so a pre-filled queue holds what the topic would have delivered.
func notification(topicARN string, payload []byte) ([]byte, error) {
	return json.Marshal(struct {
		snsNotification
		SignatureVersion string `json:"SignatureVersion"`
		Signature        string `json:"Signature"`
		SigningCertURL   string `json:"SigningCertURL"`
		UnsubscribeURL   string `json:"UnsubscribeURL"`
	}{
		snsNotification: snsNotification{
			Type: "Notification", MessageID: uuid.NewString(), TopicArn: topicARN,
			Message: string(payload), Timestamp: time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		},
		SignatureVersion: "1",
		Signature:        "EXAMPLE",
		SigningCertURL:   "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
		UnsubscribeURL:   "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
	})
}

// unwrapBody returns the message inside an SQS body: the Message of an SNS
// notification, or the body itself (raw delivery).
func unwrapBody(body string) ([]byte, error) {
	if len(body) == 0 || body[0] != '{' {
		return nil, fmt.Errorf("body is not a JSON object")
	}
	var n snsNotification
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if n.Type == "Notification" {
		return []byte(n.Message), nil
	}
	return []byte(body), nil
}

// decodeOrder is the decode step the hand-written implementations share:
// unwrap the SNS notification, open the envelope.
func decodeOrder(body string) (Order, error) {
	payload, err := unwrapBody(body)
	if err != nil {
		return Order{}, err
	}
	return openJSON[Order](payload)
}
