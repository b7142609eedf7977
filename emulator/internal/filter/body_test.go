package filter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/matryer/is"
)

type bodyCase struct {
	name   string
	policy string
	body   string
	want   bool
}

func runBodyCases(t *testing.T, cases []bodyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			p, err := Parse(tc.policy, MessageBody)
			is.NoErr(err)
			// Attributes are not read in body scope.
			is.Equal(p.Match(map[string]Attribute{"k": str("x")}, tc.body), tc.want)
		})
	}
}

func TestMatchBodyValues(t *testing.T) {
	t.Parallel()
	const interests = `{"customer_interests": ["rugby", "tennis"]}`
	runBodyCases(t, []bodyCase{
		{"exact", interests, `{"customer_interests": "rugby"}`, true},
		{"exact other", interests, `{"customer_interests": "baseball"}`, false},
		{"exact array element", interests, `{"customer_interests": ["baseball", "tennis"]}`, true},
		{"exact missing", interests, `{"other": "rugby"}`, false},
		{"exact escaped", `{"k": ["café \"q\""]}`, `{"k": "caf\u00e9 \"q\""}`, true},
		{"exact surrogate pair", `{"k": ["😀"]}`, `{"k": "\ud83d\ude00"}`, true},
		{"exact string never equals number", `{"k": ["5"]}`, `{"k": 5}`, false},
		{"exact number numerically", `{"p": [301.5]}`, `{"p": 3.015e2}`, true},
		{"exact number one", `{"p": [1]}`, `{"p": 1.0}`, true},
		{"exact number never equals string", `{"p": [301.5]}`, `{"p": "301.5"}`, false},
		{"exact big number as written", `{"acct": [123456789012]}`, `{"acct": 123456789012}`, true},
		{"true", `{"f": [true]}`, `{"f": true}`, true},
		{"true is not false", `{"f": [true]}`, `{"f": false}`, false},
		{"true is not the string", `{"f": [true]}`, `{"f": "true"}`, false},
		{"null matches null", `{"k": [null]}`, `{"k": null}`, true},
		{"null does not match missing", `{"k": [null]}`, `{"other": 1}`, false},
		{"null does not match a string", `{"k": [null]}`, `{"k": "null"}`, false},

		{"prefix", `{"k": [{"prefix": "auto-"}]}`, `{"k": "auto-test"}`, true},
		{"prefix other", `{"k": [{"prefix": "auto-"}]}`, `{"k": "test-auto"}`, false},
		{"suffix", `{"k": [{"suffix": ".png"}]}`, `{"k": "a.png"}`, true},
		{"suffix other", `{"k": [{"suffix": ".png"}]}`, `{"k": "a.jpg"}`, false},
		{"equals-ignore-case", `{"k": [{"equals-ignore-case": "ABC"}]}`, `{"k": "aBc"}`, true},
		{"equals-ignore-case other", `{"k": [{"equals-ignore-case": "ABC"}]}`, `{"k": "abd"}`, false},
		{"cidr", `{"ip": [{"cidr": "192.168.0.0/16"}]}`, `{"ip": "192.168.10.1"}`, true},
		{"cidr other", `{"ip": [{"cidr": "192.168.0.0/16"}]}`, `{"ip": "192.169.0.1"}`, false},

		{"numeric equals", `{"price_usd": [{"numeric": ["=", 301.5]}]}`, `{"price_usd": 301.5}`, true},
		{"numeric equals exponent", `{"price_usd": [{"numeric": ["=", 301.5]}]}`, `{"price_usd": 3.015e2}`, true},
		{"numeric range", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, `{"p": 150}`, true},
		{"numeric range out", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, `{"p": -1}`, false},
		{"numeric string is not a number", `{"p": [{"numeric": [">", 0]}]}`, `{"p": "5"}`, false},
		{"numeric array element", `{"p": [{"numeric": [">", 10]}]}`, `{"p": [1, 2, 30]}`, true},

		{"anything-but other", `{"k": [{"anything-but": ["rugby", "tennis"]}]}`, `{"k": "baseball"}`, true},
		{"anything-but excluded", `{"k": [{"anything-but": ["rugby", "tennis"]}]}`, `{"k": "rugby"}`, false},
		{"anything-but missing", `{"k": [{"anything-but": ["rugby"]}]}`, `{"other": "x"}`, false},
		// In the body an array matches when one element does, anything-but
		// included (AWS's example: [100, 50] passes anything-but [100, 500]).
		{"anything-but body array", `{"price": [{"anything-but": [100, 500]}]}`, `{"price": [100, 50]}`, true},
		{"anything-but body array all excluded", `{"price": [{"anything-but": [100, 500]}]}`, `{"price": [100, 500]}`, false},
		{"anything-but number excluded", `{"price": [{"anything-but": [100, 500]}]}`, `{"price": 100}`, false},
		{"anything-but number other", `{"price": [{"anything-but": [100, 500]}]}`, `{"price": 100.1}`, true},
		{"anything-but prefix", `{"e": [{"anything-but": {"prefix": "order-"}}]}`, `{"e": "order-x"}`, false},
		{"anything-but prefix other", `{"e": [{"anything-but": {"prefix": "order-"}}]}`, `{"e": "data"}`, true},
		{"anything-but suffix", `{"e": [{"anything-but": {"suffix": "-x"}}]}`, `{"e": "order-x"}`, false},

		{"exists true", `{"k": [{"exists": true}]}`, `{"k": "x"}`, true},
		{"exists true number", `{"k": [{"exists": true}]}`, `{"k": 0}`, true},
		{"exists true missing", `{"k": [{"exists": true}]}`, `{"other": "x"}`, false},
		// AWS: "The key must have a non-null and non-empty value".
		{"exists true null", `{"k": [{"exists": true}]}`, `{"k": null}`, false},
		{"exists true empty string", `{"k": [{"exists": true}]}`, `{"k": ""}`, false},
		{"exists true empty array", `{"k": [{"exists": true}]}`, `{"k": []}`, false},
		// AWS: exists "does not apply to intermediate nodes".
		{"exists true intermediate node", `{"k": [{"exists": true}]}`, `{"k": {"a": 1}}`, false},
		{"exists false missing", `{"k": [{"exists": false}]}`, `{"other": "x"}`, true},
		{"exists false present", `{"k": [{"exists": false}]}`, `{"k": "x"}`, false},
		{"exists false empty body", `{"k": [{"exists": false}]}`, `{}`, false},
		{"exists false nested missing", `{"a": {"k": [{"exists": false}]}}`, `{"a": {"other": 1}}`, true},
		{"exists false nested present", `{"a": {"k": [{"exists": false}]}}`, `{"a": {"k": 1}}`, false},
	})
}

