package filter

import (
	"testing"

	"github.com/matryer/is"
)

// Attribute constructors for the tables.
func str(v string) Attribute                         { return Attribute{Type: "String", Value: v} }
func num(v string) Attribute                         { return Attribute{Type: "Number", Value: v} }
func arr(v string) Attribute                         { return Attribute{Type: "String.Array", Value: v} }
func bin(v string) Attribute                         { return Attribute{Type: "Binary", Value: v} }
func one(k string, a Attribute) map[string]Attribute { return map[string]Attribute{k: a} }

type attrCase struct {
	name   string
	policy string
	attrs  map[string]Attribute
	want   bool
}

func runAttrCases(t *testing.T, cases []attrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			p, err := Parse(tc.policy, MessageAttributes)
			is.NoErr(err)
			is.Equal(p.Match(tc.attrs, `{"ignored": "in attribute scope"}`), tc.want)
		})
	}
}

func TestMatchAttributesStrings(t *testing.T) {
	t.Parallel()
	const interests = `{"customer_interests": ["rugby", "tennis"]}`
	runAttrCases(t, []attrCase{
		// Exact matching, examples from the SNS Developer Guide.
		{"exact first value", interests, one("customer_interests", str("rugby")), true},
		{"exact second value", interests, one("customer_interests", str("tennis")), true},
		{"exact other value", interests, one("customer_interests", str("baseball")), false},
		{"exact is case-sensitive", interests, one("customer_interests", str("Rugby")), false},
		{"exact missing attribute", interests, one("other", str("rugby")), false},
		{"exact no attributes", interests, nil, false},
		{"exact string array any element", interests, one("customer_interests", arr(`["rugby", "tennis"]`)), true},
		{"exact string array one element", interests, one("customer_interests", arr(`["baseball", "tennis"]`)), true},
		{"exact string array no element", interests, one("customer_interests", arr(`["baseball"]`)), false},
		{"exact string array escaped element", `{"k": ["caf\u00e9"]}`, one("k", arr(`["x", "caf\u00e9"]`)), true},
		{"exact string array not JSON", interests, one("customer_interests", arr(`rugby`)), false},
		{"exact string array nested not matched", interests, one("customer_interests", arr(`[["rugby"]]`)), false},
		{"exact string never equals number", `{"k": ["100"]}`, one("k", num("100")), false},
		{"exact custom string type", `{"k": ["x"]}`, one("k", Attribute{Type: "String.custom", Value: "x"}), true},
		{"exact binary ignored", `{"k": ["x"]}`, one("k", bin("x")), false},
		{"exact empty string", `{"k": [""]}`, one("k", str("")), true},

		{"prefix match", `{"k": [{"prefix": "bas"}]}`, one("k", str("basketball")), true},
		{"prefix no match", `{"k": [{"prefix": "bas"}]}`, one("k", str("rugby")), false},
		{"prefix string array", `{"k": [{"prefix": "bas"}]}`, one("k", arr(`["rugby", "baseball"]`)), true},
		{"prefix only strings", `{"k": [{"prefix": "1"}]}`, one("k", num("100")), false},

		{"suffix match", `{"k": [{"suffix": "ball"}]}`, one("k", str("baseball")), true},
		{"suffix no match", `{"k": [{"suffix": "ball"}]}`, one("k", str("rugby")), false},
		{"suffix string array", `{"k": [{"suffix": "ball"}]}`, one("k", arr(`["rugby", "football"]`)), true},

		{"equals-ignore-case upper", `{"k": [{"equals-ignore-case": "tennis"}]}`, one("k", str("TENNIS")), true},
		{"equals-ignore-case mixed", `{"k": [{"equals-ignore-case": "tennis"}]}`, one("k", str("TeNnIs")), true},
		{"equals-ignore-case other", `{"k": [{"equals-ignore-case": "tennis"}]}`, one("k", str("tennis2")), false},

		{"cidr start", `{"ip": [{"cidr": "10.0.0.0/24"}]}`, one("ip", str("10.0.0.0")), true},
		{"cidr end", `{"ip": [{"cidr": "10.0.0.0/24"}]}`, one("ip", str("10.0.0.255")), true},
		{"cidr outside", `{"ip": [{"cidr": "10.0.0.0/24"}]}`, one("ip", str("10.1.1.0")), false},
		{"cidr not an address", `{"ip": [{"cidr": "10.0.0.0/24"}]}`, one("ip", str("ten")), false},
		{"cidr ipv6", `{"ip": [{"cidr": "2001:db8::/32"}]}`, one("ip", str("2001:db8::1")), true},
		{"cidr family mismatch", `{"ip": [{"cidr": "2001:db8::/32"}]}`, one("ip", str("10.0.0.1")), false},
		{"cidr unaligned base starts at base", `{"ip": [{"cidr": "10.0.0.5/24"}]}`, one("ip", str("10.0.0.4")), false},

		{"true in string array", `{"k": [true]}`, one("k", arr(`[true]`)), true},
		{"true is not the string", `{"k": [true]}`, one("k", str("true")), false},
		{"null in string array", `{"k": [null]}`, one("k", arr(`["a", null]`)), true},
		// AWS answered this one: a null in the policy does not match a
		// missing attribute, even next to anything-but.
		{"null does not match missing", `{"attr1": [null, {"anything-but": "whatever"}]}`, nil, false},
	})
}

