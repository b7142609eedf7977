package emulator

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// jsonReader decodes the request bodies of the hot SQS actions (send,
// receive, delete) without reflection. It accepts exactly what
// encoding/json accepts for those shapes, with one difference AWS shares:
// keys match case-sensitively. Other actions use encoding/json. The first
// error sticks; every method is a no-op after it.
type jsonReader struct {
	b     []byte
	i     int
	depth int
	err   error
}

// maxJSONDepth bounds nesting, as encoding/json does, so a hostile body
// cannot exhaust the stack.
const maxJSONDepth = 10000

func (r *jsonReader) enter() bool {
	r.depth++
	if r.depth > maxJSONDepth {
		r.fail("The request body is nested too deeply.")
		return false
	}
	return true
}

func (r *jsonReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = errSerialization(format, args...)
	}
}

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.i < len(r.b) {
		return r.b[r.i]
	}
	return 0
}

func (r *jsonReader) expect(c byte) bool {
	if r.err != nil {
		return false
	}
	if r.peek() != c {
		r.fail("The request body is not valid JSON: expected %q at offset %d.", c, r.i)
		return false
	}
	r.i++
	return true
}

// null consumes a null literal if one comes next.
func (r *jsonReader) null() bool {
	if r.err == nil && r.peek() == 'n' && len(r.b)-r.i >= 4 && string(r.b[r.i:r.i+4]) == "null" {
		r.i += 4
		return true
	}
	return false
}

// object calls fn for each key of an object; fn must read the value. A
// null object is empty.
func (r *jsonReader) object(fn func(key string)) {
	if r.null() || !r.expect('{') || !r.enter() {
		return
	}
	defer func() { r.depth-- }()
	if r.peek() == '}' {
		r.i++
		return
	}
	for r.err == nil {
		key := r.rawString()
		if !r.expect(':') {
			return
		}
		fn(key)
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return
		default:
			r.fail("The request body is not valid JSON: expected , or } at offset %d.", r.i)
		}
	}
}

// array calls fn for each element of an array; fn must read it. A null
// array is empty.
func (r *jsonReader) array(fn func()) {
	if r.null() || !r.expect('[') || !r.enter() {
		return
	}
	defer func() { r.depth-- }()
	if r.peek() == ']' {
		r.i++
		return
	}
	for r.err == nil {
		fn()
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return
		default:
			r.fail("The request body is not valid JSON: expected , or ] at offset %d.", r.i)
		}
	}
}

// rawString reads a string token (a key or a value) and returns it decoded.
func (r *jsonReader) rawString() string {
	if !r.expect('"') {
		return ""
	}
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			s := r.b[start:r.i]
			r.i++
			if !utf8.Valid(s) {
				return r.slowString(start - 1)
			}
			return string(s)
		case c == '\\':
			return r.slowString(start - 1)
		case c < 0x20:
			r.fail("The request body is not valid JSON: control character in string at offset %d.", r.i)
			return ""
		}
		r.i++
	}
	r.fail("The request body is not valid JSON: unterminated string.")
	return ""
}

// slowString decodes a string with escapes or invalid UTF-8 the way
// encoding/json does, starting at its opening quote.
func (r *jsonReader) slowString(quote int) string {
	end := quote + 1
	for end < len(r.b) {
		c := r.b[end]
		if c == '\\' {
			end += 2
			continue
		}
		if c == '"' {
			break
		}
		end++
	}
	if end >= len(r.b) {
		r.fail("The request body is not valid JSON: unterminated string.")
		return ""
	}
	var s string
	if err := json.Unmarshal(r.b[quote:end+1], &s); err != nil {
		r.fail("The request body is not valid JSON: %v", err)
		return ""
	}
	r.i = end + 1
	return s
}

// str reads a string value; null reads as "".
func (r *jsonReader) str() string {
	if r.null() {
		return ""
	}
	if r.err == nil && r.peek() != '"' {
		r.fail("The request body is not valid JSON: expected a string at offset %d.", r.i)
		return ""
	}
	return r.rawString()
}

// strPtr reads a string value; null reads as nil.
func (r *jsonReader) strPtr() *string {
	if r.null() {
		return nil
	}
	s := r.str()
	return &s
}