func TestMatchBodyShape(t *testing.T) {
	t.Parallel()
	const doc = `{"customer_interests": ["rugby"]}`
	runBodyCases(t, []bodyCase{
		{"not JSON", doc, `rugby`, false},
		{"JSON string", doc, `"{\"customer_interests\": \"rugby\"}"`, false},
		{"JSON array", doc, `[{"customer_interests": "rugby"}]`, false},
		{"trailing data", doc, `{"customer_interests": "rugby"} {}`, false},
		{"invalid elsewhere", doc, `{"customer_interests": "rugby", "junk": [1, {"a": tru}]}`, false},
		{"invalid number elsewhere", doc, `{"customer_interests": "rugby", "junk": 01}`, false},
		{"unterminated", doc, `{"customer_interests": "rugby"`, false},
		{"control character in string", doc, "{\"customer_interests\": \"rug\tby\"}", false},
		{"empty", doc, ``, false},
		{"whitespace around", doc, " \n\t{\"customer_interests\" : \"rugby\" }\r\n", true},
		{"duplicate key, one matches", doc, `{"customer_interests": "x", "customer_interests": "rugby"}`, true},
		{"unrelated large content", doc, `{"a": {"b": [[1, 2, {"c": null}], "x"]}, "customer_interests": "rugby", "z": [true, false]}`, true},
	})
}