func TestMatchAttributesNumbers(t *testing.T) {
	t.Parallel()
	runAttrCases(t, []attrCase{
		{"exact same text", `{"p": [301.5]}`, one("p", num("301.5")), true},
		{"exact exponent form", `{"p": [301.5]}`, one("p", num("3.015e2")), true},
		{"exact trailing zeros", `{"p": [1]}`, one("p", num("1.000")), true},
		{"exact 1e0", `{"p": [1]}`, one("p", num("1e0")), true},
		{"exact leading plus", `{"p": [5]}`, one("p", num("+5")), true},
		{"exact other number", `{"p": [301.5]}`, one("p", num("301.6")), false},
		{"exact number never equals string", `{"p": [301.5]}`, one("p", str("301.5")), false},
		{"exact beyond numeric range as written", `{"acct": [123456789012]}`, one("acct", num("123456789012")), true},
		{"exact beyond numeric range other", `{"acct": [123456789012]}`, one("acct", num("123456789013")), false},
		{"exact five decimal digits", `{"p": [1.000001]}`, one("p", num("1")), true},
		{"exact sixth decimal ignored only", `{"p": [1.00001]}`, one("p", num("1")), false},
		{"exact number in string array", `{"p": [2]}`, one("p", arr(`["a", 2.0]`)), true},

		{"numeric equals", `{"p": [{"numeric": ["=", 301.5]}]}`, one("p", num("301.5")), true},
		{"numeric equals exponent", `{"p": [{"numeric": ["=", 301.5]}]}`, one("p", num("3.015e2")), true},
		{"numeric equals other", `{"p": [{"numeric": ["=", 301.5]}]}`, one("p", num("301")), false},
		{"numeric less", `{"p": [{"numeric": ["<", 0]}]}`, one("p", num("-0.5")), true},
		{"numeric less bound", `{"p": [{"numeric": ["<", 0]}]}`, one("p", num("0")), false},
		{"numeric less or equal bound", `{"p": [{"numeric": ["<=", 5]}]}`, one("p", num("5")), true},
		{"numeric less or equal over", `{"p": [{"numeric": ["<=", 5]}]}`, one("p", num("5.1")), false},
		{"numeric greater", `{"p": [{"numeric": [">", 10]}]}`, one("p", num("10.5")), true},
		{"numeric greater bound", `{"p": [{"numeric": [">", 10]}]}`, one("p", num("10")), false},
		{"numeric greater or equal bound", `{"p": [{"numeric": [">=", 10]}]}`, one("p", num("10")), true},
		{"numeric range top inclusive", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, one("p", num("150")), true},
		{"numeric range inside", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, one("p", num("0.5")), true},
		{"numeric range bottom exclusive", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, one("p", num("0")), false},
		{"numeric range over top", `{"p": [{"numeric": [">", 0, "<=", 150]}]}`, one("p", num("150.00001")), false},
		{"numeric half open bottom", `{"p": [{"numeric": [">=", 10, "<", 20]}]}`, one("p", num("10")), true},
		{"numeric half open top", `{"p": [{"numeric": [">=", 10, "<", 20]}]}`, one("p", num("20")), false},
		{"numeric only numbers", `{"p": [{"numeric": [">", 0]}]}`, one("p", str("5")), false},
		{"numeric bad number value", `{"p": [{"numeric": [">", 0]}]}`, one("p", num("five")), false},
		{"numeric no Go-only forms", `{"p": [{"numeric": [">", 0]}]}`, one("p", num("Inf")), false},
		{"numeric custom number type", `{"p": [{"numeric": [">", 0]}]}`, one("p", Attribute{Type: "Number.float", Value: "5"}), true},
		{"numeric string array element", `{"p": [{"numeric": [">", 100]}]}`, one("p", arr(`[1, 200]`)), true},
		{"numeric string array no element", `{"p": [{"numeric": [">", 100]}]}`, one("p", arr(`[1, "200"]`)), false},
		{"numeric value beyond range", `{"p": [{"numeric": [">", 0]}]}`, one("p", num("2e9")), false},
		{"numeric two ranges are OR", `{"p": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}`, one("p", num("101")), true},
		{"numeric two ranges gap", `{"p": [{"numeric": ["<", 0]}, {"numeric": [">", 100]}]}`, one("p", num("50")), false},
	})
}

