package attrconv

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/sqsflow/sqsflow/envelope"
)

// FromSQS converts received SQS message attributes. It returns nil for none.
func FromSQS(in map[string]sqstypes.MessageAttributeValue) map[string]envelope.Attribute {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]envelope.Attribute, len(in))
	for k, v := range in {
		out[k] = envelope.Attribute{DataType: aws.ToString(v.DataType), StringValue: aws.ToString(v.StringValue), BinaryValue: v.BinaryValue}
	}
	return out
}

// ToSQS converts attributes for SendMessage. It returns nil for none.
func ToSQS(in map[string]envelope.Attribute) map[string]sqstypes.MessageAttributeValue {
	return convert(in, func(dataType, str *string, bin []byte) sqstypes.MessageAttributeValue {
		return sqstypes.MessageAttributeValue{DataType: dataType, StringValue: str, BinaryValue: bin}
	})
}

// ToSNS converts attributes for Publish. It returns nil for none.
func ToSNS(in map[string]envelope.Attribute) map[string]snstypes.MessageAttributeValue {
	return convert(in, func(dataType, str *string, bin []byte) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: dataType, StringValue: str, BinaryValue: bin}
	})
}

// convert makes the SDK's value for each attribute: a Binary type (or a
// custom "Binary.x") carries bytes, any other a string.
func convert[V any](in map[string]envelope.Attribute, value func(dataType, str *string, bin []byte) V) map[string]V {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]V, len(in))
	for k, a := range in {
		if strings.HasPrefix(a.DataType, "Binary") {
			out[k] = value(aws.String(a.DataType), nil, a.BinaryValue)
		} else {
			out[k] = value(aws.String(a.DataType), aws.String(a.StringValue), nil)
		}
	}
	return out
}
