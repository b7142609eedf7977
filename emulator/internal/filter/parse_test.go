package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/matryer/is"
)

func TestParseScope(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Scope
		err  string
	}{
		{"", MessageAttributes, ""},
		{"MessageAttributes", MessageAttributes, ""},
		{"MessageBody", MessageBody, ""},
		// AWS's answer, recorded.
		{"RandomValue", 0, "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes"},
		{"messagebody", 0, "Invalid parameter: FilterPolicyScope: Invalid value [messagebody]. Please use either MessageBody or MessageAttributes"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			got, err := ParseScope(tc.in)
			if tc.err != "" {
				var e *Error
				is.True(errors.As(err, &e))
				is.Equal(err.Error(), tc.err)
				return
			}
			is.NoErr(err)
			is.Equal(got, tc.want)
			is.Equal(got.String(), map[string]string{"": "MessageAttributes"}[tc.in]+tc.in)
		})
	}
}

// TestParseErrors pins every refusal to AWS's message. Messages marked
// "recorded" are the first line of what AWS answered for that policy (as
// recorded by LocalStack's AWS-validated tests); the others follow the
// same engine's wording, and the few marked "ours" are texts AWS does not
// document.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	many := func(n int) string {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprintf(`"v%d"`, i)
		}
		return "[" + strings.Join(vals, ",") + "]"
	}
	cases := []struct {
		name   string
		policy string
		scope  Scope
		reason string
	}{
		// Document shape.
		{"empty", ``, MessageAttributes, "FilterPolicy: Invalid JSON: unexpected end of input"},
		{"invalid JSON", `{"a": [1,}`, MessageAttributes, "FilterPolicy: Invalid JSON: invalid character '}' looking for beginning of value"},
		{"trailing data", `{"a": [1]} {}`, MessageAttributes, "FilterPolicy: Invalid JSON: unexpected data after the top-level value"},
		{"invalid UTF-8 (ours)", "{\"a\": [\"\xff\"]}", MessageAttributes, "FilterPolicy: Filter policy must be valid UTF-8"},
		{"too long (ours)", `{"a": ["` + strings.Repeat("x", maxPolicyBytes) + `"]}`, MessageAttributes, "FilterPolicy: Filter policy is too long, the maximum size is 256 KB"},
		{"nesting too deep (ours)", strings.Repeat(`{"a":`, 1002) + `[1]` + strings.Repeat(`}`, 1002), MessageBody, "FilterPolicy: Filter policy nesting is too deep"},
		{"not an object", `["a"]`, MessageAttributes, "FilterPolicy: Filter is not an object"},
		{"scalar", `"a"`, MessageAttributes, "FilterPolicy: Filter is not an object"},
		{"empty object", `{}`, MessageAttributes, "FilterPolicy: Empty objects are not allowed"},
		{"empty nested object", `{"a": {}}`, MessageBody, "FilterPolicy: Empty objects are not allowed"},
		{"value not a list (recorded)", `{"key_a": "value_one"}`, MessageBody, `FilterPolicy: "key_a" must be an object or an array`},
		// AWS checks the shape before the scope.
		{"operator not in a list (recorded)", `{"key": {"suffix": "value"}}`, MessageAttributes, `FilterPolicy: "suffix" must be an object or an array`},
		{"operators not in a list (recorded)", `{"key": {"suffix": "value", "prefix": "value"}}`, MessageAttributes, `FilterPolicy: "suffix" must be an object or an array`},
		{"unknown key not in a list (recorded)", `{"key": {"not-an-operator": "value"}}`, MessageAttributes, `FilterPolicy: "not-an-operator" must be an object or an array`},
		{"operator not in a list body", `{"key": {"suffix": "value"}}`, MessageBody, `FilterPolicy: "suffix" must be an object or an array`},
		{"nested in attribute scope (recorded)", `{"object": {"key": [{"prefix": "auto-"}]}}`, MessageAttributes, "Filter policy scope MessageAttributes does not support nested filter policy"},
		{"nested in or in attribute scope", `{"$or": [{"a": {"b": ["x"]}}, {"c": ["y"]}]}`, MessageAttributes, "Filter policy scope MessageAttributes does not support nested filter policy"},
		{"nested after an invalid value", `{"a": {"b": ["x"]}, "c": [[1]]}`, MessageAttributes, "FilterPolicy: Match value must be String, number, true, false, or null"},
		{"nested before the key limit", `{"a": {"b": [1]}, "c": [1], "d": [1], "e": [1], "f": [1], "g": [1]}`, MessageAttributes, "Filter policy scope MessageAttributes does not support nested filter policy"},
		{"empty list", `{"a": []}`, MessageAttributes, "FilterPolicy: Empty arrays are not allowed"},
		{"list in list (recorded)", `{"key": [["value"]]}`, MessageAttributes, "FilterPolicy: Match value must be String, number, true, false, or null"},
		{"empty or alternative", `{"$or": [{}, {"a": ["x"]}]}`, MessageAttributes, "FilterPolicy: Empty objects are not allowed"},

		// Match expressions.
		{"unknown operator (recorded)", `{"key": [{"wrong-operator": true}]}`, MessageAttributes, "FilterPolicy: Unrecognized match type wrong-operator"},
		{"wildcard is not SNS", `{"key": [{"wildcard": "a*"}]}`, MessageAttributes, "FilterPolicy: Unrecognized match type wildcard"},
		{"no operator", `{"key": [{}]}`, MessageAttributes, "FilterPolicy: Match expression name not found"},
		{"two operators (recorded)", `{"key": [{"suffix": "value", "prefix": "value2"}]}`, MessageAttributes, "FilterPolicy: Only one key allowed in match expression"},
		{"two operators first invalid", `{"key": [{"suffix": 1, "prefix": "value2"}]}`, MessageAttributes, "FilterPolicy: suffix match pattern must be a string"},
		{"suffix number (recorded)", `{"key": [{"suffix": 100}]}`, MessageAttributes, "FilterPolicy: suffix match pattern must be a string"},
		{"suffix null (recorded)", `{"key": [{"suffix": null}]}`, MessageAttributes, "FilterPolicy: suffix match pattern must be a string"},
		{"suffix list (recorded)", `{"key": [{"suffix": ["test", "test2"]}]}`, MessageAttributes, "FilterPolicy: suffix match pattern must be a string"},
		{"prefix object", `{"key": [{"prefix": {"a": 1}}]}`, MessageAttributes, "FilterPolicy: prefix match pattern must be a string"},
		{"equals-ignore-case number", `{"key": [{"equals-ignore-case": 1}]}`, MessageAttributes, "FilterPolicy: equals-ignore-case match pattern must be a string"},
		{"exists null (recorded)", `{"key": [{"exists": null}]}`, MessageAttributes, "FilterPolicy: exists match pattern must be either true or false."},
		{"exists string (recorded)", `{"key": [{"exists": "no"}]}`, MessageAttributes, "FilterPolicy: exists match pattern must be either true or false."},
		{"exists extra key", `{"key": [{"exists": true, "prefix": "a"}]}`, MessageAttributes, "FilterPolicy: Only one key allowed in match expression"},

		// cidr.
		{"cidr number", `{"ip": [{"cidr": 10}]}`, MessageAttributes, "FilterPolicy: prefix match pattern must be a string"},
		{"cidr no slash", `{"ip": [{"cidr": "10.0.0.0"}]}`, MessageAttributes, "FilterPolicy: Malformed CIDR, one '/' required"},
		{"cidr two slashes", `{"ip": [{"cidr": "10.0.0.0/8/8"}]}`, MessageAttributes, "FilterPolicy: Malformed CIDR, one '/' required"},
		{"cidr mask text", `{"ip": [{"cidr": "10.0.0.0/x"}]}`, MessageAttributes, "FilterPolicy: Malformed CIDR, mask bits must be an integer"},
		{"cidr mask negative", `{"ip": [{"cidr": "10.0.0.0/-1"}]}`, MessageAttributes, "FilterPolicy: Malformed CIDR, mask bits must not be negative"},
		{"cidr bad address", `{"ip": [{"cidr": "10.0.0/8"}]}`, MessageAttributes, "FilterPolicy: Nonstandard IP address: 10.0.0"},
		{"cidr ipv4 mask", `{"ip": [{"cidr": "10.0.0.0/32"}]}`, MessageAttributes, "FilterPolicy: IPv4 mask bits must be < 32"},
		{"cidr ipv6 mask", `{"ip": [{"cidr": "::/128"}]}`, MessageAttributes, "FilterPolicy: IPv6 mask bits must be < 128"},

		// numeric (all recorded unless noted).
		{"numeric empty", `{"key": [{"numeric": []}]}`, MessageAttributes, "FilterPolicy: Invalid member in numeric match: ]"},
		{"numeric not a list", `{"key": [{"numeric": 5}]}`, MessageAttributes, "FilterPolicy: Value of numeric must be an array."},
		{"numeric wrong operator", `{"key": [{"numeric": ["operator"]}]}`, MessageAttributes, "FilterPolicy: Unrecognized numeric range operator: operator"},
		{"numeric operator order", `{"key": [{"numeric": [1, "<="]}]}`, MessageAttributes, "FilterPolicy: Invalid member in numeric match: 1"},
		{"numeric object first", `{"key": [{"numeric": [{}]}]}`, MessageAttributes, "FilterPolicy: Invalid member in numeric match: {"},
		{"numeric string value", `{"key": [{"numeric": ["=", "000"]}]}`, MessageAttributes, "FilterPolicy: Value of equals must be numeric"},
		{"numeric missing value", `{"key": [{"numeric": [">="]}]}`, MessageAttributes, "FilterPolicy: Value of >= must be numeric"},
		{"numeric range order", `{"key": [{"numeric": ["<", 100, ">", 10]}]}`, MessageAttributes, "FilterPolicy: Too many elements in numeric expression"},
		{"numeric equals extra", `{"key": [{"numeric": ["=", 1, 2]}]}`, MessageAttributes, "FilterPolicy: Too many elements in numeric expression"},
		{"numeric range operators", `{"key": [{"numeric": [">=", 1, ">", 2]}]}`, MessageAttributes, "FilterPolicy: Bad numeric range operator: >"},
		{"numeric range values", `{"key": [{"numeric": [">", 3, "<", 1]}]}`, MessageAttributes, "FilterPolicy: Bottom must be less than top"},
		{"numeric range empty", `{"key": [{"numeric": [">=", 3, "<=", 3]}]}`, MessageAttributes, "FilterPolicy: Bottom must be less than top"},
		{"numeric missing range value", `{"key": [{"numeric": [">", 20, "<="]}]}`, MessageAttributes, "FilterPolicy: Value of <= must be numeric"},
		{"numeric missing range operator", `{"key": [{"numeric": [">", 20, 30]}]}`, MessageAttributes, "FilterPolicy: Bad value in numeric range: 30"},
		{"numeric wrong second operator", `{"key": [{"numeric": [">", 20, "test"]}]}`, MessageAttributes, "FilterPolicy: Bad numeric range operator: test"},
		{"numeric range value 1 type", `{"key": [{"numeric": [">", "20", "<", "30"]}]}`, MessageAttributes, "FilterPolicy: Value of > must be numeric"},
		{"numeric range value 2 type", `{"key": [{"numeric": [">", 20, "<", "30"]}]}`, MessageAttributes, "FilterPolicy: Value of < must be numeric"},
		{"numeric too many terms", `{"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}`, MessageAttributes, "FilterPolicy: Too many terms in numeric range expression"},
		{"numeric extra key", `{"key": [{"numeric": [">", 1], "prefix": "a"}]}`, MessageAttributes, "FilterPolicy: Too many elements in numeric expression"},
		{"numeric over range (ours)", `{"key": [{"numeric": [">", 1000000001]}]}`, MessageAttributes, "FilterPolicy: Value of > must be between -1000000000 and 1000000000"},
		{"numeric under range (ours)", `{"key": [{"numeric": ["=", -1e10]}]}`, MessageAttributes, "FilterPolicy: Value of equals must be between -1000000000 and 1000000000"},
		{"numeric top over range (ours)", `{"key": [{"numeric": [">", 0, "<", 1e300]}]}`, MessageAttributes, "FilterPolicy: Value of < must be between -1000000000 and 1000000000"},

		// anything-but.
		{"anything-but wrong operator (recorded)", `{"key": [{"anything-but": {"wrong-operator": null}}]}`, MessageAttributes, "FilterPolicy: Unsupported anything-but pattern: wrong-operator"},
		{"anything-but exists (recorded)", `{"key": [{"anything-but": {"exists": false}}]}`, MessageAttributes, "FilterPolicy: Unsupported anything-but pattern: exists"},
		{"anything-but equals-ignore-case", `{"key": [{"anything-but": {"equals-ignore-case": "x"}}]}`, MessageAttributes, "FilterPolicy: Unsupported anything-but pattern: equals-ignore-case"},
		{"anything-but prefix wrong type (recorded)", `{"key": [{"anything-but": {"prefix": false}}]}`, MessageAttributes, "FilterPolicy: prefix match pattern must be a string"},
		{"anything-but suffix wrong type", `{"key": [{"anything-but": {"suffix": 1}}]}`, MessageAttributes, "FilterPolicy: suffix match pattern must be a string"},
		{"anything-but empty prefix", `{"key": [{"anything-but": {"prefix": ""}}]}`, MessageAttributes, "FilterPolicy: Null prefix/suffix not allowed"},
		{"anything-but empty object", `{"key": [{"anything-but": {}}]}`, MessageAttributes, "FilterPolicy: Anything-But expression name not found"},
		{"anything-but two inner keys", `{"key": [{"anything-but": {"prefix": "a", "suffix": "b"}}]}`, MessageAttributes, "FilterPolicy: Only one key allowed in match expression"},
		{"anything-but null", `{"key": [{"anything-but": null}]}`, MessageAttributes, "FilterPolicy: Value of anything-but must be an array or single string/number value."},
		{"anything-but bool", `{"key": [{"anything-but": true}]}`, MessageAttributes, "FilterPolicy: Value of anything-but must be an array or single string/number value."},
		{"anything-but null in list", `{"key": [{"anything-but": ["a", null]}]}`, MessageAttributes, "FilterPolicy: Inside anything but list, start|null|boolean is not supported."},
		{"anything-but object in list", `{"key": [{"anything-but": [{"prefix": "a"}]}]}`, MessageAttributes, "FilterPolicy: Inside anything but list, start|null|boolean is not supported."},
		{"anything-but mixed list", `{"key": [{"anything-but": ["a", 1]}]}`, MessageAttributes, "FilterPolicy: Inside anything but list, either all values are number or string, mixed type is not supported"},
		{"anything-but empty list", `{"key": [{"anything-but": []}]}`, MessageAttributes, "FilterPolicy: Inside anything but list, either all values are number or string, mixed type is not supported"},
		{"anything-but extra key", `{"key": [{"anything-but": "a", "prefix": "b"}]}`, MessageAttributes, "FilterPolicy: Too many elements in numeric expression"},
		{"anything-but object extra key", `{"key": [{"anything-but": {"prefix": "a"}, "prefix": "b"}]}`, MessageAttributes, "FilterPolicy: Only one key allowed in match expression"},
		{"anything-but number over range (ours)", `{"key": [{"anything-but": [1, 2e9]}]}`, MessageAttributes, "FilterPolicy: Value of anything-but must be between -1000000000 and 1000000000"},

		// Limits (recorded).
		{"six keys", `{"key1": ["value1"], "key2": ["value2"], "key3": ["value3"], "key4": ["value4"], "key5": ["value5"], "key6": ["value6"]}`, MessageAttributes, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{"six keys body", `{"key_a": ["value_one"], "key_b": ["value_two"], "key_c": ["value_three"], "key_d": ["value_four"], "key_e": ["value_five"], "key_f": ["value_six"]}`, MessageBody, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{"six nested leaves", `{"a": {"b": ["1"], "c": ["1"]}, "d": {"e": ["1"], "f": {"g": ["1"], "h": ["1"]}}, "i": ["1"]}`, MessageBody, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{"six keys in one or alternative", `{"a": [1], "$or": [{"b": [1], "c": [1], "d": [1], "e": [1], "f": [1]}, {"g": [1]}]}`, MessageAttributes, "FilterPolicy: Filter policy can not have more than 5 keys"},
		{"151 values", `{"key": ` + many(151) + `}`, MessageAttributes, "FilterPolicy: Filter policy is too complex"},
		{"100 x 51 values", `{"key1": ` + many(100) + `, "key2": ` + many(51) + `}`, MessageAttributes, "FilterPolicy: Filter policy is too complex"},
		// 3x4 (three deep) x 2x3 (two deep) x 1x3 = 216.
		{"nested depth counts", `{"key_a": {"key_b": {"key_c": ["value_one", "value_two", "value_three", "value_four"]}}, "key_d": {"key_e": ["value_one", "value_two", "value_three"]}, "key_f": ["value_one", "value_two", "value_three"]}`, MessageBody, "FilterPolicy: Filter policy is too complex"},
		// (4 x 6) + (4 x 4 x 4) + (4 x 4 x 4) = 152.
		{"or sums alternatives", `{"source": ["aws.cloudwatch", "aws.events", "aws.test", "aws.test2"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency", "t1", "t2", "t3", "t4"]}, {"metricType": ["MetricType", "TestType", "TestType2", "TestType3"], "$or": [{"metricId": [1234, 4321, 5678, 9012]}, {"spaceId": [1, 2, 3, 4]}]}]}`, MessageAttributes, "FilterPolicy: Filter policy is too complex"},
		// (3 x 4 x 2) + (3 x 4 x 6) + (2 x 4 x 2) + (2 x 4 x 6) = 160.
		{"or nested in body", `{"$or": [{"metricName": ["CPUUtilization", "ReadLatency", "TestValue"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}], "detail": {"scope": ["Service", "Test"], "$or": [{"source": ["aws.cloudwatch"]}, {"type": ["CloudWatch Alarm State Change", "TestValue", "TestValue2"]}]}}`, MessageBody, "FilterPolicy: Filter policy is too complex"},
		// One value 151 levels deep is 151 combinations: the combination
		// limit is what bounds nesting.
		{"too deep to be simple", strings.Repeat(`{"a":`, 151) + `["x"]` + strings.Repeat(`}`, 151), MessageBody, "FilterPolicy: Filter policy is too complex"},
		{"bad scope value", `{"a": ["x"]}`, Scope(7), "FilterPolicyScope: Invalid value [Scope(7)]. Please use either MessageBody or MessageAttributes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			p, err := Parse(tc.policy, tc.scope)
			is.True(p == nil)
			var e *Error
			is.True(errors.As(err, &e)) // a *Error
			is.Equal(e.Reason, tc.reason)
			is.Equal(err.Error(), "Invalid parameter: "+tc.reason)
		})
	}
}

// TestParseAccepts covers policies at the limits and the forms AWS accepts.
func TestParseAccepts(t *testing.T) {
	t.Parallel()
	many := func(n int) string {
		vals := make([]string, n)
		for i := range vals {
			vals[i] = fmt.Sprint(i)
		}
		return "[" + strings.Join(vals, ",") + "]"
	}
	cases := []struct {
		name   string
		policy string
		scope  Scope
	}{
		{"150 values", `{"key": ` + many(150) + `}`, MessageAttributes},
		{"10 x 15 values", `{"a": ` + many(10) + `, "b": ` + many(15) + `}`, MessageAttributes},
		{"five keys", `{"a": [1], "b": [1], "c": [1], "d": [1], "e": [1]}`, MessageAttributes},
		{"five keys per or alternative", `{"a": [1], "$or": [{"b": [1], "c": [1], "d": [1], "e": [1]}, {"f": [1], "g": [1], "h": [1], "i": [1]}]}`, MessageAttributes},
		// (3 x 6) + (3 x 4 x 4) + (3 x 4 x 7) = 150, accepted by AWS.
		{"or at the limit", `{"source": ["aws.cloudwatch", "aws.events", "aws.test"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency", "TestVal", "TestVal2", "TestVal3", "TestVal4"]}, {"metricType": ["MetricType", "TestType", "TestType2", "TestType3"], "$or": [{"metricId": [1234, 4321, 5678, 9012]}, {"spaceId": [1, 2, 3, 4, 5, 6, 7]}]}]}`, MessageAttributes},
		{"150 levels deep", strings.Repeat(`{"a":`, 150) + `["x"]` + strings.Repeat(`}`, 150), MessageBody},
		{"every operator", `{"a": ["s", 1, true, false, null, {"prefix": "p"}, {"suffix": "s"}, {"equals-ignore-case": "E"}, {"cidr": "10.0.0.0/8"}, {"exists": true}, {"numeric": [">", 0, "<", 1]}, {"anything-but": ["x"]}, {"anything-but": {"prefix": "x"}}, {"anything-but": {"suffix": "x"}}, {"anything-but": 5}]}`, MessageAttributes},
		{"numeric at the range ends", `{"a": [{"numeric": [">=", -1000000000, "<=", 1000000000]}]}`, MessageAttributes},
		{"plain number beyond the range", `{"account": [123456789012]}`, MessageAttributes},
		{"dots in keys", `{"a.b": ["x"], "c": {"d.e": ["y"]}}`, MessageBody},
		{"or recognised nested in body", `{"detail": {"$or": [{"a": ["x"]}, {"b": ["y"]}]}}`, MessageBody},
		{"or not recognised is a key", `{"$or": [{"numeric": ["=", 123]}, {"prefix": "abc"}]}`, MessageAttributes},
		{"or of one object is a key", `{"$or": [{"exists": true}]}`, MessageAttributes},
		{"or object is a nested key", `{"$or": {"a": ["x"]}}`, MessageBody},
		{"duplicate key", `{"a": ["x"], "a": ["y"]}`, MessageAttributes},
		{"ipv6 cidr", `{"a": [{"cidr": "2001:db8::/127"}]}`, MessageAttributes},
		{"large but under 256 KB", `{"a": ["` + strings.Repeat("x", 200*1024) + `"]}`, MessageAttributes},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			p, err := Parse(tc.policy, tc.scope)
			is.NoErr(err)
			is.Equal(p.Scope(), tc.scope)
		})
	}
}

