package filter

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxNesting bounds how many objects and arrays a message's JSON may nest,
// as encoding/json bounds it; deeper input is treated as invalid.
const maxNesting = 10000

// lexer reads JSON from a string without building a tree, so the body can
// be validated and walked in one pass and the parts the policy does not
// name skipped without allocating. It accepts exactly what encoding/json
// accepts.
type lexer struct {
	s string
	i int
}

func (l *lexer) ws() {
	for l.i < len(l.s) {
		switch l.s[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (l *lexer) peek() byte {
	if l.i < len(l.s) {
		return l.s[l.i]
	}
	return 0
}

// str reads a string token starting at its opening quote and returns its
// raw content and whether that content holds escapes.
func (l *lexer) str() (raw string, escaped, ok bool) {
	if l.peek() != '"' {
		return "", false, false
	}
	l.i++
	start := l.i
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == '"':
			raw = l.s[start:l.i]
			l.i++
			return raw, escaped, true
		case c == '\\':
			escaped = true
			if l.i+1 >= len(l.s) {
				return "", false, false
			}
			switch l.s[l.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				l.i += 2
			case 'u':
				if l.i+6 > len(l.s) || !isHex4(l.s[l.i+2:l.i+6]) {
					return "", false, false
				}
				l.i += 6
			default:
				return "", false, false
			}
		case c < 0x20:
			return "", false, false
		default:
			l.i++
		}
	}
	return "", false, false
}

// num reads a number token and returns it as written.
func (l *lexer) num() (string, bool) {
	start := l.i
	if l.peek() == '-' {
		l.i++
	}
	switch c := l.peek(); {
	case c == '0':
		l.i++
	case '1' <= c && c <= '9':
		for isDigit(l.peek()) {
			l.i++
		}
	default:
		return "", false
	}
	if l.peek() == '.' {
		l.i++
		if !isDigit(l.peek()) {
			return "", false
		}
		for isDigit(l.peek()) {
			l.i++
		}
	}
	if c := l.peek(); c == 'e' || c == 'E' {
		l.i++
		if c := l.peek(); c == '+' || c == '-' {
			l.i++
		}
		if !isDigit(l.peek()) {
			return "", false
		}
		for isDigit(l.peek()) {
			l.i++
		}
	}
	return l.s[start:l.i], true
}

// lit reads the literal word if it is next.
func (l *lexer) lit(word string) bool {
	if strings.HasPrefix(l.s[l.i:], word) {
		l.i += len(word)
		return true
	}
	return false
}

// scalar reads a string, number, true, false or null into v; decode says
// whether string content is needed (unescaping costs an allocation).
func (l *lexer) scalar(v *value, decode bool) bool {
	*v = value{}
	switch c := l.peek(); {
	case c == '"':
		raw, escaped, ok := l.str()
		if !ok {
			return false
		}
		v.kind, v.str = kString, raw
		if decode && escaped {
			v.str = unescape(raw)
		}
		return true
	case c == 't':
		v.kind, v.b = kBool, true
		return l.lit("true")
	case c == 'f':
		v.kind = kBool
		return l.lit("false")
	case c == 'n':
		v.kind = kNull
		return l.lit("null")
	default:
		text, ok := l.num()
		v.kind, v.str = kNumber, text
		return ok
	}
}

// skip reads and validates one value of any kind at nesting depth depth
// (the number of objects and arrays around it), counting the scalars in it
// into *scalars.
func (l *lexer) skip(depth int, scalars *int) bool {
	switch l.peek() {
	case '{':
		if depth >= maxNesting {
			return false
		}
		l.i++
		l.ws()
		if l.peek() == '}' {
			l.i++
			return true
		}
		for {
			l.ws()
			if _, _, ok := l.str(); !ok {
				return false
			}
			l.ws()
			if l.peek() != ':' {
				return false
			}
			l.i++
			l.ws()
			if !l.skip(depth+1, scalars) {
				return false
			}
			l.ws()
			switch l.peek() {
			case ',':
				l.i++
			case '}':
				l.i++
				return true
			default:
				return false
			}
		}
	case '[':
		if depth >= maxNesting {
			return false
		}
		l.i++
		l.ws()
		if l.peek() == ']' {
			l.i++
			return true
		}
		for {
			l.ws()
			if !l.skip(depth+1, scalars) {
				return false
			}
			l.ws()
			switch l.peek() {
			case ',':
				l.i++
			case ']':
				l.i++
				return true
			default:
				return false
			}
		}
	default:
		var v value
		*scalars++
		return l.scalar(&v, false)
	}
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unescape decodes the content of a valid JSON string token as
// encoding/json does, including surrogate pairs (a lone surrogate becomes
// U+FFFD).
func unescape(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					r2 = hex4(raw[i+2 : i+6])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					i += 6
					r = dec
				} else {
					r = utf8.RuneError
				}
			}
			b.WriteRune(r)
			continue
		default: // '"', '\\', '/'
			b.WriteByte(raw[i+1])
		}
		i += 2
	}
	return b.String()
}

func hex4(s string) rune {
	var r rune
	for i := 0; i < 4; i++ {
		c := s[i]
		switch {
		case isDigit(c):
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
