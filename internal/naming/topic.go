package naming

import (
	"encoding/hex"
	"strings"
	"unicode/utf8"
)

// FIFOSuffix is the suffix AWS requires on the names of FIFO topics and queues.
const FIFOSuffix = ".fifo"

// keepInTopic reports whether EncodeTopic leaves the byte c as it is.
func keepInTopic(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == '-' || c == '*' || c == '#'
}

// EncodeTopic encodes a topic name for SNS the way tomodachi does: every
// character outside [A-Za-z0-9_*#-] is replaced, one character at a time, by
// "___" followed by the lowercase hex of its UTF-8 bytes and "_". The dot that
// begins a trailing ".fifo" is kept, as are the wildcard characters '*' and '#'.
// For example "test.topic.fifo" becomes "test___2e_topic.fifo" and "café"
// becomes "caf___c3a9_". Bytes that are not valid UTF-8 are encoded one byte at
// a time.
func EncodeTopic(s string) string {
	body, suffix := s, ""
	if strings.HasSuffix(s, FIFOSuffix) {
		body, suffix = s[:len(s)-len(FIFOSuffix)], FIFOSuffix
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(body); {
		c := body[i]
		if keepInTopic(c) {
			b.WriteByte(c)
			i++
			continue
		}
		_, size := utf8.DecodeRuneInString(body[i:])
		b.WriteString("___")
		b.WriteString(hex.EncodeToString([]byte(body[i : i+size])))
		b.WriteByte('_')
		i += size
	}
	b.WriteString(suffix)
	return b.String()
}

// DecodeTopic reverses EncodeTopic: every "___<hex>_" whose hex is 2, 4, 6 or 8
// lowercase hex digits forming valid UTF-8 is replaced by the decoded text.
// Sequences that do not decode are left as they are (tomodachi would raise).
func DecodeTopic(s string) string {
	if !strings.Contains(s, "___") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if decoded, n, ok := decodeEscape(s[i:]); ok {
			b.WriteString(decoded)
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// decodeEscape decodes an escape at the start of s, returning the text, the
// number of bytes consumed and whether s starts with a valid escape. Like
// tomodachi's regular expression it tries the shortest hex length first.
func decodeEscape(s string) (string, int, bool) {
	if !strings.HasPrefix(s, "___") {
		return "", 0, false
	}
	for _, digits := range [...]int{2, 4, 6, 8} {
		end := 3 + digits
		if len(s) <= end || s[end] != '_' || !isLowerHex(s[3:end]) {
			continue
		}
		raw, err := hex.DecodeString(s[3:end])
		if err != nil || !utf8.Valid(raw) {
			continue
		}
		return string(raw), end + 1, true
	}
	return "", 0, false
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// TopicName returns the SNS topic name tomodachi creates and publishes to for
// topic: EncodeTopic(prefix + topic), with ".fifo" appended first when fifo is
// true and the name does not already end in it. The prefix is encoded too.
func TopicName(prefix, topic string, fifo bool) string {
	name := prefix + topic
	if fifo && !strings.HasSuffix(name, FIFOSuffix) {
		name += FIFOSuffix
	}
	return EncodeTopic(name)
}

// StripPrefix removes prefix from the start of topic when topic begins with it
// and returns topic unchanged otherwise.
func StripPrefix(topic, prefix string) string {
	return strings.TrimPrefix(topic, prefix)
}

// TopicFromARN returns the topic a tomodachi handler sees for a message
// published to the SNS topic arn: the last ':'-separated segment of the ARN,
// decoded with DecodeTopic, with prefix removed when present. A ".fifo" suffix
// is kept, as tomodachi keeps it.
func TopicFromARN(arn, prefix string) string {
	name := arn[strings.LastIndexByte(arn, ':')+1:]
	return StripPrefix(DecodeTopic(name), prefix)
}

// IsWildcard reports whether topic is a subscription pattern: it contains '*'
// (any one dot-separated segment) or '#' (any run of characters).
func IsWildcard(topic string) bool {
	return strings.ContainsAny(topic, "*#")
}
