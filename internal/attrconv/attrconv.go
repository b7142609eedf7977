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
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]sqstypes.MessageAttributeValue, len(in))
	for k, a := range in {
		v := sqstypes.MessageAttributeValue{DataType: aws.String(a.DataType)}
		if strings.HasPrefix(a.DataType, "Binary") {
			v.BinaryValue = a.BinaryValue
		} else {
			v.StringValue = aws.String(a.StringValue)
		}
		out[k] = v
	}
	return out
}

// ToSNS converts attributes for Publish. It returns nil for none.
func ToSNS(in map[string]envelope.Attribute) map[string]snstypes.MessageAttributeValue {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]snstypes.MessageAttributeValue, len(in))
	for k, a := range in {
		v := snstypes.MessageAttributeValue{DataType: aws.String(a.DataType)}
		if strings.HasPrefix(a.DataType, "Binary") {
			v.BinaryValue = a.BinaryValue
		} else {
			v.StringValue = aws.String(a.StringValue)
		}
		out[k] = v
	}
	return out
}
