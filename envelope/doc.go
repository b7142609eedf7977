// Package envelope turns what arrives on an SQS queue into typed values and
// typed values into what tomodachi services expect on the wire.
//
// A message from a queue is handled in two steps. [Unwrap] takes the SQS
// body apart: an SNS notification, the Type "Message" body that tomodachi's
// sqs_send_message writes, or a raw delivery. It yields a [Delivery] with the
// payload, the topic (decoded from the TopicArn as tomodachi decodes it) and
// the decoded message attributes. An [Envelope] then opens the payload into
// data and [Metadata]:
//
//   - [JSON] (tomodachi-json-base--1.0.0), including its compressed form;
//   - [Protobuf] (tomodachi-protobuf-base--1.0.0);
//   - [Raw], for services without an envelope: the payload is the data;
//   - or a custom envelope: any type with Seal and Open methods.
//
// Sending goes the other way: an envelope seals a value for a topic, byte
// for byte as tomodachi would, [EncodeAttributes] encodes message attributes
// as tomodachi encodes Python values, and [SQSBody] writes the body
// tomodachi's sqs_send_message writes.
//
// In a pipeline the stage helpers do this for you: [DecodeJSON],
// [DecodeProto], [DecodeRaw], [DecodeRawJSON] and [Decode] turn a stream of
// deliveries into a typed stream, and [Encode] seals a typed stream for a
// sink. A message that cannot be decoded fails with a permanent error (see
// flow.Permanent), so it is dead-lettered rather than retried.
//
// Bad input never panics: it is an [*Error] naming the operation, the field
// and the kind of problem (ErrNotJSON, ErrBadBase64, ErrAttributeType, ...),
// which callers test with errors.Is.
//
// # Differences from tomodachi
//
// The formats are tomodachi's; a few reactions to bad or unusual input differ
// on purpose. An unknown data_encoding is an error (tomodachi hands the
// handler null data). Number attributes with an exponent such as "1e+20",
// which Python writes for large floats, decode as float64 (tomodachi fails on
// them and leaves the message on the queue). Custom attribute types such as
// "Number.float" decode as their base type (tomodachi drops them). Raw
// deliveries are accepted (tomodachi silently deletes them).
package envelope
