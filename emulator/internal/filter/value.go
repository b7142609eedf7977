package filter

import (
	"math"
	"strconv"
)

// kind is the JSON type of a message value.
type kind uint8

const (
	kString kind = iota + 1
	kNumber
	kBool
	kNull
)

// value is one scalar of a message: an attribute value, an element of a
// String.Array, or a leaf of the body.
type value struct {
	kind kind
	// str is the string, or the number as written.
	str string
	b   bool

	parsed bool
	num    number
}

// number reports the value as a comparable number, parsing it once.
func (v *value) number() number {
	if !v.parsed {
		v.num = parseNumber(v.str)
		v.parsed = true
	}
	return v.num
}

// present reports whether the value makes its key exist for {"exists":
// true}: AWS documents that "the key must have a non-null and non-empty
// value".
func (v *value) present() bool {
	return v.kind != kNull && !(v.kind == kString && v.str == "")
}

// number is a numeric value in the form SNS compares: AWS documents
// numeric matching over -1e9..1e9 "with five digits of accuracy after the
// decimal point", so a number is kept as an integer count of 1e-5 units,
// which float64 represents exactly over that whole range. ok is false for
// numbers outside the range (or not numbers at all), which no numeric
// condition matches.
type number struct {
	scaled int64
	ok     bool
}

const (
	numericLimit = 1e9
	numericScale = 1e5
)

// toNumber converts f to the comparable form.
func toNumber(f float64) number {
	if math.IsNaN(f) || f < -numericLimit || f > numericLimit {
		return number{}
	}
	return number{scaled: int64(math.Round(f * numericScale)), ok: true}
}

// parseNumber reads a JSON number, or an SNS Number attribute value (which
// may also carry a leading '+'). Anything else, including the forms Go
// accepts and JSON does not (Inf, NaN, hexadecimal, underscores), is not a
// number.
func parseNumber(s string) number {
	if !isDecimal(s) {
		return number{}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return number{}
	}
	return toNumber(f)
}

// isDecimal reports whether s is [+-]digits[.digits][(e|E)[+-]digits], with
// digits allowed on either side of the point but not missing from both.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
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
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
