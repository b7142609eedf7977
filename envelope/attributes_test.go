package envelope_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/envelope"
)

type currency string

type point struct{ X, Y int }

func TestEncodeAttributes(t *testing.T) {
	t.Parallel()
	s := "pointed"
	var nilPtr *int
	tests := []struct {
		name string
		in   any
		want envelope.Attribute
	}{
		{"string", "SEK", envelope.Attribute{DataType: "String", StringValue: "SEK"}},
		{"named string", currency("EUR"), envelope.Attribute{DataType: "String", StringValue: "EUR"}},
		{"nil", nil, envelope.Attribute{DataType: "String.Array", StringValue: "null"}},
		{"true", true, envelope.Attribute{DataType: "String.Array", StringValue: "true"}},
		{"false", false, envelope.Attribute{DataType: "String.Array", StringValue: "false"}},
		{"int", 4711, envelope.Attribute{DataType: "Number", StringValue: "4711"}},
		{"int8", int8(-5), envelope.Attribute{DataType: "Number", StringValue: "-5"}},
		{"uint64", uint64(math.MaxUint64), envelope.Attribute{DataType: "Number", StringValue: "18446744073709551615"}},
		{"float", 99.5, envelope.Attribute{DataType: "Number", StringValue: "99.5"}},
		{"integral float", 5.0, envelope.Attribute{DataType: "Number", StringValue: "5.0"}},
		{"big float", 1e20, envelope.Attribute{DataType: "Number", StringValue: "1e+20"}},
		{"float32", float32(0.1), envelope.Attribute{DataType: "Number", StringValue: "0.1"}},
		{"json.Number", json.Number("12.30"), envelope.Attribute{DataType: "Number", StringValue: "12.30"}},
		{"bytes", []byte{0, 1}, envelope.Attribute{DataType: "Binary", BinaryValue: []byte{0, 1}}},
		{"list", []any{"a", 1}, envelope.Attribute{DataType: "String.Array", StringValue: `["a", 1]`}},
		{"strings", []string{"räk", "b"}, envelope.Attribute{DataType: "String.Array", StringValue: `["r\u00e4k", "b"]`}},
		{"array", [2]int{1, 2}, envelope.Attribute{DataType: "String.Array", StringValue: `[1, 2]`}},
		{"raw JSON", json.RawMessage(`{"a":1}`), envelope.Attribute{DataType: "String.Array", StringValue: `{"a": 1}`}},
		{"pointer", &s, envelope.Attribute{DataType: "String", StringValue: "pointed"}},
		{"nil pointer", nilPtr, envelope.Attribute{DataType: "String.Array", StringValue: "null"}},
		{"struct", point{1, 2}, envelope.Attribute{DataType: "String", StringValue: "{1 2}"}},
		{"map", map[string]int{"a": 1}, envelope.Attribute{DataType: "String", StringValue: "map[a:1]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			got, err := envelope.EncodeAttributes(map[string]any{"x": tt.in})
			is.NoErr(err)
			is.Equal(got, map[string]envelope.Attribute{"x": tt.want})
		})
	}
}

func TestEncodeAttributesRefuses(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{
		"NaN":          math.NaN(),
		"Inf":          math.Inf(1),
		"bad Number":   json.Number("twelve"),
		"bad raw JSON": json.RawMessage(`{`),
		"channel list": []any{make(chan int)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			_, err := envelope.EncodeAttributes(map[string]any{"ok": 1, "bad": v})
			is.True(errors.Is(err, envelope.ErrUnsupportedValue))
			var e *envelope.Error
			is.True(errors.As(err, &e))
			is.Equal(e.Field, `attribute "bad"`)
		})
	}
}

func TestEncodeAttributesNil(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	got, err := envelope.EncodeAttributes(nil)
	is.NoErr(err)
	is.Equal(got, nil)
}

func TestDecodeAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   envelope.Attribute
		want any
	}{
		{"string", envelope.Attribute{DataType: "String", StringValue: "SEK"}, "SEK"},
		{"int", envelope.Attribute{DataType: "Number", StringValue: "4711"}, int64(4711)},
		{"negative int", envelope.Attribute{DataType: "Number", StringValue: "-12"}, int64(-12)},
		{"float", envelope.Attribute{DataType: "Number", StringValue: "99.5"}, 99.5},
		{"integral float", envelope.Attribute{DataType: "Number", StringValue: "5.0"}, 5.0},
		{"exponent", envelope.Attribute{DataType: "Number", StringValue: "1e+20"}, 1e20},
		{"small exponent", envelope.Attribute{DataType: "Number", StringValue: "1.5e-07"}, 1.5e-7},
		{"int beyond int64", envelope.Attribute{DataType: "Number", StringValue: "18446744073709551615"}, 18446744073709551615.0},
		{"binary", envelope.Attribute{DataType: "Binary", BinaryValue: []byte("abc")}, []byte("abc")},
		{"empty binary", envelope.Attribute{DataType: "Binary"}, []byte{}},
		{"binary as base64 text", envelope.Attribute{DataType: "Binary", StringValue: "YWJj"}, []byte("abc")},
		{"list", envelope.Attribute{DataType: "String.Array", StringValue: `["a", 1, 2.5, {"k": null}]`},
			[]any{"a", int64(1), 2.5, map[string]any{"k": nil}}},
		{"bool", envelope.Attribute{DataType: "String.Array", StringValue: "true"}, true},
		{"null", envelope.Attribute{DataType: "String.Array", StringValue: "null"}, nil},
		{"custom string", envelope.Attribute{DataType: "String.custom", StringValue: "x"}, "x"},
		{"custom number", envelope.Attribute{DataType: "Number.float", StringValue: "2.25"}, 2.25},
		{"custom binary", envelope.Attribute{DataType: "Binary.gif", BinaryValue: []byte{1}}, []byte{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			got, err := envelope.DecodeAttributes(map[string]envelope.Attribute{"x": tt.in})
			is.NoErr(err)
			is.True(reflect.DeepEqual(got, map[string]any{"x": tt.want}))
		})
	}
}

func TestDecodeAttributesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   envelope.Attribute
		kind error
	}{
		{"unknown type", envelope.Attribute{DataType: "Foo", StringValue: "x"}, envelope.ErrAttributeType},
		{"no type", envelope.Attribute{StringValue: "x"}, envelope.ErrAttributeType},
		{"lowercase type", envelope.Attribute{DataType: "string", StringValue: "x"}, envelope.ErrAttributeType},
		{"empty number", envelope.Attribute{DataType: "Number"}, envelope.ErrAttributeValue},
		{"word", envelope.Attribute{DataType: "Number", StringValue: "twelve"}, envelope.ErrAttributeValue},
		{"hex float", envelope.Attribute{DataType: "Number", StringValue: "0x1.8p1"}, envelope.ErrAttributeValue},
		{"inf", envelope.Attribute{DataType: "Number", StringValue: "Inf"}, envelope.ErrAttributeValue},
		{"NaN", envelope.Attribute{DataType: "Number", StringValue: "NaN"}, envelope.ErrAttributeValue},
		{"overflow", envelope.Attribute{DataType: "Number", StringValue: "1e400"}, envelope.ErrAttributeValue},
		{"bare exponent", envelope.Attribute{DataType: "Number", StringValue: "1e"}, envelope.ErrAttributeValue},
		{"bad array JSON", envelope.Attribute{DataType: "String.Array", StringValue: `["a",`}, envelope.ErrAttributeValue},
		{"array trailing", envelope.Attribute{DataType: "String.Array", StringValue: `[] []`}, envelope.ErrAttributeValue},
		{"bad base64", envelope.Attribute{DataType: "Binary", StringValue: "!!"}, envelope.ErrBadBase64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			got, err := envelope.DecodeAttributes(map[string]envelope.Attribute{
				"good": {DataType: "String", StringValue: "ok"},
				"bad":  tt.in,
			})
			is.Equal(got, nil)
			is.True(errors.Is(err, tt.kind))
			var e *envelope.Error
			is.True(errors.As(err, &e))
			is.Equal(e.Op, "decode attributes")
			is.Equal(e.Field, `attribute "bad"`)
		})
	}
}

// TestAttributesRoundTrip checks that what EncodeAttributes writes,
// DecodeAttributes reads back as the value tomodachi would see.
func TestAttributesRoundTrip(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	in := map[string]any{
		"s": "x", "i": 7, "f": 0.25, "big": 1e20, "b": false, "n": nil,
		"l": []any{"a", 1, 1.5, true}, "bin": []byte{0xff, 0},
	}
	enc, err := envelope.EncodeAttributes(in)
	is.NoErr(err)
	dec, err := envelope.DecodeAttributes(enc)
	is.NoErr(err)
	is.True(reflect.DeepEqual(dec, map[string]any{
		"s": "x", "i": int64(7), "f": 0.25, "big": 1e20, "b": false, "n": nil,
		"l": []any{"a", int64(1), 1.5, true}, "bin": []byte{0xff, 0},
	}))
}
