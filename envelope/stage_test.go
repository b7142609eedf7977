package envelope_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"google.golang.org/protobuf/proto"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/envelope/internal/testpb"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
)

// deliveries returns a source of deliveries with the given payloads.
func deliveries(p *flow.Pipeline, payloads ...string) *flowtest.Source[envelope.Delivery] {
	ds := make([]envelope.Delivery, len(payloads))
	for i, pl := range payloads {
		ds[i] = envelope.Delivery{Payload: pl, Body: pl}
	}
	return flowtest.Slice(p, ds, flowtest.Options{})
}

func run(t *testing.T, p *flow.Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// checkPermanent checks that item i of src failed permanently with kind.
func checkPermanent[T any](t *testing.T, src *flowtest.Source[T], i int, kind error) {
	t.Helper()
	if src.Outcome(i) != flowtest.Failed {
		t.Fatalf("item %d: %v, want failed", i, src.Outcome(i))
	}
	err := src.Err(i)
	if !flow.IsPermanent(err) || !errors.Is(err, kind) {
		t.Fatalf("item %d failed with %v, want a permanent %v", i, err, kind)
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	d04, err := envelope.Unwrap(readVector(t, "04_sns_notification_standard.body.json"), nil, envelope.UnwrapOptions{TopicPrefix: "dev-"})
	is.NoErr(err)
	items := []envelope.Delivery{
		d04,
		{Payload: readVector(t, "01_jsonbase_envelope_dict.json")},
		{Payload: "not json"},
		{Payload: `{"metadata": {"data_encoding": "zstd"}, "data": 1}`},
		{Payload: `{"data": "a string, not an order"}`},
		{Payload: `{"data": {"order_id": "A-2"}}`},
	}
	src := flowtest.Slice(p, items, flowtest.Options{})
	got := flowtest.Collect(envelope.DecodeJSON[order](src.Stream()))
	run(t, p)

	is.Equal(got.Values(), []order{
		{OrderID: "A-1001", Amount: 4711, Currency: "SEK", Items: []item{{"X1", 2}}, Note: "räksmörgås"},
		{OrderID: "A-1001", Amount: 4711, Currency: "SEK", Items: []item{{"X1", 2}}, Note: "räksmörgås"},
		{OrderID: "A-2"},
	})
	metas := got.Metas()
	is.Equal(metas[0].UUID, vecService.UUID+"."+vecUUID4)
	is.Equal(metas[0].Topic, "order-created")            // from the delivery
	is.Equal(metas[0].Attributes["amount"], int64(4711)) // from the delivery
	is.Equal(metas[1].Topic, "order-created")            // from the envelope (raw delivery)
	is.True(metas[1].Timestamp.Equal(vecTime))           // from the envelope
	is.Equal(metas[2].UUID, "")                          // no uuid in the envelope
	checkPermanent(t, src, 2, envelope.ErrNotJSON)
	checkPermanent(t, src, 3, envelope.ErrUnknownEncoding)
	checkPermanent(t, src, 4, envelope.ErrDecode)
	is.NoErr(src.Check(true))
}

func TestDecodeJSONOptions(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	src := deliveries(p, `{"order_id": "A-1", "amount": 5}`, `{"order_id": "A-2", "extra": true}`)
	got := flowtest.Collect(envelope.DecodeJSON[order](src.Stream(), envelope.WithEnvelope(envelope.Raw), envelope.DisallowUnknownFields()))
	run(t, p)
	is.Equal(got.Values(), []order{{OrderID: "A-1", Amount: 5}})
	checkPermanent(t, src, 1, envelope.ErrDecode)
	is.True(strings.Contains(src.Err(1).Error(), `unknown field "extra"`))
}

func TestDecodeProto(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	vec := strings.TrimSpace(readVector(t, "08_protobuf_envelope.b64.txt"))
	src := deliveries(p, vec, "!!", pbEnvelope("proto", []byte{0x0a, 0x09, 'x'}))
	got := flowtest.Collect(envelope.DecodeProto[*testpb.Person](src.Stream()))
	run(t, p)
	vals := got.Values()
	is.Equal(len(vals), 1)
	is.True(proto.Equal(vals[0], &testpb.Person{Id: "12", Name: "John Doe"}))
	is.Equal(got.Metas()[0].UUID, vecService.UUID+"."+vecUUID4)
	is.Equal(got.Metas()[0].Topic, "person-created")
	checkPermanent(t, src, 1, envelope.ErrBadBase64)
	checkPermanent(t, src, 2, envelope.ErrBadProtobuf)
}

func TestDecodeProtoNeedsAConcreteType(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	flowtest.Collect(envelope.DecodeProto[proto.Message](deliveries(p).Stream()))
	err := p.Run(context.Background())
	is.True(err != nil)
	is.True(strings.Contains(err.Error(), "DecodeProto"))
}

func TestDecodeRaw(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	src := deliveries(p, "one", "", "räk", strings.Repeat("x", envelope.MaxPayload+1))
	got := flowtest.Collect(envelope.DecodeRaw(src.Stream()))
	run(t, p)
	is.Equal(got.Values(), []string{"one", "", "räk"})
	checkPermanent(t, src, 3, envelope.ErrTooLarge)
}

func TestDecodeRawJSON(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	src := deliveries(p, `{"a": 1}`, `[1]`, `{"a": `)
	got := flowtest.Collect(envelope.DecodeRawJSON[map[string]int](src.Stream()))
	run(t, p)
	is.Equal(got.Values(), []map[string]int{{"a": 1}})
	checkPermanent(t, src, 1, envelope.ErrDecode)
	checkPermanent(t, src, 2, envelope.ErrDecode)
}

// upper is a custom envelope: the payload is the data, upper-cased on the wire.
type upper struct{}

func (upper) Seal(_ string, data any, _ map[string]any) (string, error) {
	return strings.ToUpper(data.(string)), nil
}

func (upper) Open(payload string) (envelope.Opened, error) {
	if payload == "" {
		return envelope.Opened{}, &envelope.Error{Op: "open upper", Kind: envelope.ErrNoData}
	}
	return envelope.Opened{Data: []byte(strings.ToLower(payload)), Meta: envelope.Metadata{MessageUUID: "u-" + payload}}, nil
}

func TestDecodeCustom(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	src := deliveries(p, "HELLO", "", "WORLD")
	errBoom := errors.New("boom")
	got := flowtest.Collect(envelope.Decode(src.Stream(), upper{}, func(b []byte) (string, error) {
		if string(b) == "world" {
			return "", errBoom
		}
		return string(b), nil
	}))
	run(t, p)
	is.Equal(got.Values(), []string{"hello"})
	is.Equal(got.Metas()[0].UUID, "u-HELLO")
	checkPermanent(t, src, 1, envelope.ErrNoData)
	checkPermanent(t, src, 2, errBoom)
	is.True(errors.Is(src.Err(2), envelope.ErrDecode))
}

func TestEncode(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	orders := []order{{OrderID: "A-1", Amount: 1}, {OrderID: "A-2", Amount: 2}}
	src := flowtest.Slice(p, orders, flowtest.Options{})
	got := flowtest.Collect(envelope.Encode(src.Stream(), fixedJSON(), "order-created",
		envelope.WithAttributes(func(o order) map[string]any { return map[string]any{"amount": o.Amount} })))
	run(t, p)
	sealed := got.Values()
	is.Equal(len(sealed), 2)
	for i, s := range sealed {
		is.Equal(s.Attributes, map[string]any{"amount": orders[i].Amount})
		o, err := fixedJSON().Open(s.Payload)
		is.NoErr(err)
		is.Equal(o.Meta.Topic, "order-created")
		var back order
		is.NoErr(json.Unmarshal(o.Data, &back))
		is.Equal(back, orders[i])
	}
}

func TestEncodeFailsPermanently(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	src := flowtest.Slice(p, []any{"ok", 42}, flowtest.Options{})
	got := flowtest.Collect(envelope.Encode(src.Stream(), envelope.Raw, ""))
	run(t, p)
	is.Equal(got.Values(), []envelope.Sealed{{Payload: "ok"}})
	checkPermanent(t, src, 1, envelope.ErrUnsupportedValue)
}