func TestMatchBodyNesting(t *testing.T) {
	t.Parallel()
	// From AWS's payload-filtering announcement; the verdicts are the ones
	// AWS gave.
	const auto = `{
		"object": {"key": [{"prefix": "auto-"}, "hardcodedvalue"], "nested_key": [{"exists": false}]},
		"test": [{"exists": false}]}`
	const dotted = `{"object.nested": ["string.value"]}`
	const deep = `{"object.nested.test": ["string.value"]}`
	runBodyCases(t, []bodyCase{
		{"nested prefix", auto, `{"object": {"key": "auto-test"}}`, true},
		{"nested exact", auto, `{"object": {"key": "hardcodedvalue"}}`, true},
		{"nested wrong value", auto, `{"object": {"key": "test-auto"}}`, false},
		{"nested exists false violated top", auto, `{"object": {"key": "auto-test"}, "test": "just-exists"}`, false},
		{"nested exists false violated inner", auto, `{"object": {"key": "auto-test", "nested_key": "just-exists"}}`, false},
		{"nested key missing", auto, `{"object": {"test": "auto-test"}}`, false},
		{"nested object missing", auto, `{"test": "auto-test"}`, false},
		{"nested key at wrong level", auto, `{"key": "auto-test"}`, false},

		// AWS joins keys with dots on both sides.
		{"dotted policy nested body", dotted, `{"object": {"nested": "string.value"}}`, true},
		{"dotted policy dotted body", dotted, `{"object.nested": "string.value"}`, true},
		{"dotted policy other value", dotted, `{"object": {"nested": "test-auto"}}`, false},
		{"deep nested", deep, `{"object": {"nested": {"test": "string.value"}}}`, true},
		{"deep dotted", deep, `{"object.nested.test": "string.value"}`, true},
		{"deep half dotted outer", deep, `{"object.nested": {"test": "string.value"}}`, true},
		{"deep half dotted inner", deep, `{"object": {"nested.test": "string.value"}}`, true},
		{"deep other value", deep, `{"object": {"nested": {"test": "string.notvalue"}}}`, false},
		{"nested policy matches dotted body", `{"a": {"b": ["x"]}}`, `{"a.b": "x"}`, true},
		{"escaped dot in body key", `{"a": {"b": ["x"]}}`, `{"a\u002eb": "x"}`, true},
		{"leaf and deeper leaf", `{"a": ["x"], "a.b": ["y"]}`, `{"a": "x", "a.b": "y"}`, true},
		{"leaf and deeper leaf in two elements", `{"a": ["x"], "a.b": ["y"]}`, `{"a": ["x", {"b": "y"}]}`, false},
		{"empty key", `{"": {"b": ["x"]}}`, `{"": {"b": "x"}}`, true},
		{"empty key is not the root", `{"": {"b": ["x"]}}`, `{"b": "x"}`, false},
		{"150 levels", strings.Repeat(`{"a":`, 150) + `["x"]` + strings.Repeat(`}`, 150), strings.Repeat(`{"a":`, 150) + `"x"` + strings.Repeat(`}`, 150), true},
		{"150 levels one short", strings.Repeat(`{"a":`, 150) + `["x"]` + strings.Repeat(`}`, 150), strings.Repeat(`{"a":`, 149) + `"x"` + strings.Repeat(`}`, 149), false},
	})
}

func TestMatchBodyArrays(t *testing.T) {
	t.Parallel()
	const route1 = `{"headers": {"route-to": ["queue1"]}}`
	// AWS's S3 example; AWS delivered the first and the last.
	const s3 = `{"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}`
	const multiple = `{"Records": [
		{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"object": [[{"key": "auto-insurance-2314.xml", "size": 17}]]}},
		{"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete", "s3": {"object": {"key": "home-insurance-2314.xml", "size": 17}}}]}`
	const removed = `{"Records": [{"eventName": "ObjectRemoved:Delete", "s3": {"object": {"key": "auto-insurance-2314.xml"}}}]}`
	const home = `{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "home-insurance-2314.xml"}}}]}`
	const created = `{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "auto-insurance-2314.xml", "size": 17}}}]}`
	const crossed = `{"Records": [
		{"eventName": "ObjectCreated:Put", "s3": {"object": {"key": "home-insurance-2314.xml"}}},
		{"eventName": "ObjectRemoved:Delete", "s3": {"object": {"key": "auto-insurance-2314.xml"}}}]}`
	runBodyCases(t, []bodyCase{
		{"array other element", route1, `{"headers": {"route-to": ["queue3"]}}`, false},
		{"array only element", route1, `{"headers": {"route-to": ["queue1"]}}`, true},
		{"array one of two", route1, `{"headers": {"route-to": ["queue1", "queue2"]}}`, true},
		{"array of objects", route1, `{"headers": [{"route-to": "queue2"}, {"route-to": "queue1"}]}`, true},
		{"array nested arrays", route1, `{"headers": {"route-to": [["queue2"], [["queue1"]]]}}`, true},
		{"array empty", route1, `{"headers": {"route-to": []}}`, false},

		{"s3 multiple records", s3, multiple, true},
		{"s3 removed", s3, removed, false},
		{"s3 home", s3, home, false},
		{"s3 created", s3, created, true},
		// Conditions inside one array must hold in one element (AWS's
		// matching engine keeps array elements apart).
		{"s3 conditions split across records", s3, crossed, false},
		{"same element in nested arrays", `{"r": {"a": ["x"], "b": ["y"]}}`, `{"r": [[{"a": "z"}], [{"a": "x", "b": "y"}]]}`, true},
		{"split across nested arrays", `{"r": {"a": ["x"], "b": ["y"]}}`, `{"r": [[{"a": "x"}, {"b": "y"}]]}`, false},
		{"independent arrays combine", `{"a": ["x"], "b": ["y"]}`, `{"a": ["q", "x"], "b": ["y", "q"]}`, true},
		{"exists false across elements", `{"r": {"a": ["x"], "b": [{"exists": false}]}}`, `{"r": [{"a": "x"}, {"b": 1}]}`, false},
	})
}

