package attrconv_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/attrconv"
)

func TestRoundTrip(t *testing.T) {
	is := is.New(t)
	in := map[string]envelope.Attribute{
		"s":     {DataType: "String", StringValue: "v"},
		"n":     {DataType: "Number", StringValue: "1e+20"},
		"b":     {DataType: "Binary", BinaryValue: []byte{0, 1}},
		"empty": {DataType: "Binary.custom", BinaryValue: []byte{}},
	}
	sqs := attrconv.ToSQS(in)
	is.Equal(aws.ToString(sqs["s"].StringValue), "v")
	is.Equal(sqs["b"].StringValue, nil) // binary goes as bytes only
	is.Equal(sqs["b"].BinaryValue, []byte{0, 1})
	is.Equal(sqs["empty"].StringValue, nil) // chosen by type, not by nil-ness
	is.Equal(attrconv.FromSQS(sqs), in)

	sns := attrconv.ToSNS(in)
	is.Equal(aws.ToString(sns["n"].DataType), "Number")
	is.Equal(aws.ToString(sns["n"].StringValue), "1e+20")
	is.Equal(sns["b"].BinaryValue, []byte{0, 1})

	is.Equal(attrconv.ToSQS(nil), nil)
	is.Equal(attrconv.ToSNS(map[string]envelope.Attribute{}), nil)
	is.Equal(attrconv.FromSQS(map[string]sqstypes.MessageAttributeValue{}), nil)
}
