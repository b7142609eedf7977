package envelope_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/envelope"
)

func TestUnwrap(t *testing.T) {
	t.Parallel()
	const envelopeJSON = `{"service": {}, "metadata": {}, "data": 1}`
	notification := func(arn, message string) string {
		return `{"Type": "Notification", "MessageId": "m-1", "TopicArn": "` + arn + `", "Subject": "subj",` +
			` "Message": ` + message + `, "Timestamp": "2024-04-05T19:34:38.200Z",` +
			` "MessageAttributes": {"a": {"Type": "Number", "Value": "1"}}}`
	}
	tests := []struct {
		name     string
		body     string
		sqsAttrs map[string]envelope.Attribute
		opts     envelope.UnwrapOptions
		want     envelope.Delivery // Body is filled in from body
	}{
		{
			name: "notification",
			body: notification("arn:aws:sns:eu-west-1:123456789012:dev-order-created", `"hello"`),
			opts: envelope.UnwrapOptions{TopicPrefix: "dev-"},
			want: envelope.Delivery{Payload: "hello", Type: "Notification",
				TopicARN: "arn:aws:sns:eu-west-1:123456789012:dev-order-created", Topic: "order-created",
				SNSMessageID: "m-1", Subject: "subj", Timestamp: "2024-04-05T19:34:38.200Z",
				Attributes: map[string]any{"a": int64(1)}},
		},
		{
			name: "encoded topic, prefix absent, fifo kept",
			body: notification("arn:aws:sns:eu-west-1:1:order___2e_created.fifo", `"x"`),
			opts: envelope.UnwrapOptions{TopicPrefix: "dev-"},
			want: envelope.Delivery{Payload: "x", Type: "Notification", TopicARN: "arn:aws:sns:eu-west-1:1:order___2e_created.fifo",
				Topic: "order.created.fifo", SNSMessageID: "m-1", Subject: "subj", Timestamp: "2024-04-05T19:34:38.200Z",
				Attributes: map[string]any{"a": int64(1)}},
		},
		{
			name:     "SQS attributes take precedence",
			body:     notification("arn:aws:sns:r:1:t", `"x"`),
			sqsAttrs: map[string]envelope.Attribute{"b": {DataType: "String", StringValue: "sqs"}},
			want: envelope.Delivery{Payload: "x", Type: "Notification", TopicARN: "arn:aws:sns:r:1:t", Topic: "t",
				SNSMessageID: "m-1", Subject: "subj", Timestamp: "2024-04-05T19:34:38.200Z",
				Attributes: map[string]any{"b": "sqs"}},
		},
		{
			name: "escaped message",
			body: notification("arn:aws:sns:r:1:t", `"{\"data\": \"r\\u00e4k\"}"`),
			want: envelope.Delivery{Payload: `{"data": "r\u00e4k"}`, Type: "Notification", TopicARN: "arn:aws:sns:r:1:t", Topic: "t",
				SNSMessageID: "m-1", Subject: "subj", Timestamp: "2024-04-05T19:34:38.200Z",
				Attributes: map[string]any{"a": int64(1)}},
		},
		{
			name: "Type Message body",
			body: `{"Type": "Message", "QueueUrl": "q", "Version": "0", "Message": "p", "Timestamp": "T", "MessageAttributes": {"blob": {"Type": "Binary", "Value": "YWJj"}}}`,
			want: envelope.Delivery{Payload: "p", Type: "Message", Timestamp: "T", Attributes: map[string]any{"blob": []byte("abc")}},
		},
		{
			name: "attribute key variants",
			body: `{"Type": "Message", "Message": "p", "MessageAttributes": {"x": {"type": "String", "DataType": "Number", "value": "no", "StringValue": "2"}, "skipped": {"Type": "String"}}}`,
			want: envelope.Delivery{Payload: "p", Type: "Message", Attributes: map[string]any{"x": int64(2)}},
		},
		{
			name:     "raw delivery of an envelope",
			body:     envelopeJSON,
			sqsAttrs: map[string]envelope.Attribute{"k": {DataType: "String.Array", StringValue: "[1]"}},
			want:     envelope.Delivery{Payload: envelopeJSON, Attributes: map[string]any{"k": []any{int64(1)}}},
		},
		{
			name: "raw delivery of text",
			body: "plain text",
			want: envelope.Delivery{Payload: "plain text"},
		},
		{
			name: "raw delivery of JSON that is not an object",
			body: `[1, 2]`,
			want: envelope.Delivery{Payload: `[1, 2]`},
		},
		{
			name: "raw delivery of another Type",
			body: `{"Type": "SubscriptionConfirmation", "Message": "m"}`,
			want: envelope.Delivery{Payload: `{"Type": "SubscriptionConfirmation", "Message": "m"}`},
		},
		{
			name: "raw mode keeps a notification whole",
			body: notification("arn:aws:sns:r:1:t", `"x"`),
			opts: envelope.UnwrapOptions{Mode: envelope.ModeRaw},
			want: envelope.Delivery{Payload: notification("arn:aws:sns:r:1:t", `"x"`)},
		},
		{
			name: "wrapped mode takes Message whatever the Type",
			body: `{"Message": "m"}`,
			opts: envelope.UnwrapOptions{Mode: envelope.ModeWrapped},
			want: envelope.Delivery{Payload: "m"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			got, err := envelope.Unwrap(tt.body, tt.sqsAttrs, tt.opts)
			is.NoErr(err)
			tt.want.Body = tt.body
			is.True(reflect.DeepEqual(got, tt.want))
		})
	}
}

