package envelope

import (
	"fmt"
	"unicode/utf8"
)

// Raw is the envelope for payloads without one: the payload is the data,
// as tomodachi sends and receives it when a service has no message envelope.
//
// Seal accepts a string or a []byte holding valid UTF-8 (SNS and SQS carry
// text only) and returns it unchanged; any other value is an
// ErrUnsupportedValue error. Open returns the payload's bytes and zero
// Metadata. Both refuse payloads over MaxPayload.
var Raw Envelope = rawEnvelope{}

type rawEnvelope struct{}

func (rawEnvelope) Seal(_ string, data any, _ map[string]any) (string, error) {
	const op = "seal raw"
	var s string
	switch v := data.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return "", newError(op, "", ErrUnsupportedValue, fmt.Errorf("raw data must be a string or []byte, not %T", data))
	}
	if len(s) > MaxPayload {
		return "", newError(op, "", ErrTooLarge, fmt.Errorf("%d bytes, limit %d", len(s), MaxPayload))
	}
	if !utf8.ValidString(s) {
		return "", newError(op, "", ErrUnsupportedValue, fmt.Errorf("raw data is not valid UTF-8"))
	}
	return s, nil
}

func (rawEnvelope) Open(payload string) (Opened, error) {
	if len(payload) > MaxPayload {
		return Opened{}, newError("open raw", "", ErrTooLarge, fmt.Errorf("%d bytes, limit %d", len(payload), MaxPayload))
	}
	return Opened{Data: []byte(payload)}, nil
}
