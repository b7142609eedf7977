package envelope

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Attribute is a message attribute as SNS and SQS carry it: a data type
// ("String", "Number", "Binary", "String.Array", or a custom type such as
// "Number.float") and a value, in StringValue for String and Number types
// and in BinaryValue for Binary types. Sources and sinks convert it to and
// from the AWS SDK's types.
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// EncodeAttributes encodes Go values as message attributes the way
// tomodachi encodes Python values, so tomodachi consumers decode them to the
// values it would have sent:
//
//   - string (and named string types): String, the string itself;
//   - nil, bool: String.Array holding the JSON null, true or false;
//   - integers, floats, json.Number: Number, written as Python writes the
//     number ("4711", "99.5", "1e+20"); NaN and infinities are refused;
//   - []byte: Binary;
//   - json.RawMessage: String.Array holding the JSON (reformatted);
//   - other slices and arrays: String.Array holding them as JSON (["a", 1]);
//   - non-nil pointers: the value pointed to; nil pointers as nil;
//   - anything else (maps, structs, ...): String, formatted with fmt's %v
//     (tomodachi likewise sends str(value)).
//
// A value that cannot be encoded is an ErrUnsupportedValue error naming the
// attribute. A nil map encodes to nil.
func EncodeAttributes(attrs map[string]any) (map[string]Attribute, error) {
	if attrs == nil {
		return nil, nil
	}
	out := make(map[string]Attribute, len(attrs))
	var firstErr error
	var firstName string
	for name, v := range attrs {
		a, err := encodeAttribute(v)
		if err != nil {
			if firstErr == nil || name < firstName {
				firstErr, firstName = err, name
			}
			continue
		}
		out[name] = a
	}
	if firstErr != nil {
		return nil, newError("encode attributes", attrField(firstName), ErrUnsupportedValue, firstErr)
	}
	return out, nil
}

func attrField(name string) string { return "attribute " + strconv.Quote(name) }

func encodeAttribute(v any) (Attribute, error) {
	switch x := v.(type) {
	case string:
		return Attribute{DataType: "String", StringValue: x}, nil
	case nil:
		return Attribute{DataType: "String.Array", StringValue: "null"}, nil
	case bool:
		return boolAttribute(x), nil
	case int:
		return numberAttribute(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return numberAttribute(strconv.FormatInt(x, 10)), nil
	case float64:
		return floatAttribute(x, 64)
	case json.Number:
		if !isNumber(string(x)) {
			return Attribute{}, fmt.Errorf("json.Number %q is not a number", string(x))
		}
		return numberAttribute(string(x)), nil
	case []byte:
		return Attribute{DataType: "Binary", BinaryValue: x}, nil
	case json.RawMessage:
		js, err := rewritePy(nil, string(x))
		if err != nil {
			return Attribute{}, fmt.Errorf("json.RawMessage: %w", err)
		}
		return Attribute{DataType: "String.Array", StringValue: string(js)}, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return Attribute{DataType: "String", StringValue: rv.String()}, nil
	case reflect.Bool:
		return boolAttribute(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return numberAttribute(strconv.FormatInt(rv.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return numberAttribute(strconv.FormatUint(rv.Uint(), 10)), nil
	case reflect.Float32:
		return floatAttribute(rv.Float(), 32)
	case reflect.Float64:
		return floatAttribute(rv.Float(), 64)
	case reflect.Pointer:
		if rv.IsNil() {
			return encodeAttribute(nil)
		}
		return encodeAttribute(rv.Elem().Interface())
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
			return Attribute{DataType: "Binary", BinaryValue: rv.Bytes()}, nil
		}
		js, err := marshalPy(nil, v)
		if err != nil {
			return Attribute{}, err
		}
		return Attribute{DataType: "String.Array", StringValue: string(js)}, nil
	}
	return Attribute{DataType: "String", StringValue: fmt.Sprintf("%v", v)}, nil
}

func boolAttribute(b bool) Attribute {
	if b {
		return Attribute{DataType: "String.Array", StringValue: "true"}
	}
	return Attribute{DataType: "String.Array", StringValue: "false"}
}

func numberAttribute(s string) Attribute { return Attribute{DataType: "Number", StringValue: s} }

func floatAttribute(f float64, bits int) (Attribute, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Attribute{}, fmt.Errorf("%v is not a number SNS and SQS accept", f)
	}
	if bits == 32 {
		// Use the shortest digits of the float32, not of its float64 widening.
		f, _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, 32), 64)
	}
	return numberAttribute(string(appendPyFloat(nil, f))), nil
}

