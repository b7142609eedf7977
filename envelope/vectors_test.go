package envelope_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sqsflow/sqsflow/internal/vectors"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/envelope"
)

// The fixed inputs the vectors were made with (vectors/README.md).
var (
	vecService = envelope.Service{Name: "order-service", UUID: "5d0b530f-5c44-4981-b01f-342801bd48f5"}
	vecUUID4   = "8f6a1c52-3e0b-4d7e-9a41-2b8c9d0e1f23"
	vecTime    = time.Unix(1712345678, 123456000)
)

const vecTimestamp = 1712345678.123456

func readVector(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectors.Dir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readJSON(t testing.TB, name string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(readVector(t, name)))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// pyValue converts a value from an expected-values file to what this package
// decodes: JSON integers to int64, other numbers to float64, "<bytes b64>..."
// markers to []byte.
func pyValue(t testing.TB, v any) any {
	switch x := v.(type) {
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			n, err := x.Int64()
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		f, err := x.Float64()
		if err != nil {
			t.Fatal(err)
		}
		return f
	case string:
		if b64, ok := strings.CutPrefix(x, "<bytes b64>"); ok {
			b, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pyValue(t, e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = pyValue(t, e)
		}
		return out
	}
	return v
}

// jsonValue decodes JSON text the way pyValue represents expected values.
func jsonValue(t testing.TB, text []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return pyValue(t, v)
}

func fixedJSON() *envelope.JSONBase {
	return &envelope.JSONBase{
		Service: vecService,
		NewUUID: func() string { return vecUUID4 },
		Now:     func() time.Time { return vecTime },
	}
}

type item struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type order struct {
	OrderID  string `json:"order_id"`
	Amount   int    `json:"amount"`
	Currency string `json:"currency"`
	Items    []item `json:"items"`
	Note     string `json:"note"`
}

// messageOf returns the "Message" string of a body vector.
func messageOf(t testing.TB, name string) string {
	t.Helper()
	var body struct{ Message string }
	if err := json.Unmarshal([]byte(readVector(t, name)), &body); err != nil {
		t.Fatal(err)
	}
	return body.Message
}

func TestJSONSealReproducesVectors(t *testing.T) {
	t.Parallel()
	vec01 := order{OrderID: "A-1001", Amount: 4711, Currency: "SEK", Items: []item{{"X1", 2}}, Note: "räksmörgås"}
	tests := []struct {
		name  string
		want  func(t testing.TB) string
		topic string
		data  any
	}{
		{"01 struct", func(t testing.TB) string { return readVector(t, "01_jsonbase_envelope_dict.json") }, "order-created", vec01},
		{"01 pointer", func(t testing.TB) string { return readVector(t, "01_jsonbase_envelope_dict.json") }, "order-created", &vec01},
		{"01 raw message", func(t testing.TB) string { return readVector(t, "01_jsonbase_envelope_dict.json") }, "order-created",
			json.RawMessage(`{"order_id":"A-1001","amount":4711,"currency":"SEK","items":[{"sku":"X1","qty":2}],"note":"r\u00e4ksm\u00f6rg\u00e5s"}`)},
		{"02 string", func(t testing.TB) string { return readVector(t, "02_jsonbase_envelope_string.json") }, "order-created", "hello world"},
		{"04 message", func(t testing.TB) string { return messageOf(t, "04_sns_notification_standard.body.json") }, "order-created", vec01},
		{"05 message", func(t testing.TB) string { return messageOf(t, "05_sns_notification_fifo.body.json") }, "order-events",
			map[string]string{"order_id": "A-1002", "status": "paid"}},
		{"06 message", func(t testing.TB) string { return messageOf(t, "06_sqs_send_message.body.json") }, "",
			map[string]string{"command": "refund", "order_id": "A-1001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			got, err := fixedJSON().Seal(tt.topic, tt.data, nil)
			is.NoErr(err)
			is.Equal(got, tt.want(t))
		})
	}
}

func TestJSONOpenVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload func(t testing.TB) string
		topic   string
		data    string
	}{
		{"01", func(t testing.TB) string { return readVector(t, "01_jsonbase_envelope_dict.json") }, "order-created",
			`{"order_id":"A-1001","amount":4711,"currency":"SEK","items":[{"sku":"X1","qty":2}],"note":"räksmörgås"}`},
		{"02", func(t testing.TB) string { return readVector(t, "02_jsonbase_envelope_string.json") }, "order-created", `"hello world"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			o, err := envelope.JSON(envelope.Service{}).Open(tt.payload(t))
			is.NoErr(err)
			is.Equal(o.Meta, envelope.Metadata{
				MessageUUID:     vecService.UUID + "." + vecUUID4,
				ProtocolVersion: envelope.JSONProtocolVersion,
				Topic:           tt.topic,
				DataEncoding:    "raw",
				ServiceName:     vecService.Name,
				ServiceUUID:     vecService.UUID,
				Timestamp:       vecTimestamp,
			})
			is.Equal(jsonValue(t, o.Data), jsonValue(t, []byte(tt.data)))
			is.Equal(o.Meta.Time(), vecTime)
		})
	}
}

// sqsMessage is the ReceiveMessage entry of a vector, SDK-decoded shape.
type sqsMessage struct {
	Body       string
	Attributes map[string]string
}

// TestUnwrapAndOpenVectors checks that unwrapping each body vector and
// opening its payload yields what a tomodachi handler receives.
func TestUnwrapAndOpenVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		sqsAttrs func(t testing.TB) map[string]envelope.Attribute
	}{
		{"04_sns_notification_standard", nil},
		{"05_sns_notification_fifo", nil},
		{"06_sqs_send_message", requestAttributes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			var msg sqsMessage
			if strings.HasPrefix(tt.name, "06") {
				msg.Body = readVector(t, tt.name+".body.json")
			} else {
				is.NoErr(json.Unmarshal([]byte(readVector(t, tt.name+".sqs_message.json")), &msg))
				is.Equal(msg.Body, readVector(t, tt.name+".body.json")) // the vector files agree
			}
			var sqsAttrs map[string]envelope.Attribute
			if tt.sqsAttrs != nil {
				sqsAttrs = tt.sqsAttrs(t)
			}
			want := readJSON(t, tt.name+".expected.json")

			d, err := envelope.Unwrap(msg.Body, sqsAttrs, envelope.UnwrapOptions{TopicPrefix: "dev-"})
			is.NoErr(err)
			is.Equal(d.Body, msg.Body)
			is.Equal(d.Topic, want["topic"])
			is.Equal(d.Type, want["message_type"])
			is.Equal(d.SNSMessageID, want["sns_message_id"])
			is.Equal(d.Timestamp, want["message_timestamp"])
			wantAttrs := pyValue(t, want["message_attributes"]).(map[string]any)
			if len(wantAttrs) == 0 {
				is.Equal(len(d.Attributes), 0)
			} else {
				is.True(reflect.DeepEqual(d.Attributes, wantAttrs)) // attributes as tomodachi decodes them
			}

			o, err := envelope.JSON(envelope.Service{}).Open(d.Payload)
			is.NoErr(err)
			is.Equal(o.Meta.MessageUUID, want["message_uuid"])
			is.Equal(o.Meta.Timestamp, pyValue(t, want["envelope_timestamp"]))
			md := want["metadata"].(map[string]any)
			is.Equal(o.Meta.ProtocolVersion, md["protocol_version"])
			is.Equal(o.Meta.Topic, md["topic"])
			is.Equal(o.Meta.DataEncoding, md["data_encoding"])
			svc := want["service"].(map[string]any)
			is.Equal(o.Meta.ServiceName, svc["name"])
			is.Equal(o.Meta.ServiceUUID, svc["uuid"])
			is.Equal(jsonValue(t, o.Data), pyValue(t, want["data"]))
		})
	}
}

// requestAttributes returns the SQS-level attributes of vector 06's request.
func requestAttributes(t testing.TB) map[string]envelope.Attribute {
	t.Helper()
	var req struct {
		MessageAttributes map[string]struct{ DataType, StringValue, BinaryValue string }
	}
	if err := json.Unmarshal([]byte(readVector(t, "06_sqs_send_message.request.json")), &req); err != nil {
		t.Fatal(err)
	}
	out := map[string]envelope.Attribute{}
	for name, a := range req.MessageAttributes {
		attr := envelope.Attribute{DataType: a.DataType, StringValue: a.StringValue}
		if a.BinaryValue != "" {
			attr.BinaryValue = pyValue(t, a.BinaryValue).([]byte)
		}
		out[name] = attr
	}
	return out
}

var vec06Attrs = map[string]any{"attr_1": "value_1", "initial_a_value": 5, "blob": []byte("abcdef\x00\x01 12345")}

func TestSQSBodyReproducesVector06(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	payload, err := fixedJSON().Seal("", map[string]string{"command": "refund", "order_id": "A-1001"}, vec06Attrs)
	is.NoErr(err)
	now := time.Date(2024, 4, 5, 19, 36, 0, 0, time.UTC)
	body, err := envelope.SQSBody("https://sqs.eu-west-1.amazonaws.com/123456789012/dev-order-commands",
		payload, vec06Attrs, now, "attr_1", "initial_a_value", "blob")
	is.NoErr(err)
	is.Equal(body, readVector(t, "06_sqs_send_message.body.json"))

	var req struct{ MessageBody string }
	is.NoErr(json.Unmarshal([]byte(readVector(t, "06_sqs_send_message.request.json")), &req))
	is.Equal(body, req.MessageBody)

	// The same attributes, as SQS message attributes.
	attrs, err := envelope.EncodeAttributes(vec06Attrs)
	is.NoErr(err)
	is.Equal(attrs, requestAttributes(t))
}

// TestEncodeAttributesMatchVector04 checks the body form of every attribute
// type tomodachi produces.
func TestEncodeAttributesMatchVector04(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var body struct {
		MessageAttributes map[string]struct{ Type, Value string }
	}
	is.NoErr(json.Unmarshal([]byte(readVector(t, "04_sns_notification_standard.body.json")), &body))
	attrs, err := envelope.EncodeAttributes(map[string]any{
		"currency":    "SEK",
		"amount":      4711,
		"ratio":       99.5,
		"flags":       []any{"a", 1},
		"is_test":     true,
		"blob":        []byte("abc\x00\x01"),
		"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	})
	is.NoErr(err)
	is.Equal(len(attrs), len(body.MessageAttributes))
	for name, want := range body.MessageAttributes {
		got := attrs[name]
		is.Equal(got.DataType, want.Type)
		if got.DataType == "Binary" {
			is.Equal(base64.StdEncoding.EncodeToString(got.BinaryValue), want.Value)
		} else {
			is.Equal(got.StringValue, want.Value)
		}
	}
}