func TestUnwrapErrors(t *testing.T) {
	t.Parallel()
	wrapped := envelope.UnwrapOptions{Mode: envelope.ModeWrapped}
	tests := []struct {
		name     string
		body     string
		sqsAttrs map[string]envelope.Attribute
		opts     envelope.UnwrapOptions
		kind     error
		field    string
	}{
		{"missing Message", `{"Type": "Notification", "TopicArn": "arn:aws:sns:r:1:t"}`, nil, envelope.UnwrapOptions{}, envelope.ErrNoMessage, "Message"},
		{"empty Message", `{"Type": "Message", "Message": ""}`, nil, envelope.UnwrapOptions{}, envelope.ErrNoMessage, "Message"},
		{"null Message", `{"Type": "Notification", "Message": null}`, nil, envelope.UnwrapOptions{}, envelope.ErrNoMessage, "Message"},
		{"Message not a string", `{"Type": "Notification", "Message": {"a": 1}}`, nil, envelope.UnwrapOptions{}, envelope.ErrBadField, "Message"},
		{"bad attribute type", `{"Type": "Message", "Message": "m", "MessageAttributes": {"x": {"Type": "Foo", "Value": "1"}}}`, nil, envelope.UnwrapOptions{}, envelope.ErrAttributeType, `attribute "x"`},
		{"bad attribute number", `{"Type": "Message", "Message": "m", "MessageAttributes": {"x": {"Type": "Number", "Value": "1,5"}}}`, nil, envelope.UnwrapOptions{}, envelope.ErrAttributeValue, `attribute "x"`},
		{"bad attribute base64", `{"Type": "Message", "Message": "m", "MessageAttributes": {"x": {"Type": "Binary", "Value": "%%"}}}`, nil, envelope.UnwrapOptions{}, envelope.ErrBadBase64, `attribute "x"`},
		{"attribute not an object", `{"Type": "Message", "Message": "m", "MessageAttributes": {"x": 1}}`, nil, envelope.UnwrapOptions{}, envelope.ErrAttributeValue, `attribute "x"`},
		{"attributes not an object", `{"Type": "Message", "Message": "m", "MessageAttributes": []}`, nil, envelope.UnwrapOptions{}, envelope.ErrBadField, "MessageAttributes"},
		{"bad SQS attribute", "raw", map[string]envelope.Attribute{"x": {DataType: "Number", StringValue: "x"}}, envelope.UnwrapOptions{}, envelope.ErrAttributeValue, `attribute "x"`},
		{"broken notification", `{"Type": "Notification", "Message": "m", `, nil, envelope.UnwrapOptions{}, envelope.ErrNotJSON, ""},
		{"wrapped: not JSON", "plain", nil, wrapped, envelope.ErrNotJSON, ""},
		{"wrapped: not an object", `"str"`, nil, wrapped, envelope.ErrNotObject, ""},
		{"wrapped: no Message", `{"service": {}, "data": 1}`, nil, wrapped, envelope.ErrNoMessage, "Message"},
		{"too large", strings.Repeat("x", 101), nil, envelope.UnwrapOptions{MaxBody: 100}, envelope.ErrTooLarge, ""},
		{"over the default limit", strings.Repeat("x", envelope.MaxBody+1), nil, envelope.UnwrapOptions{}, envelope.ErrTooLarge, ""},
		{"unknown mode", "x", nil, envelope.UnwrapOptions{Mode: 9}, envelope.ErrUnsupportedValue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			_, err := envelope.Unwrap(tt.body, tt.sqsAttrs, tt.opts)
			is.True(errors.Is(err, tt.kind))
			var e *envelope.Error
			is.True(errors.As(err, &e))
			is.Equal(e.Op, "unwrap")
			is.Equal(e.Field, tt.field)
			is.True(strings.HasPrefix(err.Error(), "envelope: unwrap"))
		})
	}
}

func TestUnwrapModeString(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	is.Equal(envelope.ModeAuto.String(), "auto")
	is.Equal(envelope.ModeWrapped.String(), "wrapped")
	is.Equal(envelope.ModeRaw.String(), "raw")
	is.Equal(envelope.UnwrapMode(7).String(), "UnwrapMode(7)")
}