func TestMatchAttributesAnythingBut(t *testing.T) {
	t.Parallel()
	const list = `{"k": [{"anything-but": ["rugby", "tennis"]}]}`
	runAttrCases(t, []attrCase{
		{"list other value", list, one("k", str("baseball")), true},
		{"list excluded value", list, one("k", str("rugby")), false},
		{"list missing attribute", list, one("other", str("x")), false},
		{"list string array none excluded", list, one("k", arr(`["baseball", "football"]`)), true},
		// AWS documents that anything-but matches a String.Array only if
		// none of its elements is listed.
		{"list string array one excluded", list, one("k", arr(`["rugby", "baseball"]`)), false},
		{"list empty string array", list, one("k", arr(`[]`)), false},
		{"list number value not excluded", list, one("k", num("5")), true},
		{"single string other", `{"k": [{"anything-but": "rugby"}]}`, one("k", str("football")), true},
		{"single string excluded", `{"k": [{"anything-but": "rugby"}]}`, one("k", str("rugby")), false},

		{"numbers other", `{"p": [{"anything-but": [100, 500]}]}`, one("p", num("101")), true},
		{"numbers other fraction", `{"p": [{"anything-but": [100, 500]}]}`, one("p", num("100.1")), true},
		{"numbers excluded", `{"p": [{"anything-but": [100, 500]}]}`, one("p", num("100")), false},
		{"numbers excluded other form", `{"p": [{"anything-but": [100, 500]}]}`, one("p", num("1e2")), false},
		{"numbers string value not excluded", `{"p": [{"anything-but": [100]}]}`, one("p", str("100")), true},
		{"numbers array one excluded", `{"p": [{"anything-but": [100, 500]}]}`, one("p", Attribute{Type: "Number.Array", Value: `[100, 50]`}), false},
		{"single number excluded", `{"p": [{"anything-but": 100}]}`, one("p", num("100.0")), false},

		{"prefix other", `{"event": [{"anything-but": {"prefix": "order-"}}]}`, one("event", str("data-entry")), true},
		{"prefix near miss", `{"event": [{"anything-but": {"prefix": "order-"}}]}`, one("event", str("order_number")), true},
		{"prefix excluded", `{"event": [{"anything-but": {"prefix": "order-"}}]}`, one("event", str("order-cancelled")), false},
		{"suffix other", `{"f": [{"anything-but": {"suffix": ".png"}}]}`, one("f", str("a.jpg")), true},
		{"suffix excluded", `{"f": [{"anything-but": {"suffix": ".png"}}]}`, one("f", str("a.png")), false},

		{"with exists false missing", `{"k": [{"anything-but": "x"}, {"exists": false}]}`, one("other", str("y")), true},
		{"with exists false other", `{"k": [{"anything-but": "x"}, {"exists": false}]}`, one("k", str("y")), true},
		{"with exists false excluded", `{"k": [{"anything-but": "x"}, {"exists": false}]}`, one("k", str("x")), false},
	})
}

