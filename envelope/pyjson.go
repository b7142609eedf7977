package envelope

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file writes JSON the way Python's json.dumps does with its defaults,
// which is what tomodachi puts on the wire: ", " and ": " separators, every
// character outside printable ASCII escaped as \uXXXX (lowercase hex,
// surrogate pairs above U+FFFF), and floats written as repr(float) writes
// them. Keys keep the order they have in the input.

const hexDigits = "0123456789abcdef"

// appendPyString appends s as a JSON string, escaped like json.dumps with
// ensure_ascii=True. Invalid UTF-8 bytes are written as \ufffd.
func appendPyString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			if c < utf8.RuneSelf {
				dst = appendU4(dst, rune(c))
				i++
				start = i
				continue
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if r > 0xffff {
				r -= 0x10000
				dst = appendU4(dst, 0xd800+(r>>10)&0x3ff)
				dst = appendU4(dst, 0xdc00+r&0x3ff)
			} else {
				dst = appendU4(dst, r) // includes U+FFFD for invalid bytes
			}
			i += size
			start = i
			continue
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendPyFloat appends f as Python's repr(float) writes it: the shortest
// digits that round-trip, in fixed notation with at least one decimal
// ("5.0", "1712345678.123456") when the decimal exponent is in (-4, 16], and
// in scientific notation otherwise ("1e+20", "1.5e-07"). NaN and the
// infinities are written as json.dumps writes them.
func appendPyFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // [-]d[.ddd]e±XX
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	mark := 0
	for e[mark] != 'e' {
		mark++
	}
	exp, _ := strconv.Atoi(string(e[mark+1:]))
	var digits [24]byte
	nd := 0
	for _, c := range e[:mark] {
		if c != '.' {
			digits[nd] = c
			nd++
		}
	}
	d := digits[:nd]
	decpt := exp + 1 // value = 0.d1d2... × 10^decpt
	if decpt > -4 && decpt <= 16 {
		switch {
		case decpt <= 0:
			dst = append(dst, '0', '.')
			for i := decpt; i < 0; i++ {
				dst = append(dst, '0')
			}
			dst = append(dst, d...)
		case decpt >= nd:
			dst = append(dst, d...)
			for i := nd; i < decpt; i++ {
				dst = append(dst, '0')
			}
			dst = append(dst, '.', '0')
		default:
			dst = append(dst, d[:decpt]...)
			dst = append(dst, '.')
			dst = append(dst, d[decpt:]...)
		}
		return dst
	}
	dst = append(dst, d[0])
	if nd > 1 {
		dst = append(dst, '.')
		dst = append(dst, d[1:]...)
	}
	dst = append(dst, 'e')
	if exp < 0 {
		dst = append(dst, '-')
		exp = -exp
	} else {
		dst = append(dst, '+')
	}
	if exp < 10 {
		dst = append(dst, '0')
	}
	return strconv.AppendInt(dst, int64(exp), 10)
}

// marshalPy marshals v with encoding/json and rewrites the result in Python
// style. A json.RawMessage is rewritten as it is (and must be valid JSON).
func marshalPy(dst []byte, v any) ([]byte, error) {
	var text string
	switch x := v.(type) {
	case json.RawMessage:
		text = string(x)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		text = string(b)
	}
	return rewritePy(dst, text)
}

// rewritePy appends the JSON document src rewritten in Python style. It
// fails with a *syntaxError if src is not valid JSON.
func rewritePy(dst []byte, src string) ([]byte, error) {
	sc := scanner{s: src}
	dst, err := sc.rewrite(dst, 0)
	if err != nil {
		return nil, err
	}
	if err := sc.end(); err != nil {
		return nil, err
	}
	return dst, nil
}

