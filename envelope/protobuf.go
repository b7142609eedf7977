package envelope

import (
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sqsflow/sqsflow/envelope/internal/pb"
)

// ProtobufProtocolVersion is the protocol_version of envelopes sealed by ProtobufBase.
const ProtobufProtocolVersion = "tomodachi-protobuf-base--1.0.0"

// ProtobufBase is tomodachi's protobuf envelope,
// tomodachi-protobuf-base--1.0.0: the payload is the standard, padded
// base64 of a serialized SNSSQSMessage{service, metadata, data}, where data
// is the serialized user message, zlib-compressed with data_encoding
// "gzip_proto" when it is over 60,000 bytes and "proto" otherwise.
//
// Seal takes a proto.Message, or a []byte holding one already serialized.
// Open accepts the data encodings tomodachi accepts ("proto", "gzip_proto",
// "raw", and the deprecated "base64" and "base64_gzip_proto"; an empty one
// is taken as "proto") and returns the serialized user message as
// Opened.Data; OpenInto and the DecodeProto stage decode it into a typed
// message.
//
// The zero ProtobufBase is usable; its fields are read-only once in use, and
// it is safe for concurrent use.
type ProtobufBase struct {
	// Service names the sender. An empty UUID makes message uuids a bare uuid4.
	Service Service
	// NewUUID returns the uuid4 that follows "<service uuid>." in message
	// uuids; nil means a fresh random uuid.
	NewUUID func() string
	// Now returns the time written as the timestamp; nil means time.Now.
	Now func() time.Time
}

// Protobuf returns the protobuf base envelope for svc, filling in an empty
// name or uuid as JSON does.
func Protobuf(svc Service) *ProtobufBase {
	return &ProtobufBase{Service: defaultService(svc)}
}

// Seal returns the envelope for data published to topic; attrs are not used.
func (e *ProtobufBase) Seal(topic string, data any, _ map[string]any) (string, error) {
	const op = "seal protobuf"
	var raw []byte
	switch v := data.(type) {
	case []byte:
		raw = v
	case proto.Message:
		if v == nil || reflect.ValueOf(v).IsNil() {
			return "", newError(op, "data", ErrUnsupportedValue, errors.New("nil proto.Message"))
		}
		var err error
		if raw, err = proto.Marshal(v); err != nil {
			return "", newError(op, "data", ErrUnsupportedValue, err)
		}
	default:
		return "", newError(op, "data", ErrUnsupportedValue, fmt.Errorf("want a proto.Message or []byte, not %T", data))
	}
	encoding := "proto"
	if len(raw) > compressThreshold {
		var err error
		if raw, err = deflate(raw); err != nil {
			return "", newError(op, "data", ErrUnsupportedValue, err)
		}
		encoding = "gzip_proto"
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	muuid, err := messageUUID(e.Service.UUID, e.NewUUID)
	if err != nil {
		return "", newError(op, "metadata.message_uuid", ErrUnsupportedValue, err)
	}
	msg := &pb.SNSSQSMessage{
		Service: &pb.Service{Name: e.Service.Name, Uuid: e.Service.UUID},
		Metadata: &pb.Metadata{
			MessageUuid:     muuid,
			ProtocolVersion: ProtobufProtocolVersion,
			Timestamp:       pyTimestamp(now()),
			Topic:           topic,
			DataEncoding:    encoding,
		},
		Data: raw,
	}
	b, err := proto.Marshal(msg)
	if err != nil {
		return "", newError(op, "", ErrUnsupportedValue, err)
	}
	if n := base64.StdEncoding.EncodedLen(len(b)); n > MaxPayload {
		return "", newError(op, "", ErrTooLarge, fmt.Errorf("envelope is %d bytes, limit %d", n, MaxPayload))
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// messageUUID returns "<service uuid>.<uuid4>" (or the bare uuid4 when
// the service uuid is empty).
func messageUUID(svcUUID string, newUUID func() string) (string, error) {
	var u string
	if newUUID != nil {
		u = newUUID()
	} else {
		id, err := newRandomUUID()
		if err != nil {
			return "", err
		}
		u = id
	}
	if svcUUID == "" {
		return u, nil
	}
	return svcUUID + "." + u, nil
}

// Open returns the serialized user message and the metadata of a protobuf
// base envelope.
func (e *ProtobufBase) Open(payload string) (Opened, error) {
	return openProtobuf(payload)
}

// OpenInto opens payload and unmarshals its data into m.
func (e *ProtobufBase) OpenInto(payload string, m proto.Message) (Metadata, error) {
	o, err := openProtobuf(payload)
	if err != nil {
		return Metadata{}, err
	}
	if err := proto.Unmarshal(o.Data, m); err != nil {
		return o.Meta, newError("open protobuf", "data", ErrBadProtobuf, err)
	}
	return o.Meta, nil
}

func openProtobuf(payload string) (Opened, error) {
	const op = "open protobuf"
	if len(payload) > MaxPayload {
		return Opened{}, newError(op, "", ErrTooLarge, fmt.Errorf("payload is %d bytes, limit %d", len(payload), MaxPayload))
	}
	b, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return Opened{}, newError(op, "", ErrBadBase64, err)
	}
	var msg pb.SNSSQSMessage
	if err := proto.Unmarshal(b, &msg); err != nil {
		return Opened{}, newError(op, "", ErrBadProtobuf, err)
	}
	md := msg.GetMetadata()
	meta := Metadata{
		MessageUUID:     md.GetMessageUuid(),
		ProtocolVersion: md.GetProtocolVersion(),
		Topic:           md.GetTopic(),
		DataEncoding:    md.GetDataEncoding(),
		ServiceName:     msg.GetService().GetName(),
		ServiceUUID:     msg.GetService().GetUuid(),
		Timestamp:       md.GetTimestamp(),
	}
	data := msg.GetData()
	switch meta.DataEncoding {
	case "", "proto", "raw":
	case "gzip_proto":
		if data, err = inflate(data); err != nil {
			return Opened{}, withOp(err, op)
		}
	case "base64", "base64_gzip_proto":
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
		n, err := base64.StdEncoding.Decode(dec, data)
		if err != nil {
			return Opened{}, newError(op, "data", ErrBadBase64, err)
		}
		data = dec[:n]
		if meta.DataEncoding == "base64_gzip_proto" {
			if data, err = inflate(data); err != nil {
				return Opened{}, withOp(err, op)
			}
		}
	default:
		return Opened{}, newError(op, "metadata.data_encoding", ErrUnknownEncoding, fmt.Errorf("%q", meta.DataEncoding))
	}
	if data == nil {
		data = []byte{}
	}
	return Opened{Data: data, Meta: meta}, nil
}