// DecodeAttributes decodes message attributes as tomodachi does, with two
// deliberate differences noted below:
//
//   - String: the string;
//   - Number: int64 when written without '.' or an exponent and in range
//     (like Python's int), otherwise float64. Unlike tomodachi, numbers with
//     an exponent ("1e+20", which Python itself writes for large floats) are
//     decoded as float64 rather than failing;
//   - Binary: BinaryValue (or, if that is nil, StringValue base64-decoded);
//   - String.Array: the JSON value it holds, with JSON objects as
//     map[string]any, arrays as []any and numbers as int64 or float64 by the
//     same rule as Number (so true, null, ["a", 1] decode to true, nil,
//     []any{"a", int64(1)}); bytes that are not valid UTF-8 in its strings
//     become U+FFFD, as with encoding/json;
//   - custom types "String.<x>", "Number.<x>" and "Binary.<x>" decode as
//     their base type (tomodachi drops them).
//
// Any other data type is an ErrAttributeType error and a value that does not
// parse as its type an ErrAttributeValue error, each naming the attribute.
// A nil map decodes to nil.
func DecodeAttributes(attrs map[string]Attribute) (map[string]any, error) {
	if attrs == nil {
		return nil, nil
	}
	out := make(map[string]any, len(attrs))
	var firstErr *Error
	for name, a := range attrs {
		v, err := decodeAttribute(a)
		if err != nil {
			if firstErr == nil || attrField(name) < firstErr.Field {
				err.Op, err.Field = "decode attributes", attrField(name)
				firstErr = err
			}
			continue
		}
		out[name] = v
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func decodeAttribute(a Attribute) (any, *Error) {
	if a.DataType == "String.Array" {
		v, err := parseJSONAny(a.StringValue)
		if err != nil {
			return nil, newError("", "", ErrAttributeValue, fmt.Errorf("String.Array: %w", err))
		}
		return v, nil
	}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String":
		return a.StringValue, nil
	case "Number":
		v, err := parseNumber(a.StringValue)
		if err != nil {
			return nil, newError("", "", ErrAttributeValue, err)
		}
		return v, nil
	case "Binary":
		if a.BinaryValue != nil || a.StringValue == "" {
			if a.BinaryValue == nil {
				return []byte{}, nil
			}
			return a.BinaryValue, nil
		}
		b, err := base64.StdEncoding.DecodeString(a.StringValue)
		if err != nil {
			return nil, newError("", "", ErrBadBase64, err)
		}
		return b, nil
	}
	if a.DataType == "" {
		return nil, newError("", "", ErrAttributeType, errors.New("no data type"))
	}
	return nil, newError("", "", ErrAttributeType, fmt.Errorf("%q", a.DataType))
}

// parseNumber parses an SNS/SQS Number value: an integer becomes int64 (or
// float64 if out of range), anything with a fraction or exponent float64.
func parseNumber(s string) (any, error) {
	if !isNumber(s) {
		return nil, fmt.Errorf("Number %q is not a number", s)
	}
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, fmt.Errorf("Number %q is out of range", s)
	}
	return f, nil
}

// isNumber reports whether s is a decimal number: an optional sign, digits
// with an optional fraction (".5" and "5." included, as Python accepts
// them), and an optional exponent.
func isNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// parseJSONAny parses a JSON document into string, int64, float64, bool,
// nil, []any and map[string]any values.
// wellFormed replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, as encoding/json does, so that a decoded String.Array encodes back
// to the same value.
func wellFormed(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		b = utf8.AppendRune(b, r) // utf8.RuneError for an invalid byte
		i += size
	}
	return string(b)
}

func parseJSONAny(s string) (any, error) {
	sc := scanner{s: s}
	v, err := sc.anyValue(0)
	if err != nil {
		return nil, err
	}
	if err := sc.end(); err != nil {
		return nil, err
	}
	return v, nil
}

