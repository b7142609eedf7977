package envelope

import (
	"errors"
	"strings"
)

// The kinds of bad input. Every error returned by this package for bad input
// is an [*Error] whose Kind is one of these, so callers can branch with
// errors.Is(err, envelope.ErrBadBase64) and the like.
var (
	// ErrNotJSON: the text is not valid JSON.
	ErrNotJSON = errors.New("not valid JSON")
	// ErrNotObject: the text is JSON, but not a JSON object.
	ErrNotObject = errors.New("JSON value is not an object")
	// ErrNoMessage: a notification body has no "Message", or it is empty or not a string.
	ErrNoMessage = errors.New("missing or empty Message")
	// ErrNoData: an envelope has no "data".
	ErrNoData = errors.New("missing data")
	// ErrBadField: a field of an envelope or body has the wrong JSON type.
	ErrBadField = errors.New("field has the wrong type")
	// ErrUnknownEncoding: metadata.data_encoding names an encoding this package does not know.
	ErrUnknownEncoding = errors.New("unknown data encoding")
	// ErrBadBase64: text that must be standard, padded base64 is not.
	ErrBadBase64 = errors.New("bad base64")
	// ErrBadZlib: compressed data is not a valid zlib stream.
	ErrBadZlib = errors.New("bad zlib data")
	// ErrBadProtobuf: bytes are not a valid protobuf encoding of the expected message.
	ErrBadProtobuf = errors.New("bad protobuf")
	// ErrAttributeType: a message attribute's data type is missing or unknown.
	ErrAttributeType = errors.New("unknown attribute data type")
	// ErrAttributeValue: a message attribute's value cannot be parsed as its data type.
	ErrAttributeValue = errors.New("bad attribute value")
	// ErrTooLarge: a payload, body or decompressed data is over its size limit.
	ErrTooLarge = errors.New("too large")
	// ErrDecode: a decode stage could not turn a message's data into its type.
	ErrDecode = errors.New("does not decode into the target type")
	// ErrUnsupportedValue: a value given to Seal or EncodeAttributes cannot be encoded.
	ErrUnsupportedValue = errors.New("unsupported value")
)

// Error is the error returned for bad input: what was being done (Op), where
// the problem is (Field, "" for the whole input), which kind of problem it is
// (Kind, one of the Err* variables) and the underlying cause, if any (Err).
//
// errors.Is matches both Kind and whatever Err wraps.
type Error struct {
	Op    string // e.g. "open json", "unwrap", "decode attributes", "seal protobuf"
	Field string // e.g. "metadata.timestamp", `attribute "amount"`; "" for the whole input
	Kind  error
	Err   error
}

// Error returns "envelope: <op>: <field>: <kind>: <cause>", leaving out empty parts.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("envelope: ")
	b.WriteString(e.Op)
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	if e.Kind != nil {
		b.WriteString(": ")
		b.WriteString(e.Kind.Error())
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Kind and Err, so that errors.Is and errors.As see both.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

func newError(op, field string, kind, cause error) *Error {
	return &Error{Op: op, Field: field, Kind: kind, Err: cause}
}

// withOp returns err with Op set to op when it is an *Error without one
// (a copy: the original may be shared).
func withOp(err error, op string) error {
	if e, ok := err.(*Error); ok && e.Op == "" {
		c := *e
		c.Op = op
		return &c
	}
	return err
}