func (sc *scanner) rewrite(dst []byte, depth int) ([]byte, error) {
	switch c := sc.peek(); {
	case c == '{':
		if depth >= maxDepth {
			return nil, sc.errorf("nesting too deep")
		}
		sc.i++
		dst = append(dst, '{')
		if sc.peek() == '}' {
			sc.i++
			return append(dst, '}'), nil
		}
		for {
			if sc.peek() != '"' {
				return nil, sc.errorf("expected object key")
			}
			var err error
			if dst, err = sc.rewriteString(dst); err != nil {
				return nil, err
			}
			if sc.peek() != ':' {
				return nil, sc.errorf("expected ':' after object key")
			}
			sc.i++
			dst = append(dst, ':', ' ')
			if dst, err = sc.rewrite(dst, depth+1); err != nil {
				return nil, err
			}
			switch sc.peek() {
			case ',':
				sc.i++
				dst = append(dst, ',', ' ')
			case '}':
				sc.i++
				return append(dst, '}'), nil
			default:
				return nil, sc.errorf("expected ',' or '}' in object")
			}
		}
	case c == '[':
		if depth >= maxDepth {
			return nil, sc.errorf("nesting too deep")
		}
		sc.i++
		dst = append(dst, '[')
		if sc.peek() == ']' {
			sc.i++
			return append(dst, ']'), nil
		}
		for {
			var err error
			if dst, err = sc.rewrite(dst, depth+1); err != nil {
				return nil, err
			}
			switch sc.peek() {
			case ',':
				sc.i++
				dst = append(dst, ',', ' ')
			case ']':
				sc.i++
				return append(dst, ']'), nil
			default:
				return nil, sc.errorf("expected ',' or ']' in array")
			}
		}
	case c == '"':
		return sc.rewriteString(dst)
	case c == '-' || ('0' <= c && c <= '9'):
		tok, err := sc.number()
		if err != nil {
			return nil, err
		}
		if isFloatToken(tok) && !isPyRepr(tok) {
			if f, err := strconv.ParseFloat(tok, 64); err == nil {
				return appendPyFloat(dst, f), nil
			}
		}
		return append(dst, tok...), nil
	default:
		start := sc.i
		if _, err := sc.value(depth); err != nil {
			return nil, err
		}
		return append(dst, sc.s[start:sc.i]...), nil // true, false, null
	}
}

func (sc *scanner) rewriteString(dst []byte) ([]byte, error) {
	// Fast path: printable ASCII without escapes is copied as it is.
	start := sc.i
	for i := start + 1; i < len(sc.s); i++ {
		c := sc.s[i]
		if c == '"' {
			sc.i = i + 1
			return append(dst, sc.s[start:sc.i]...), nil
		}
		if c == '\\' || c < 0x20 || c >= 0x7f {
			break
		}
	}
	raw, _, err := sc.str()
	if err != nil {
		return nil, err
	}
	return appendPyString(dst, unescape(raw)), nil
}

// isFloatToken reports whether a number token has a fraction or exponent.
func isFloatToken(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c == '.' || c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

// isPyRepr reports whether a number token with a fraction is already
// written as Python's repr writes its float: fixed notation, no exponent, no
// trailing zeros (but for "d.0"), at most 15 significant digits (so they are
// the shortest that round-trip) and a decimal exponent in (-4, 16].
func isPyRepr(tok string) bool {
	if tok[0] == '-' {
		tok = tok[1:]
	}
	dot := strings.IndexByte(tok, '.')
	if dot < 0 || strings.ContainsAny(tok, "eE") {
		return false
	}
	intPart, frac := tok[:dot], tok[dot+1:]
	if frac != "0" && frac[len(frac)-1] == '0' {
		return false
	}
	sig := len(intPart) + len(frac)
	if intPart == "0" {
		lead := len(frac) - len(strings.TrimLeft(frac, "0"))
		if lead > 3 && frac != "0" {
			return false // 0.0000x: Python writes 1e-05
		}
		sig = len(frac) - lead
	} else if frac == "0" {
		sig = len(intPart)
	}
	return sig <= 15 && len(intPart) <= 16
}