func TestMatchAttributesExists(t *testing.T) {
	t.Parallel()
	const yes, no = `{"store": [{"exists": true}]}`, `{"store": [{"exists": false}]}`
	both := map[string]Attribute{"store": num("99"), "def": num("99")}
	runAttrCases(t, []attrCase{
		{"true present", yes, both, true},
		{"true present string array", yes, one("store", arr(`["a"]`)), true},
		{"true missing", yes, one("def", num("99")), false},
		{"true binary ignored", yes, one("store", bin("AQID")), false},
		{"true empty string array", yes, one("store", arr(`[]`)), false},
		{"false present", no, both, false},
		{"false missing", no, one("def", num("99")), true},
		// AWS: "exists": false only matches if at least one attribute is
		// present.
		{"false no attributes", no, nil, false},
		{"false only binary attributes", no, one("def", bin("AQID")), false},
		{"false binary under the key", no, map[string]Attribute{"store": bin("AQID"), "def": str("x")}, true},
	})
}

func TestMatchAttributesLogic(t *testing.T) {
	t.Parallel()
	const and = `{"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}`
	const or = `{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]}`
	// source && (metricName || (metricType && (metricId || spaceId)))
	const nested = `{
		"source": ["aws.cloudwatch"],
		"$or": [
			{"metricName": ["CPUUtilization", "ReadLatency"]},
			{"metricType": ["MetricType"], "$or": [{"metricId": [1234, 4321]}, {"spaceId": [1000, 2000, 3000]}]}
		]}`
	m := func(kv ...string) map[string]Attribute {
		out := map[string]Attribute{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = str(kv[i+1])
		}
		return out
	}
	runAttrCases(t, []attrCase{
		{"and both", and, map[string]Attribute{"customer_interests": str("rugby"), "price_usd": num("101")}, true},
		{"and one fails", and, map[string]Attribute{"customer_interests": str("rugby"), "price_usd": num("99")}, false},
		{"and one missing", and, m("customer_interests", "rugby"), false},
		{"list is or", `{"k": ["a", {"prefix": "b"}, 3]}`, one("k", num("3")), true},

		{"or first", or, m("source", "aws.cloudwatch", "metricName", "CPUUtilization"), true},
		{"or second", or, m("source", "aws.cloudwatch", "namespace", "AWS/EC2"), true},
		{"or neither", or, m("source", "aws.cloudwatch"), false},
		{"or without the and", or, m("metricName", "CPUUtilization"), false},

		{"nested first", nested, m("source", "aws.cloudwatch", "metricName", "ReadLatency"), true},
		{"nested inner", nested, map[string]Attribute{"source": str("aws.cloudwatch"), "metricType": str("MetricType"), "spaceId": num("2000")}, true},
		{"nested inner missing", nested, m("source", "aws.cloudwatch", "metricType", "MetricType"), false},
		{"nested inner other", nested, map[string]Attribute{"source": str("aws.cloudwatch"), "metricType": str("Other"), "metricId": num("1234")}, false},

		// "$or" that AWS does not read as an OR is an ordinary key.
		{"or with one object is a key", `{"$or": [{"prefix": "ab"}]}`, one("$or", str("abc")), true},
		{"or with keywords is a key", `{"$or": [{"numeric": [">", 1]}, {"prefix": "abc"}]}`, one("$or", num("5")), true},
		{"or with keywords is a key miss", `{"$or": [{"numeric": [">", 1]}, {"prefix": "abc"}]}`, one("$or", str("xyz")), false},
		{"or of strings is a key", `{"$or": ["a", "b"]}`, one("$or", str("b")), true},
	})
}