// int64Ptr reads an integer value; null reads as nil.
func (r *jsonReader) int64Ptr() *int64 {
	if r.null() || r.err != nil {
		return nil
	}
	r.ws()
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		if c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			r.i++
			continue
		}
		break
	}
	tok := r.b[start:r.i]
	if !json.Valid(tok) {
		r.fail("The request body is not valid JSON at offset %d.", start)
		return nil
	}
	n, err := strconv.ParseInt(string(tok), 10, 64)
	if err != nil {
		r.fail("Value for an integer field has the wrong type: %s.", tok)
		return nil
	}
	return &n
}

// bytes reads a base64 string into bytes, as encoding/json does for []byte.
func (r *jsonReader) bytes() []byte {
	if r.null() {
		return nil
	}
	s := r.str()
	if r.err != nil {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		r.fail("Value for a binary field is not valid base64.")
		return nil
	}
	return b
}

// strings reads an array of strings.
func (r *jsonReader) strings() []string {
	var out []string
	if r.null() {
		return nil
	}
	out = []string{}
	r.array(func() { out = append(out, r.str()) })
	return out
}

// skip reads and discards any value.
func (r *jsonReader) skip() {
	if r.err != nil {
		return
	}
	switch c := r.peek(); {
	case c == '{':
		r.object(func(string) { r.skip() })
	case c == '[':
		r.array(r.skip)
	case c == '"':
		r.rawString()
	default:
		start := r.i
		for r.i < len(r.b) {
			c := r.b[r.i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				break
			}
			r.i++
		}
		if tok := r.b[start:r.i]; len(tok) == 0 || !json.Valid(tok) {
			r.fail("The request body is not valid JSON at offset %d.", start)
		}
	}
}

// end checks that nothing but white space follows the document.
func (r *jsonReader) end() error {
	if r.ws(); r.err == nil && r.i < len(r.b) {
		r.fail("The request body is not valid JSON: trailing data at offset %d.", r.i)
	}
	return r.err
}

// top reads the request's top-level object.
func (r *jsonReader) top(fn func(key string)) error {
	if r.peek() != '{' && !r.null() {
		r.fail("The request body must be a JSON object.")
		return r.err
	}
	r.object(fn)
	return r.end()
}

func (r *jsonReader) attrValues() map[string]attrValue {
	if r.null() {
		return nil
	}
	m := map[string]attrValue{}
	r.object(func(name string) {
		var v attrValue
		r.object(func(k string) {
			switch k {
			case "DataType":
				v.DataType = r.str()
			case "StringValue":
				v.StringValue = r.strPtr()
			case "BinaryValue":
				v.BinaryValue = r.bytes()
			case "StringListValues":
				v.StringListValues = r.strings()
			case "BinaryListValues":
				if r.null() {
					v.BinaryListValues = nil
					return
				}
				v.BinaryListValues = [][]byte{}
				r.array(func() { v.BinaryListValues = append(v.BinaryListValues, r.bytes()) })
			default:
				r.skip()
			}
		})
		m[name] = v
	})
	return m
}

// sendEntryField reads one field of a SendMessage request or batch entry.
func (r *jsonReader) sendEntryField(e *sendEntry, k string) {
	switch k {
	case "Id":
		e.Id = r.str()
	case "MessageBody":
		e.MessageBody = r.strPtr()
	case "DelaySeconds":
		e.DelaySeconds = r.int64Ptr()
	case "MessageAttributes":
		e.MessageAttributes = r.attrValues()
	case "MessageSystemAttributes":
		e.MessageSystemAttributes = r.attrValues()
	case "MessageDeduplicationId":
		e.MessageDeduplicationId = r.strPtr()
	case "MessageGroupId":
		e.MessageGroupId = r.strPtr()
	default:
		r.skip()
	}
}

// sendEntries reads SendMessageBatch's Entries.
func (r *jsonReader) sendEntries() []sendEntry {
	if r.null() {
		return nil
	}
	entries := make([]sendEntry, 0, maxBatchEntries)
	r.array(func() {
		var e sendEntry
		r.object(func(k string) { r.sendEntryField(&e, k) })
		entries = append(entries, e)
	})
	return entries
}
