package envelope

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/sqsflow/sqsflow/flow"
)

// DecodeOption configures DecodeJSON, DecodeProto and DecodeRawJSON.
type DecodeOption func(*decodeOptions)

type decodeOptions struct {
	env    Envelope
	strict bool
}

// WithEnvelope makes a decode stage open payloads with env instead of its
// default (the JSON base for DecodeJSON, the protobuf base for DecodeProto;
// DecodeRawJSON ignores it). Use it for a custom envelope whose data is JSON
// or protobuf.
func WithEnvelope(env Envelope) DecodeOption {
	return func(o *decodeOptions) { o.env = env }
}

// DisallowUnknownFields makes JSON decoding fail on object members that
// have no matching field in the target struct (see
// json.Decoder.DisallowUnknownFields); by default they are ignored.
func DisallowUnknownFields() DecodeOption {
	return func(o *decodeOptions) { o.strict = true }
}

func decodeConfig(def Envelope, opts []DecodeOption) decodeOptions {
	o := decodeOptions{env: def}
	for _, opt := range opts {
		opt(&o)
	}
	if o.env == nil {
		o.env = def
	}
	return o
}

// DecodeJSON opens each delivery's payload with the JSON base envelope and
// unmarshals its data into a T with encoding/json. It sets the message's
// Meta.UUID to the envelope's message uuid, and fills Meta.Topic,
// Meta.Timestamp and Meta.Attributes from the envelope and delivery where
// the source left them empty. A message that does not open or decode fails
// with a permanent error (an *Error naming the problem) and goes down the
// source's poison path. Order is preserved.
func DecodeJSON[T any](in flow.Stream[Delivery], opts ...DecodeOption) flow.Stream[T] {
	o := decodeConfig(&JSONBase{}, opts)
	return decodeWith(in, "decode-json", o.env, jsonUnmarshal[T](o.strict))
}

// DecodeProto opens each delivery's payload with the protobuf base envelope
// and unmarshals its data into a new T (a generated message type such as
// *pb.Person). Metadata and failures are as for DecodeJSON.
func DecodeProto[T proto.Message](in flow.Stream[Delivery], opts ...DecodeOption) flow.Stream[T] {
	o := decodeConfig(&ProtobufBase{}, opts)
	var zero T
	var newT func() T
	func() {
		defer func() {
			if recover() != nil {
				newT = nil
			}
		}()
		mt := zero.ProtoReflect().Type()
		newT = func() T { return mt.New().Interface().(T) }
		_ = newT()
	}()
	if newT == nil {
		in.Pipeline().Errorf("envelope: DecodeProto: cannot make a new %T; use a generated message type", zero)
		newT = func() T { return zero }
	}
	return decodeWith(in, "decode-proto", o.env, func(data []byte) (T, error) {
		m := newT()
		if err := proto.Unmarshal(data, m); err != nil {
			return m, newError("", "data", ErrBadProtobuf, err)
		}
		return m, nil
	})
}

// DecodeRaw passes on each delivery's payload as it is, for services without
// an envelope. Payloads over MaxPayload fail permanently.
func DecodeRaw(in flow.Stream[Delivery]) flow.Stream[string] {
	return flow.Transform(in, "decode-raw", func(_ context.Context, m *flow.Msg[Delivery]) (string, error) {
		p := m.Value.Payload
		if len(p) > MaxPayload {
			return "", flow.Permanent(newError("open raw", "", ErrTooLarge, fmt.Errorf("%d bytes, limit %d", len(p), MaxPayload)))
		}
		return p, nil
	})
}

// DecodeRawJSON unmarshals each delivery's payload, bare JSON without an
// envelope, into a T. Failures are as for DecodeJSON.
func DecodeRawJSON[T any](in flow.Stream[Delivery], opts ...DecodeOption) flow.Stream[T] {
	o := decodeConfig(Raw, opts)
	return decodeWith(in, "decode-raw-json", Raw, jsonUnmarshal[T](o.strict))
}

// Decode opens each delivery's payload with env and turns its data into a T
// with unmarshal, for custom envelopes and data formats. Metadata and
// failures are as for DecodeJSON; an error from unmarshal is wrapped in an
// *Error of kind ErrDecode unless it already is an *Error.
func Decode[T any](in flow.Stream[Delivery], env Envelope, unmarshal func(data []byte) (T, error)) flow.Stream[T] {
	return decodeWith(in, "decode", env, unmarshal)
}

func decodeWith[T any](in flow.Stream[Delivery], kind string, env Envelope, unmarshal func([]byte) (T, error)) flow.Stream[T] {
	return flow.Transform(in, kind, func(_ context.Context, m *flow.Msg[Delivery]) (T, error) {
		var zero T
		o, err := env.Open(m.Value.Payload)
		if err != nil {
			return zero, flow.Permanent(err)
		}
		v, err := unmarshal(o.Data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				err = newError("", "data", ErrDecode, err)
			}
			return zero, flow.Permanent(withOp(err, kind))
		}
		fillMeta(m.Meta, o.Meta, &m.Value)
		return v, nil
	})
}

// fillMeta records what the envelope said in the message's metadata.
func fillMeta(meta *flow.Meta, em Metadata, d *Delivery) {
	if em.MessageUUID != "" {
		meta.UUID = em.MessageUUID
	}
	if meta.Topic == "" {
		meta.Topic = d.Topic
		if meta.Topic == "" {
			meta.Topic = em.Topic
		}
	}
	if meta.Timestamp.IsZero() {
		meta.Timestamp = em.Time()
	}
	if meta.Attributes == nil {
		meta.Attributes = d.Attributes
	}
}

func jsonUnmarshal[T any](strict bool) func([]byte) (T, error) {
	return func(data []byte) (T, error) {
		var v T
		if !strict {
			return v, json.Unmarshal(data, &v)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		return v, dec.Decode(&v)
	}
}

// Sealed is a value sealed for a sink: the payload to publish or send and
// the message attributes to send with it.
type Sealed struct {
	Payload    string
	Attributes map[string]any
}

// EncodeOption configures Encode for values of type T.
type EncodeOption[T any] func(*encodeOptions[T])

type encodeOptions[T any] struct {
	attrs func(T) map[string]any
}

// WithAttributes sets the message attributes of each sealed value to
// fn(value); by default values are sealed without attributes. The map is
// passed to the envelope and on to the sink (see EncodeAttributes for how
// values are encoded).
func WithAttributes[T any](fn func(T) map[string]any) EncodeOption[T] {
	return func(o *encodeOptions[T]) { o.attrs = fn }
}

// Encode seals each value of in with env for topic (as the application names
// it: no prefix, not encoded; "" when the sink sends to a queue), for a sink
// to publish or send. A value the envelope cannot seal fails permanently.
// Order is preserved.
func Encode[T any](in flow.Stream[T], env Envelope, topic string, opts ...EncodeOption[T]) flow.Stream[Sealed] {
	var o encodeOptions[T]
	for _, opt := range opts {
		opt(&o)
	}
	return flow.Transform(in, "encode", func(_ context.Context, m *flow.Msg[T]) (Sealed, error) {
		var attrs map[string]any
		if o.attrs != nil {
			attrs = o.attrs(m.Value)
		}
		payload, err := env.Seal(topic, m.Value, attrs)
		if err != nil {
			return Sealed{}, flow.Permanent(err)
		}
		return Sealed{Payload: payload, Attributes: attrs}, nil
	})
}
