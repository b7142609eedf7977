package attrconv_test

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/attrconv"
)

func Example() {
	attrs, _ := envelope.EncodeAttributes(map[string]any{"amount": 4711, "paid": true})
	sns := attrconv.ToSNS(attrs)
	fmt.Println(aws.ToString(sns["amount"].DataType), aws.ToString(sns["amount"].StringValue))
	fmt.Println(aws.ToString(sns["paid"].DataType), aws.ToString(sns["paid"].StringValue))
	// Output:
	// Number 4711
	// String.Array true
}
