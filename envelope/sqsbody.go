package envelope

import (
	"encoding/base64"
	"fmt"
	"slices"
	"time"
)

// SQSBody returns the SQS message body tomodachi's sqs_send_message writes
// (its default MessageBodyFormatter), byte for byte:
//
//	{"Type": "Message", "QueueUrl": <queueURL>, "Version": "0", "Message": <payload>,
//	 "Timestamp": "2024-04-05T19:36:00.000Z", "MessageAttributes": {<name>: {"Type": ..., "Value": ...}}}
//
// payload is the sealed envelope (sealed with topic ""), now the send time
// (written in UTC, milliseconds truncated) and attrs the message attributes,
// encoded as EncodeAttributes does (Binary values as base64). tomodachi
// also sends the same attributes as SQS message attributes, and receivers
// prefer those.
//
// Attributes are written in the order of the names in order, then any others
// sorted by name. tomodachi writes them in the order its caller's dict has;
// no consumer depends on it, but order lets a caller reproduce a body exactly.
func SQSBody(queueURL, payload string, attrs map[string]any, now time.Time, order ...string) (string, error) {
	const op = "sqs body"
	encoded, err := EncodeAttributes(attrs)
	if err != nil {
		return "", withOp(err, op)
	}
	b := make([]byte, 0, 160+len(queueURL)+len(payload)*5/4+64*len(attrs))
	b = append(b, `{"Type": "Message", "QueueUrl": `...)
	b = appendPyString(b, queueURL)
	b = append(b, `, "Version": "0", "Message": `...)
	b = appendPyString(b, payload)
	b = append(b, `, "Timestamp": "`...)
	b = now.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, `", "MessageAttributes": {`...)
	names := make([]string, 0, len(encoded))
	seen := make(map[string]bool, len(order))
	for _, name := range order {
		if _, ok := encoded[name]; ok && !seen[name] {
			names = append(names, name)
			seen[name] = true
		}
	}
	rest := len(names)
	for name := range encoded {
		if !seen[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names[rest:])
	for i, name := range names {
		if i > 0 {
			b = append(b, ", "...)
		}
		a := encoded[name]
		b = appendPyString(b, name)
		b = append(b, `: {"Type": `...)
		b = appendPyString(b, a.DataType)
		b = append(b, `, "Value": `...)
		if a.DataType == "Binary" {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, a.BinaryValue)
			b = append(b, '"')
		} else {
			b = appendPyString(b, a.StringValue)
		}
		b = append(b, '}')
	}
	b = append(b, "}}"...)
	if len(b) > MaxBody {
		return "", newError(op, "", ErrTooLarge, fmt.Errorf("body is %d bytes, limit %d", len(b), MaxBody))
	}
	return string(b), nil
}