func (sc *scanner) anyValue(depth int) (any, error) {
	if depth >= maxDepth {
		return nil, sc.errorf("nesting too deep")
	}
	switch c := sc.peek(); {
	case c == '{':
		m := map[string]any{}
		err := sc.object(depth, func(key string) error {
			v, err := sc.anyValue(depth + 1)
			m[wellFormed(key)] = v
			return err
		})
		return m, err
	case c == '[':
		sc.i++
		a := []any{}
		if sc.peek() == ']' {
			sc.i++
			return a, nil
		}
		for {
			v, err := sc.anyValue(depth + 1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
			switch sc.peek() {
			case ',':
				sc.i++
			case ']':
				sc.i++
				return a, nil
			default:
				return nil, sc.errorf("expected ',' or ']' in array")
			}
		}
	case c == '"':
		raw, esc, err := sc.str()
		if err != nil {
			return nil, err
		}
		if esc {
			raw = unescape(raw)
		}
		return wellFormed(raw), nil
	case c == '-' || ('0' <= c && c <= '9'):
		tok, err := sc.number()
		if err != nil {
			return nil, err
		}
		return parseNumber(tok)
	case c == 't':
		return true, sc.literal("true")
	case c == 'f':
		return false, sc.literal("false")
	case c == 'n':
		return nil, sc.literal("null")
	case c == 0:
		return nil, sc.errorf("unexpected end of input")
	default:
		return nil, sc.errorf("unexpected %q", c)
	}
}

// bodyAttributes reads the MessageAttributes object of a notification or
// Type "Message" body: {name: {"Type": ..., "Value": ...}}. As tomodachi
// does, it takes the type from the first of DataType, Type, dataType, type
// and the value from the first of StringValue, BinaryValue, Value,
// stringValue, binaryValue, value that is present, and skips entries
// without both. Binary values are base64 text.
func (sc *scanner) bodyAttributes() (map[string]Attribute, error) {
	switch sc.peek() {
	case 'n':
		return nil, sc.literal("null")
	case '{':
	default:
		if _, err := sc.value(1); err != nil {
			return nil, err
		}
		return nil, newError("", "MessageAttributes", ErrBadField, errors.New("want an object"))
	}
	attrs := map[string]Attribute{}
	err := sc.object(1, func(name string) error {
		if sc.peek() != '{' {
			if _, err := sc.value(2); err != nil {
				return err
			}
			return newError("", attrField(name), ErrAttributeValue, errors.New("want an object with Type and Value"))
		}
		var (
			typ, val         string
			typRank, valRank = 99, 99
		)
		err := sc.object(2, func(key string) error {
			tr, vr := typeKeyRank(key), valueKeyRank(key)
			if tr == 0 && vr == 0 {
				_, err := sc.value(3)
				return err
			}
			s, err := sc.stringOrNull(attrField(name) + "." + key)
			if err != nil {
				return err
			}
			if tr > 0 && tr < typRank {
				typ, typRank = s, tr
			}
			if vr > 0 && vr < valRank {
				val, valRank = s, vr
			}
			return nil
		})
		if err != nil {
			return err
		}
		if typRank == 99 || valRank == 99 {
			return nil
		}
		a := Attribute{DataType: typ}
		if base, _, _ := strings.Cut(typ, "."); base == "Binary" {
			b, err := base64.StdEncoding.DecodeString(val)
			if err != nil {
				return newError("", attrField(name), ErrBadBase64, err)
			}
			a.BinaryValue = b
		} else {
			a.StringValue = val
		}
		attrs[name] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return attrs, nil
}

func typeKeyRank(k string) int {
	switch k {
	case "DataType":
		return 1
	case "Type":
		return 2
	case "dataType":
		return 3
	case "type":
		return 4
	}
	return 0
}

func valueKeyRank(k string) int {
	switch k {
	case "StringValue":
		return 1
	case "BinaryValue":
		return 2
	case "Value":
		return 3
	case "stringValue":
		return 4
	case "binaryValue":
		return 5
	case "value":
		return 6
	}
	return 0
}
