package envelope

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxPayload is the largest payload, in bytes, that Seal produces and Open
// accepts: 256 KiB, the SNS message size limit. Decompressed data may be
// larger, up to MaxDecompressed.
const MaxPayload = 256 * 1024

// MaxDecompressed bounds the size of compressed envelope data once
// decompressed (16 MiB), so a small hostile payload cannot exhaust memory.
const MaxDecompressed = 16 << 20

// compressThreshold is tomodachi's size above which envelope data is
// zlib-compressed: at least this many characters of JSON for the JSON base,
// more than this many bytes of protobuf for the protobuf base.
const compressThreshold = 60000

// Envelope wraps a message's data for the wire and unwraps it again.
//
// Seal returns the payload for data published to topic (the topic as the
// application names it: no prefix, not encoded; "" when sending straight to a
// queue). attrs are the message attributes that will travel with it, for
// envelopes that want them; they are not changed. Open returns the data and
// metadata found in payload, or an [*Error] for bad input.
//
// Implementations must be safe for concurrent use. A custom envelope is any
// type with these two methods; sources and sinks take one as an option.
type Envelope interface {
	Seal(topic string, data any, attrs map[string]any) (string, error)
	Open(payload string) (Opened, error)
}

// The envelopes of this package implement Envelope.
var (
	_ Envelope = (*JSONBase)(nil)
	_ Envelope = (*ProtobufBase)(nil)
	_ Envelope = rawEnvelope{}
)

// Opened is what an envelope found in a payload.
type Opened struct {
	// Data is the message data: JSON text for the JSON base, the serialized
	// user message for the protobuf base, the payload's bytes for Raw. It is
	// the caller's to keep.
	Data []byte
	// Meta is the envelope's metadata (zero for Raw).
	Meta Metadata
}

// Metadata is what an envelope says about its message. Fields the envelope
// did not carry are empty.
type Metadata struct {
	// MessageUUID identifies the message: "<service uuid>.<uuid4>" when
	// made by tomodachi or this package.
	MessageUUID string
	// ProtocolVersion names the envelope format, e.g. "tomodachi-json-base--1.0.0".
	ProtocolVersion string
	// Topic is the topic the sender published to, as the sender named it
	// (no prefix, not encoded; "" for messages sent straight to a queue).
	Topic string
	// DataEncoding is how the data was encoded in the envelope: "raw" or
	// "base64_gzip_json" (JSON base), "proto" or "gzip_proto" (protobuf base).
	DataEncoding string
	// ServiceName and ServiceUUID identify the sending service.
	ServiceName, ServiceUUID string
	// Timestamp is when the message was sealed, in seconds since the Unix
	// epoch, exactly as the envelope carries it (see Time).
	Timestamp float64
}

// Time returns Timestamp as a time.Time, read from its shortest decimal form
// (so 1712345678.123456 is 123456 µs past the second, not the nearest
// float's 123456001 ns), rounded to the nanosecond. It returns the zero Time
// if Timestamp is 0 or out of time.Time's range.
func (m Metadata) Time() time.Time {
	f := m.Timestamp
	if f == 0 || math.IsNaN(f) || math.Abs(f) >= 1<<62/1e9 {
		return time.Time{}
	}
	s := strconv.FormatFloat(math.Abs(f), 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	sec, _ := strconv.ParseInt(intPart, 10, 64)
	var nsec int64
	for i := 0; i < 9; i++ {
		nsec *= 10
		if i < len(frac) {
			nsec += int64(frac[i] - '0')
		}
	}
	if len(frac) > 9 && frac[9] >= '5' {
		nsec++
	}
	if f < 0 {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec)
}

// Service identifies the service that seals messages: tomodachi's service
// name and uuid, carried in every JSON and protobuf envelope.
type Service struct {
	Name string
	UUID string
}

// pyTimestamp converts t to a float as Python's time.time() does.
func pyTimestamp(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}
