package envelope_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/envelope/internal/testpb"
)

func TestProtobufVector(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	payload := strings.TrimSpace(readVector(t, "08_protobuf_envelope.b64.txt"))
	want := readJSON(t, "08_protobuf_envelope.decoded.json")
	md := want["metadata"].(map[string]any)
	svc := want["service"].(map[string]any)
	wantData, err := hex.DecodeString(want["data_hex"].(string))
	is.NoErr(err)
	wantMeta := envelope.Metadata{
		MessageUUID:     md["message_uuid"].(string),
		ProtocolVersion: md["protocol_version"].(string),
		Topic:           md["topic"].(string),
		DataEncoding:    md["data_encoding"].(string),
		ServiceName:     svc["name"].(string),
		ServiceUUID:     svc["uuid"].(string),
		Timestamp:       pyValue(t, md["timestamp"]).(float64),
	}

	env := &envelope.ProtobufBase{
		Service: vecService,
		NewUUID: func() string { return vecUUID4 },
		Now:     func() time.Time { return vecTime },
	}
	o, err := env.Open(payload)
	is.NoErr(err)
	is.Equal(o.Meta, wantMeta)
	is.Equal(o.Data, wantData)

	var p testpb.Person
	meta, err := env.OpenInto(payload, &p)
	is.NoErr(err)
	is.Equal(meta, wantMeta)
	is.Equal(p.GetId(), "12")
	is.Equal(p.GetName(), "John Doe")

	for _, data := range []any{wantData, &testpb.Person{Id: "12", Name: "John Doe"}} {
		sealed, err := env.Seal("person-created", data, nil)
		is.NoErr(err)
		is.Equal(sealed, payload)
		raw, err := base64.StdEncoding.DecodeString(sealed)
		is.NoErr(err)
		wantRaw, err := base64.StdEncoding.DecodeString(payload)
		is.NoErr(err)
		is.Equal(raw, wantRaw) // byte for byte after base64-decoding
	}
}

// pbEnvelope builds a protobuf base envelope by hand with protowire, so
// tests can make ones the Go envelope would never seal.
func pbEnvelope(encoding string, data []byte) string {
	var md []byte
	md = protowire.AppendTag(md, 1, protowire.BytesType)
	md = protowire.AppendString(md, "m-1")
	md = protowire.AppendTag(md, 5, protowire.BytesType)
	md = protowire.AppendString(md, encoding)
	var b []byte
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, md)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendBytes(b, data)
	return base64.StdEncoding.EncodeToString(b)
}

func TestProtobufDataEncodings(t *testing.T) {
	t.Parallel()
	person := []byte("\x0a\x0212\x12\x08John Doe")
	b64 := []byte(base64.StdEncoding.EncodeToString(person))
	tests := []struct {
		encoding string
		data     []byte
	}{
		{"proto", person},
		{"", person},
		{"raw", person},
		{"gzip_proto", zlibBytes(t, person)},
		{"base64", b64},
		{"base64_gzip_proto", []byte(base64.StdEncoding.EncodeToString(zlibBytes(t, person)))},
	}
	for _, tt := range tests {
		t.Run(tt.encoding, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			var p testpb.Person
			meta, err := envelope.Protobuf(envelope.Service{}).OpenInto(pbEnvelope(tt.encoding, tt.data), &p)
			is.NoErr(err)
			is.Equal(meta.MessageUUID, "m-1")
			is.Equal(meta.DataEncoding, tt.encoding)
			is.Equal(p.GetName(), "John Doe")
		})
	}
}

func TestProtobufCompressedRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		size     int
		encoding string
	}{
		{"60,000 bytes", 60000, "proto"},
		{"60,001 bytes", 60001, "gzip_proto"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			data := []byte(strings.Repeat("p", tt.size))
			env := envelope.Protobuf(envelope.Service{Name: "s", UUID: "u"})
			sealed, err := env.Seal("topic", data, nil)
			is.NoErr(err)
			o, err := env.Open(sealed)
			is.NoErr(err)
			is.Equal(o.Meta.DataEncoding, tt.encoding)
			is.Equal(o.Meta.Topic, "topic")
			is.Equal(o.Meta.ServiceName, "s")
			is.Equal(o.Meta.ProtocolVersion, envelope.ProtobufProtocolVersion)
			is.True(strings.HasPrefix(o.Meta.MessageUUID, "u."))
			is.Equal(o.Data, data)
		})
	}
}

func TestProtobufErrors(t *testing.T) {
	t.Parallel()
	valid := strings.TrimSpace(readVector(t, "08_protobuf_envelope.b64.txt"))
	raw, err := base64.StdEncoding.DecodeString(valid)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		payload string
		kind    error
		field   string
	}{
		{"not base64", "not base64!", envelope.ErrBadBase64, ""},
		{"JSON instead", `{"data": 1}`, envelope.ErrBadBase64, ""},
		{"truncated", base64.StdEncoding.EncodeToString(raw[:len(raw)-3]), envelope.ErrBadProtobuf, ""},
		{"invalid UTF-8 in a string", pbEnvelope("proto\xff", nil), envelope.ErrBadProtobuf, ""},
		{"unknown encoding", pbEnvelope("bzip2", []byte("x")), envelope.ErrUnknownEncoding, "metadata.data_encoding"},
		{"bad zlib", pbEnvelope("gzip_proto", []byte("nope")), envelope.ErrBadZlib, "data"},
		{"bad inner base64", pbEnvelope("base64", []byte("@@")), envelope.ErrBadBase64, "data"},
		{"too large", strings.Repeat("A", envelope.MaxPayload+4), envelope.ErrTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			_, err := envelope.Protobuf(envelope.Service{}).Open(tt.payload)
			is.True(errors.Is(err, tt.kind))
			var e *envelope.Error
			is.True(errors.As(err, &e))
			is.Equal(e.Op, "open protobuf")
			is.Equal(e.Field, tt.field)
		})
	}

	t.Run("data is not the message", func(t *testing.T) {
		t.Parallel()
		is := is.New(t)
		var p testpb.Person
		_, err := envelope.Protobuf(envelope.Service{}).OpenInto(pbEnvelope("proto", []byte{0x0a, 0x05, 'a'}), &p)
		is.True(errors.Is(err, envelope.ErrBadProtobuf))
	})

	t.Run("seal refuses other values", func(t *testing.T) {
		t.Parallel()
		is := is.New(t)
		env := envelope.Protobuf(envelope.Service{})
		for _, v := range []any{"string", 5, (*testpb.Person)(nil), nil} {
			_, err := env.Seal("t", v, nil)
			is.True(errors.Is(err, envelope.ErrUnsupportedValue))
		}
		_, err := env.Seal("t", []byte(incompressible(300000)), nil)
		is.True(errors.Is(err, envelope.ErrTooLarge))
	})
}
