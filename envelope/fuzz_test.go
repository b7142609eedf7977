package envelope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sqsflow/sqsflow/envelope"
)

// The fuzz targets cover every parser of untrusted input: Open of each
// envelope, Unwrap (which includes the body attribute parser), attribute
// decoding and the JSON reformatter behind Seal. Each checks that bad input
// is an *Error and never a panic, and a property of what is accepted.

func bodySeeds(f *testing.F) []string {
	seeds := []string{
		readVector(f, "01_jsonbase_envelope_dict.json"),
		readVector(f, "02_jsonbase_envelope_string.json"),
		readVector(f, "04_sns_notification_standard.body.json"),
		readVector(f, "05_sns_notification_fifo.body.json"),
		readVector(f, "06_sqs_send_message.body.json"),
		messageOf(f, "04_sns_notification_standard.body.json"),
		messageOf(f, "06_sqs_send_message.body.json"),
		`{"data": {"a": [1, 2.5, "x", null, true]}}`,
		`{"metadata": {"data_encoding": "base64_gzip_json"}, "data": "eJyrVkpUslIqSsxLVaoFAB0bBEI="}`,
		`{"Type": "Message", "Message": "m", "MessageAttributes": {"x": {"Type": "Number", "Value": "1e+20"}}}`,
		`[1, "x"]`, `"str"`, `plain text`, ``, `{`, `{"data": "\ud83d"}`,
	}
	return seeds
}

// checkError fails unless err is nil or an *Error with a Kind.
func checkError(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *envelope.Error
	if !errors.As(err, &e) || e.Kind == nil || e.Op == "" {
		t.Fatalf("error is not a complete *envelope.Error: %#v", err)
	}
}

func FuzzOpenJSON(f *testing.F) {
	for _, s := range bodySeeds(f) {
		f.Add(s)
	}
	f.Add(readTestdata(f, "jsonbase_compressed.json"))
	env := envelope.JSON(envelope.Service{})
	f.Fuzz(func(t *testing.T, payload string) {
		o, err := env.Open(payload)
		checkError(t, err)
		valid := json.Valid([]byte(payload))
		if err == nil {
			if !valid {
				t.Fatalf("opened invalid JSON %q", payload)
			}
			if !json.Valid(o.Data) {
				t.Fatalf("data %q is not JSON", o.Data)
			}
		}
		var e *envelope.Error
		if errors.As(err, &e) && e.Kind == envelope.ErrNotJSON && e.Field == "" && valid && len(payload) < 10000 {
			t.Fatalf("valid JSON %q reported as not JSON: %v", payload, err)
		}
	})
}

func FuzzOpenProtobuf(f *testing.F) {
	f.Add(strings.TrimSpace(readVector(f, "08_protobuf_envelope.b64.txt")))
	f.Add(pbEnvelope("gzip_proto", zlibBytes(f, []byte("\x0a\x0212"))))
	f.Add(pbEnvelope("base64", []byte("CgIxMg==")))
	f.Add("not base64")
	env := envelope.Protobuf(envelope.Service{})
	f.Fuzz(func(t *testing.T, payload string) {
		o, err := env.Open(payload)
		checkError(t, err)
		if err == nil && o.Data == nil {
			t.Fatal("opened without data")
		}
	})
}

func FuzzUnwrap(f *testing.F) {
	for _, s := range bodySeeds(f) {
		f.Add(s, uint8(0), "", "")
	}
	f.Add(readVector(f, "06_sqs_send_message.body.json"), uint8(1), "Number", "5")
	f.Add("raw", uint8(2), "Binary.gif", "x")
	f.Fuzz(func(t *testing.T, body string, mode uint8, attrType, attrValue string) {
		var sqsAttrs map[string]envelope.Attribute
		if attrType != "" {
			sqsAttrs = map[string]envelope.Attribute{"a": {DataType: attrType, StringValue: attrValue}}
		}
		d, err := envelope.Unwrap(body, sqsAttrs, envelope.UnwrapOptions{Mode: envelope.UnwrapMode(mode % 4), TopicPrefix: "dev-"})
		checkError(t, err)
		if err != nil {
			return
		}
		if d.Body != body {
			t.Fatal("Body is not the body")
		}
		if d.Type != "" && d.Payload == "" {
			t.Fatal("unwrapped an empty payload")
		}
		for name, v := range d.Attributes {
			checkAttributeValue(t, name, v)
		}
	})
}

