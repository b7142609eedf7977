package filter

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkMatch(b *testing.B) {
	var records []string
	for i := range 50 {
		records = append(records, fmt.Sprintf(
			`{"eventSource": "aws:s3", "eventTime": "2022-11-21T03:41:29.743Z", "eventName": "ObjectRemoved:Delete",
			  "s3": {"bucket": {"name": "insurance-bucket-demo", "arn": "arn:aws:s3:::insurance-bucket-demo"},
			         "object": {"key": "home-insurance-%d.xml", "size": %d, "eTag": "d41d8cd98f00b204e9800998ecf8427e"}}}`, i, i*17))
	}
	records = append(records, `{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "auto-insurance-2314.xml"}}}`)
	large := `{"Records": [` + strings.Join(records, ",") + `]}`

	cases := []struct {
		name   string
		policy string
		scope  Scope
		attrs  map[string]Attribute
		body   string
	}{
		{
			name:   "attributes",
			policy: `{"currency": ["EUR", "USD"], "amount": [{"numeric": [">", 100, "<=", 5000]}], "region": [{"prefix": "eu-"}]}`,
			scope:  MessageAttributes,
			attrs: map[string]Attribute{
				"currency": str("EUR"), "amount": num("120.50"), "region": str("eu-west-1"),
				"trace": str("abc"), "version": num("3"),
			},
		},
		{
			name:   "attributes-string-array",
			policy: `{"customer_interests": [{"anything-but": ["rugby", "tennis"]}], "store": [{"exists": true}]}`,
			scope:  MessageAttributes,
			attrs:  map[string]Attribute{"customer_interests": arr(`["soccer", "hockey", "baseball"]`), "store": str("example_corp")},
		},
		{
			name:   "body-small",
			policy: `{"order": {"currency": ["EUR", "USD"], "amount": [{"numeric": [">", 100]}]}, "type": [{"prefix": "order."}]}`,
			scope:  MessageBody,
			body:   `{"type": "order.created", "id": "8f14e45f", "order": {"currency": "EUR", "amount": 120.5, "lines": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]}}`,
		},
		{
			name:   "body-or",
			policy: `{"$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}], "detail": {"scope": ["Service"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}}`,
			scope:  MessageBody,
			body:   `{"namespace": "AWS/ES", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change", "state": {"value": "ALARM"}}}`,
		},
		{
			name:   "body-large-array",
			policy: `{"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}`,
			scope:  MessageBody,
			body:   large,
		},
	}
	for _, bc := range cases {
		p, err := Parse(bc.policy, bc.scope)
		if err != nil {
			b.Fatal(err)
		}
		if !p.Match(bc.attrs, bc.body) {
			b.Fatalf("%s: the benchmark message must match", bc.name)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				p.Match(bc.attrs, bc.body)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	const policy = `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"detail": {"value": [{"numeric": [">", 0, "<=", 100]}], "state": [{"anything-but": {"prefix": "OK"}}]}}]}`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(policy, MessageBody); err != nil {
			b.Fatal(err)
		}
	}
}