// TestParseDuplicateKeyKeepsLast pins the behaviour of AWS's engine for a
// key named twice: the later list replaces the earlier.
func TestParseDuplicateKeyKeepsLast(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p, err := Parse(`{"a": ["x"], "a": ["y"]}`, MessageAttributes)
	is.NoErr(err)
	is.True(!p.Match(one("a", str("x")), ""))
	is.True(p.Match(one("a", str("y")), ""))

	b, err := Parse(`{"a.b": ["x"], "a": {"b": ["y"]}}`, MessageBody)
	is.NoErr(err)
	is.True(!b.Match(nil, `{"a": {"b": "x"}}`))
	is.True(b.Match(nil, `{"a": {"b": "y"}}`))
}

// TestPolicyConcurrentMatch exercises the pooled scratch space from many
// goroutines (run with -race).
func TestPolicyConcurrentMatch(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	body, err := Parse(`{"r": {"a": ["x"], "b": [{"numeric": [">", 1]}]}}`, MessageBody)
	is.NoErr(err)
	attrs, err := Parse(`{"a": ["x"], "b": [{"numeric": [">", 1]}]}`, MessageAttributes)
	is.NoErr(err)

	const workers, rounds = 8, 200
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for i := 0; i < rounds; i++ {
				want := i%2 == 0
				n := "0"
				if want {
					n = "2"
				}
				if got := body.Match(nil, `{"r": [{"a": "x", "b": `+n+`}]}`); got != want {
					errs <- fmt.Errorf("body round %d: got %v", i, got)
					return
				}
				if got := attrs.Match(map[string]Attribute{"a": str("x"), "b": num(n)}, ""); got != want {
					errs <- fmt.Errorf("attributes round %d: got %v", i, got)
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		is.NoErr(<-errs)
	}
}