func FuzzDecodeAttributes(f *testing.F) {
	for _, s := range []struct{ typ, val string }{
		{"String", "SEK"}, {"Number", "4711"}, {"Number", "99.5"}, {"Number", "1e+20"},
		{"Number", "18446744073709551616"}, {"String.Array", `["a", 1]`}, {"String.Array", "true"},
		{"String.Array", `{"k": [null, 1.5]}`}, {"Binary", "YWJjAAE="}, {"Number.float", "1.5"}, {"Foo", "x"},
	} {
		f.Add(s.typ, s.val, []byte(nil))
	}
	f.Add("Binary", "", []byte{0, 1})
	f.Fuzz(func(t *testing.T, typ, val string, bin []byte) {
		in := envelope.Attribute{DataType: typ, StringValue: val, BinaryValue: bin}
		got, err := envelope.DecodeAttributes(map[string]envelope.Attribute{"a": in})
		checkError(t, err)
		if err != nil {
			return
		}
		v := got["a"]
		checkAttributeValue(t, "a", v)
		if _, isMap := v.(map[string]any); isMap {
			return // maps are sent as %v text, not JSON, so they do not round-trip
		}
		// What decodes must encode back to an attribute that decodes the same.
		enc, err := envelope.EncodeAttributes(got)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", v, err)
		}
		back, err := envelope.DecodeAttributes(enc)
		if err != nil {
			t.Fatalf("re-decode %#v: %v", enc, err)
		}
		if !sameValue(back["a"], v) {
			t.Fatalf("round trip %#v -> %#v -> %#v", v, enc["a"], back["a"])
		}
	})
}

// checkAttributeValue fails unless v is of a type DecodeAttributes documents.
func checkAttributeValue(t *testing.T, name string, v any) {
	t.Helper()
	switch x := v.(type) {
	case string, int64, bool, nil, []byte:
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			t.Fatalf("attribute %q decoded to %v", name, x)
		}
	case []any:
		for _, e := range x {
			checkAttributeValue(t, name, e)
		}
	case map[string]any:
		for _, e := range x {
			checkAttributeValue(t, name, e)
		}
	default:
		t.Fatalf("attribute %q decoded to %T", name, v)
	}
}

// sameValue compares decoded attribute values, taking an integral float64
// and the int64 of the same value as equal (encoding/json writes integral
// floats inside lists without a fraction).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !sameValue(x[k], y[k]) {
				return false
			}
		}
		return true
	case int64:
		if f, ok := b.(float64); ok {
			return float64(x) == f
		}
	case float64:
		if n, ok := b.(int64); ok {
			return x == float64(n)
		}
		if f, ok := b.(float64); ok {
			return x == f
		}
	case string:
		// Strings inside String.Array JSON pass through encoding/json, which
		// replaces invalid UTF-8.
		if y, ok := b.(string); ok && !utf8.ValidString(x) {
			return strings.ToValidUTF8(x, "\uFFFD") == y || y == x
		}
	}
	return reflect.DeepEqual(a, b)
}

// FuzzSealRawJSON checks the Python-style reformatting that Seal applies to
// JSON: valid JSON is accepted, comes out ASCII-only and means the same;
// invalid JSON is refused.
func FuzzSealRawJSON(f *testing.F) {
	for _, s := range bodySeeds(f) {
		f.Add(s)
	}
	f.Add(`[1.0, 1e21, 1E-7, -0.0, 12345678901234567890, 1e400, "\u003c\ud83d\ude00\ud800"]`)
	env := fixedJSON()
	f.Fuzz(func(t *testing.T, data string) {
		sealed, err := env.Seal("t", json.RawMessage(data), nil)
		checkError(t, err)
		valid := json.Valid([]byte(data))
		if err != nil {
			if valid && len(data) < 10000 && !errors.Is(err, envelope.ErrTooLarge) {
				t.Fatalf("valid JSON %q refused: %v", data, err)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid JSON %q accepted", data)
		}
		for i := 0; i < len(sealed); i++ {
			if sealed[i] >= 0x80 {
				t.Fatalf("non-ASCII byte in %q", sealed)
			}
		}
		o, err := env.Open(sealed)
		if err != nil {
			t.Fatalf("cannot open what was sealed: %v", err)
		}
		if !reflect.DeepEqual(normalJSON(t, o.Data), normalJSON(t, []byte(data))) {
			t.Fatalf("data changed: %s -> %s", data, o.Data)
		}
	})
}

// normalJSON decodes JSON with numbers as float64 where they fit (their
// text otherwise) and strings with invalid UTF-8 replaced, as both sides of
// a reformatting should agree on.
func normalJSON(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	var norm func(any) any
	norm = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			if f, err := strconv.ParseFloat(string(x), 64); err == nil {
				return f
			}
			return string(x)
		case []any:
			for i := range x {
				x[i] = norm(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = norm(x[k])
			}
		}
		return v
	}
	return norm(v)
}
