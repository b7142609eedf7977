package envelope

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON values the scanner accepts, as
// encoding/json does, so hostile input cannot exhaust the stack.
const maxDepth = 10000

// syntaxError is the cause of an ErrNotJSON error: what was wrong and where.
type syntaxError struct {
	msg    string
	offset int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at offset %d", e.msg, e.offset) }

// scanner is a validating, allocation-free JSON scanner over a string. It
// walks one document once; callers pick out the fields they need and let it
// skip (and check) the rest. Spans it returns are substrings of the input.
type scanner struct {
	s string
	i int
}

func (sc *scanner) errorf(format string, args ...any) error {
	return &syntaxError{msg: fmt.Sprintf(format, args...), offset: sc.i}
}

func (sc *scanner) ws() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte without consuming it (0 at the end).
func (sc *scanner) peek() byte {
	sc.ws()
	if sc.i < len(sc.s) {
		return sc.s[sc.i]
	}
	return 0
}

// end checks that nothing but white space is left.
func (sc *scanner) end() error {
	sc.ws()
	if sc.i != len(sc.s) {
		return sc.errorf("unexpected %q after top-level value", sc.s[sc.i])
	}
	return nil
}

// value checks one JSON value and returns its span.
func (sc *scanner) value(depth int) (string, error) {
	c := sc.peek()
	start := sc.i
	var err error
	switch {
	case c == '{':
		err = sc.object(depth, nil)
	case c == '[':
		err = sc.array(depth)
	case c == '"':
		_, _, err = sc.str()
	case c == '-' || ('0' <= c && c <= '9'):
		_, err = sc.number()
	case c == 't':
		err = sc.literal("true")
	case c == 'f':
		err = sc.literal("false")
	case c == 'n':
		err = sc.literal("null")
	case c == 0:
		err = sc.errorf("unexpected end of input")
	default:
		err = sc.errorf("unexpected %q", c)
	}
	if err != nil {
		return "", err
	}
	return sc.s[start:sc.i], nil
}

func (sc *scanner) literal(lit string) error {
	if !strings.HasPrefix(sc.s[sc.i:], lit) {
		return sc.errorf("invalid literal")
	}
	sc.i += len(lit)
	return nil
}

// object scans an object (the scanner must be at '{'). For each member it
// calls fn with the key, positioned at the value; fn must consume the value.
// A nil fn skips every value.
func (sc *scanner) object(depth int, fn func(key string) error) error {
	if depth >= maxDepth {
		return sc.errorf("nesting too deep")
	}
	sc.i++ // '{'
	if sc.peek() == '}' {
		sc.i++
		return nil
	}
	for {
		if sc.peek() != '"' {
			return sc.errorf("expected object key")
		}
		raw, esc, err := sc.str()
		if err != nil {
			return err
		}
		if sc.peek() != ':' {
			return sc.errorf("expected ':' after object key")
		}
		sc.i++
		sc.ws()
		if fn == nil {
			_, err = sc.value(depth + 1)
		} else {
			key := raw
			if esc {
				key = unescape(raw)
			}
			err = fn(key)
		}
		if err != nil {
			return err
		}
		switch sc.peek() {
		case ',':
			sc.i++
		case '}':
			sc.i++
			return nil
		default:
			return sc.errorf("expected ',' or '}' in object")
		}
	}
}

func (sc *scanner) array(depth int) error {
	if depth >= maxDepth {
		return sc.errorf("nesting too deep")
	}
	sc.i++ // '['
	if sc.peek() == ']' {
		sc.i++
		return nil
	}
	for {
		if _, err := sc.value(depth + 1); err != nil {
			return err
		}
		switch sc.peek() {
		case ',':
			sc.i++
		case ']':
			sc.i++
			return nil
		default:
			return sc.errorf("expected ',' or ']' in array")
		}
	}
}

// str scans a string (the scanner must be at '"') and returns its raw
// content between the quotes and whether it contains escapes.
func (sc *scanner) str() (raw string, escaped bool, err error) {
	sc.i++ // '"'
	start := sc.i
	for sc.i < len(sc.s) {
		c := sc.s[sc.i]
		switch {
		case c == '"':
			raw = sc.s[start:sc.i]
			sc.i++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			sc.i++
			if sc.i >= len(sc.s) {
				return "", false, sc.errorf("unterminated string")
			}
			switch sc.s[sc.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				sc.i++
			case 'u':
				if sc.i+5 > len(sc.s) || !isHex4(sc.s[sc.i+1:sc.i+5]) {
					return "", false, sc.errorf(`bad \u escape`)
				}
				sc.i += 5
			default:
				return "", false, sc.errorf("bad escape")
			}
		case c < 0x20:
			return "", false, sc.errorf("control character in string")
		default:
			sc.i++
		}
	}
	return "", false, sc.errorf("unterminated string")
}

// number scans a number and returns its text.
func (sc *scanner) number() (string, error) {
	start := sc.i
	s := sc.s
	i := sc.i
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	default:
		sc.i = i
		return "", sc.errorf("bad number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			sc.i = i
			return "", sc.errorf("bad number")
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			sc.i = i
			return "", sc.errorf("bad number")
		}
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	sc.i = i
	return s[start:i], nil
}

// stringOrNull reads a string value (or null, giving "") for field.
func (sc *scanner) stringOrNull(field string) (string, error) {
	switch sc.peek() {
	case '"':
		raw, esc, err := sc.str()
		if err != nil {
			return "", err
		}
		if esc {
			return unescape(raw), nil
		}
		return raw, nil
	case 'n':
		return "", sc.literal("null")
	}
	if _, err := sc.value(1); err != nil {
		return "", err
	}
	return "", newError("", field, ErrBadField, fmt.Errorf("want a string"))
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		if hexVal(s[i]) < 0 {
			return false
		}
	}
	return true
}

func hexVal(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

func hex4(s string) rune {
	return hexVal(s[0])<<12 | hexVal(s[1])<<8 | hexVal(s[2])<<4 | hexVal(s[3])
}

// unescape decodes the content of a JSON string already checked by str.
// Lone surrogates become U+FFFD, as encoding/json does.
func unescape(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	b := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			i++
			continue
		}
		i++
		switch raw[i] {
		case '"', '\\', '/':
			b = append(b, raw[i])
			i++
		case 'b':
			b = append(b, '\b')
			i++
		case 'f':
			b = append(b, '\f')
			i++
		case 'n':
			b = append(b, '\n')
			i++
		case 'r':
			b = append(b, '\r')
			i++
		case 't':
			b = append(b, '\t')
			i++
		case 'u':
			r := hex4(raw[i+1 : i+5])
			i += 5
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if d := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); d != utf8.RuneError {
						r2 = d
						i += 6
					}
				}
				r = r2
			}
			b = utf8.AppendRune(b, r)
		}
	}
	return string(b)
}

// notObject tells apart text that is not JSON from JSON that is not an
// object; sc is at the first non-space byte.
func notObject(op, field string, sc *scanner) error {
	if _, err := sc.value(0); err != nil {
		return newError(op, field, ErrNotJSON, err)
	}
	if err := sc.end(); err != nil {
		return newError(op, field, ErrNotJSON, err)
	}
	return newError(op, field, ErrNotObject, nil)
}

// fieldOrSyntax turns an error from a scan into an *Error for op.
func fieldOrSyntax(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return withOp(err, op)
	}
	return newError(op, "", ErrNotJSON, err)
}