func TestMatchBodyOr(t *testing.T) {
	t.Parallel()
	// AWS's verdicts for this policy: the first five are not delivered,
	// the last seven are.
	const policy = `{
		"$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}],
		"detail": {"scope": ["Service"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change"]}]}}`
	runBodyCases(t, []bodyCase{
		{"wrong scope", policy, `{"metricName": "CPUUtilization", "detail": {"scope": "aws.cloudwatch", "type": "CloudWatch Alarm State Change"}}`, false},
		{"wrong type", policy, `{"metricName": "CPUUtilization", "detail": {"scope": "Service", "type": "CPUUtilization"}}`, false},
		{"missing scope", policy, `{"metricName": "CPUUtilization", "detail": {"type": "CloudWatch Alarm State Change"}}`, false},
		{"missing source and type", policy, `{"metricName": "CPUUtilization", "detail": {"scope": "Service"}}`, false},
		{"missing detail", policy, `{"metricName": "CPUUtilization", "scope": "Service"}`, false},
		{"metric source", policy, `{"metricName": "CPUUtilization", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}`, true},
		{"latency source", policy, `{"metricName": "ReadLatency", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}`, true},
		{"ec2 source", policy, `{"namespace": "AWS/EC2", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}`, true},
		{"es source", policy, `{"namespace": "AWS/ES", "detail": {"scope": "Service", "source": "aws.cloudwatch"}}`, true},
		{"metric type", policy, `{"metricName": "CPUUtilization", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}}`, true},
		{"odd metric name", policy, `{"metricName": "AWS/EC2", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}}`, false},
		{"odd namespace", policy, `{"namespace": "CPUUtilization", "detail": {"scope": "Service", "type": "CloudWatch Alarm State Change"}}`, false},
	})
}

// TestMatchBodyValidityAgreesWithEncodingJSON checks that the single-pass
// walk accepts exactly the JSON that encoding/json accepts, in the part of
// the body the policy names and in the part it skips.
func TestMatchBodyValidityAgreesWithEncodingJSON(t *testing.T) {
	t.Parallel()
	p, err := Parse(`{"named": [{"exists": false}, {"exists": true}]}`, MessageBody)
	if err != nil {
		t.Fatal(err)
	}
	fragments := []string{
		`1`, `-0.5e+3`, `-`, `1.`, `.5`, `1e`, `00`, `-01`, `1e5000`, `"\u12"`, `"\x"`, `"\/"`,
		`[1,]`, `{,}`, `{"a" 1}`, `nul`, `true`, `[[[]]]`, `{"b":{}}`, `"\ud800"`, `[}`, `"\t"`,
		"\"\x7f\"", `"é"`, `[1 2]`, `{"a"}`, `{"a":}`, "\"a\tb\"", `{"a":1,}`, `[1,,2]`, `fals`,
		`"unterminated`, `{"k":[1,{"m":[true,null,"s"]}]}`, `01.5`, `-0`, `0e-0`, `1E+2`,
	}
	// encoding/json allows 10000 nested objects and arrays, the body's
	// own braces included.
	fragments = append(fragments,
		strings.Repeat("[", maxNesting-1)+"1"+strings.Repeat("]", maxNesting-1),
		strings.Repeat("[", maxNesting)+"1"+strings.Repeat("]", maxNesting),
		strings.Repeat(`{"a":`, maxNesting-1)+"1"+strings.Repeat("}", maxNesting-1),
		strings.Repeat(`{"a":`, maxNesting)+"1"+strings.Repeat("}", maxNesting),
	)
	for _, frag := range fragments {
		for _, key := range []string{"named", "skipped"} {
			body := `{"z": 0, "` + key + `": ` + frag + `}`
			t.Run(body[:min(len(body), 60)], func(t *testing.T) {
				is := is.New(t)
				is.Equal(p.Match(nil, body), json.Valid([]byte(body)))
			})
		}
	}
}
