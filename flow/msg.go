package flow

import "time"

// Msg is one item travelling through a pipeline: a value, the metadata of the
// message it came from, and a reference to that message's [Token].
//
// A Msg is passed by value; copies share Meta and the token. Whoever receives
// a Msg from a stream owns that reference and must pass it on, or finish it
// with exactly one call to Ack or Fail.
type Msg[T any] struct {
	Value T
	// Meta is never nil in messages made by NewMsg. It is shared by every item
	// derived from the same message, so stages must not modify it after they
	// have passed the item on.
	Meta *Meta
	tok  *Token
}

// NewMsg returns a message carrying v, meta (a fresh Meta if nil) and tok.
// A nil tok makes a message without acknowledgement.
func NewMsg[T any](v T, meta *Meta, tok *Token) Msg[T] {
	if meta == nil {
		meta = &Meta{}
	}
	return Msg[T]{Value: v, Meta: meta, tok: tok}
}

// Derive returns a message carrying v with m's metadata and token reference.
// The reference moves to the result: finish the result, not m.
func Derive[U, T any](m Msg[T], v U) Msg[U] {
	return Msg[U]{Value: v, Meta: m.Meta, tok: m.tok}
}

// Token returns the message's acknowledgement token (nil if it has none).
func (m Msg[T]) Token() *Token { return m.tok }

// Ack releases this reference as done.
func (m Msg[T]) Ack() { m.tok.Done(nil) }

// Fail releases this reference as failed with err (which must not be nil).
// Wrap err with [Permanent] when retrying cannot help. Fail does not report the
// error; stages report it through their [Stage].
func (m Msg[T]) Fail(err error) {
	if err == nil {
		err = errNilFailure
	}
	m.tok.Done(err)
}

// Meta is what is known about a message besides its value. Sources fill in
// what the transport provides; stages that open envelopes add what the
// envelope says. Field names are transport-neutral; the SQS source documents
// how it maps them.
type Meta struct {
	// ID is the transport's id for this delivery (the SQS MessageId).
	ID string
	// Topic is the topic the message was published to, "" if none.
	Topic string
	// GroupID and DedupID are the FIFO message group and deduplication ids.
	GroupID, DedupID string
	// Attributes are the message attributes, decoded: string, int64, float64,
	// bool, nil, []any or []byte values.
	Attributes map[string]any
	// ReceiveCount is how many times the transport has delivered the message,
	// this delivery included (0 if unknown).
	ReceiveCount int
	// Timestamp is when the message was sent or published, if known.
	Timestamp time.Time
	// UUID is the message uuid from its envelope, once an envelope is opened.
	UUID string
	// Transport holds source-specific details (for the SQS source, its
	// delivery record with receipt handle, queue URL and raw body).
	Transport any
}
