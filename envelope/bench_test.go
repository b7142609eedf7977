package envelope_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sqsflow/sqsflow/envelope"
)

// benchOrder is data whose envelope is about 1 KiB.
type benchLine struct {
	SKU   string  `json:"sku"`
	Name  string  `json:"name"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

type benchOrder struct {
	OrderID  string      `json:"order_id"`
	Customer string      `json:"customer"`
	Amount   int         `json:"amount"`
	Currency string      `json:"currency"`
	Paid     bool        `json:"paid"`
	Note     string      `json:"note"`
	Lines    []benchLine `json:"lines"`
}

func newBenchOrder() benchOrder {
	o := benchOrder{OrderID: "A-1001", Customer: "c-42", Amount: 4711, Currency: "SEK", Paid: true, Note: "räksmörgås to go"}
	for i := range 8 {
		o.Lines = append(o.Lines, benchLine{SKU: fmt.Sprintf("SKU-%04d", i), Name: "Item number " + fmt.Sprint(i), Qty: i + 1, Price: 12.5 * float64(i+1)})
	}
	return o
}

// stdEnvelope is the envelope as plain encoding/json structs: the baseline.
type stdEnvelope struct {
	Service struct {
		Name string `json:"name"`
		UUID string `json:"uuid"`
	} `json:"service"`
	Metadata struct {
		MessageUUID                string   `json:"message_uuid"`
		ProtocolVersion            string   `json:"protocol_version"`
		CompatibleProtocolVersions []string `json:"compatible_protocol_versions"`
		Timestamp                  float64  `json:"timestamp"`
		Topic                      string   `json:"topic"`
		DataEncoding               string   `json:"data_encoding"`
	} `json:"metadata"`
	Data json.RawMessage `json:"data"`
}

type stdEnvelopeOut struct {
	Service  any        `json:"service"`
	Metadata any        `json:"metadata"`
	Data     benchOrder `json:"data"`
}

func benchPayload(b *testing.B) string {
	p, err := envelope.JSON(vecService).Seal("order-created", newBenchOrder(), nil)
	if err != nil {
		b.Fatal(err)
	}
	if len(p) < 1000 || len(p) > 1100 {
		b.Fatalf("bench envelope is %d bytes, want about 1 KiB", len(p))
	}
	return p
}

func BenchmarkJSONOpen(b *testing.B) {
	payload := benchPayload(b)
	env := envelope.JSON(vecService)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Open(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONOpenDecode is Open plus json.Unmarshal of the data into the
// struct: what DecodeJSON does per message.
func BenchmarkJSONOpenDecode(b *testing.B) {
	payload := benchPayload(b)
	env := envelope.JSON(vecService)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		o, err := env.Open(payload)
		if err != nil {
			b.Fatal(err)
		}
		var v benchOrder
		if err := json.Unmarshal(o.Data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONOpenStdlib(b *testing.B) {
	payload := benchPayload(b)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		var e stdEnvelope
		if err := json.Unmarshal([]byte(payload), &e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONSeal(b *testing.B) {
	env := envelope.JSON(vecService)
	data := newBenchOrder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Seal("order-created", data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONSealRawMessage(b *testing.B) {
	env := envelope.JSON(vecService)
	data, err := json.Marshal(newBenchOrder())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Seal("order-created", json.RawMessage(data), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONSealStdlib(b *testing.B) {
	data := newBenchOrder()
	b.ReportAllocs()
	for b.Loop() {
		out := stdEnvelopeOut{
			Service: map[string]string{"name": vecService.Name, "uuid": vecService.UUID},
			Metadata: map[string]any{"message_uuid": vecService.UUID + "." + vecUUID4, "protocol_version": envelope.JSONProtocolVersion,
				"compatible_protocol_versions": []string{"json_base-wip"}, "timestamp": vecTimestamp, "topic": "order-created", "data_encoding": "raw"},
			Data: data,
		}
		if _, err := json.Marshal(out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONOpenSeal is one open and one seal of a 1 KiB envelope, the
// figure the target (under 10 µs) is about.
func BenchmarkJSONOpenSeal(b *testing.B) {
	payload := benchPayload(b)
	env := envelope.JSON(vecService)
	data := newBenchOrder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Open(payload); err != nil {
			b.Fatal(err)
		}
		if _, err := env.Seal("order-created", data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONOpenSealStdlib(b *testing.B) {
	payload := benchPayload(b)
	data := newBenchOrder()
	b.ReportAllocs()
	for b.Loop() {
		var e stdEnvelope
		if err := json.Unmarshal([]byte(payload), &e); err != nil {
			b.Fatal(err)
		}
		out := stdEnvelopeOut{Service: e.Service, Metadata: e.Metadata, Data: data}
		if _, err := json.Marshal(out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapNotification(b *testing.B) {
	body := readVector(b, "04_sns_notification_standard.body.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := envelope.Unwrap(body, nil, envelope.UnwrapOptions{TopicPrefix: "dev-"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnwrapRawDelivery(b *testing.B) {
	body := benchPayload(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := envelope.Unwrap(body, nil, envelope.UnwrapOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProtobufOpen(b *testing.B) {
	payload := strings.TrimSpace(readVector(b, "08_protobuf_envelope.b64.txt"))
	env := envelope.Protobuf(vecService)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := env.Open(payload); err != nil {
			b.Fatal(err)
		}
	}
}
