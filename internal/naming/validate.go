package naming

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Length limits AWS and tomodachi place on names.
const (
	// MaxTopicLength is the longest topic tomodachi accepts, in characters, and
	// the longest SNS topic name AWS accepts (including ".fifo").
	MaxTopicLength = 256
	// MaxQueueNameLength is the longest SQS queue name AWS accepts, in
	// characters, including ".fifo".
	MaxQueueNameLength = 80
)

// Problem says what is wrong with a name.
type Problem int

// The problems an InvalidNameError can report.
const (
	// Empty: the name is the empty string (or only ".fifo").
	Empty Problem = iota + 1
	// TooLong: the name is longer than the limit.
	TooLong
	// InvalidCharacter: the name contains a character that is not allowed.
	InvalidCharacter
)

// InvalidNameError reports a topic or queue name that tomodachi or AWS would
// reject. Use errors.As to inspect it.
type InvalidNameError struct {
	Kind    string  // "topic", "topic pattern" or "queue"
	Name    string  // the name as given
	Problem Problem // what is wrong
	// Detail explains the problem, for example "is 81 characters long; at most
	// 80 are allowed" or `contains '.' at byte 5; only A-Z, a-z, 0-9, '_' and '-'
	// are allowed (plus a ".fifo" suffix)`.
	Detail string
}

// Error returns "invalid <kind> name <name>: <detail>".
func (e *InvalidNameError) Error() string {
	return fmt.Sprintf("invalid %s name %q: %s", e.Kind, e.Name, e.Detail)
}

func isNameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// validateName checks the rules shared by topics and queues: non-empty, at most
// max characters, and only [A-Za-z0-9_-] once an exact ".fifo" suffix is removed.
func validateName(kind, name string, max int) error {
	body := strings.TrimSuffix(name, FIFOSuffix)
	if body == "" {
		return &InvalidNameError{Kind: kind, Name: name, Problem: Empty, Detail: "is empty"}
	}
	if n := utf8.RuneCountInString(name); n > max {
		return &InvalidNameError{Kind: kind, Name: name, Problem: TooLong,
			Detail: fmt.Sprintf("is %d characters long; at most %d are allowed", n, max)}
	}
	for i := 0; i < len(body); i++ {
		if !isNameChar(body[i]) {
			r, _ := utf8.DecodeRuneInString(body[i:])
			return &InvalidNameError{Kind: kind, Name: name, Problem: InvalidCharacter,
				Detail: fmt.Sprintf("contains %q at byte %d; only A-Z, a-z, 0-9, '_' and '-' are allowed (plus a %q suffix)", r, i, FIFOSuffix)}
		}
	}
	return nil
}

// ValidateTopic checks a topic as the user writes it (before prefix and
// encoding) against tomodachi's rules: non-empty, at most MaxTopicLength
// characters, and, once an exact ".fifo" suffix is removed, only the characters
// A-Z, a-z, 0-9, '_' and '-'. Current tomodachi versions refuse to publish or
// subscribe to other topics, so a Go service that accepted them could not talk
// to a Python one. Wildcard patterns are checked with ValidateTopicPattern.
func ValidateTopic(topic string) error {
	return validateName("topic", topic, MaxTopicLength)
}

// ValidateTopicPattern checks a wildcard subscription pattern (see IsWildcard):
// non-empty, valid UTF-8, and at most MaxTopicLength characters once encoded.
// Like tomodachi it allows any other character, since patterns are matched
// against encoded names of existing topics, which may include characters that
// older publishers encoded.
func ValidateTopicPattern(pattern string) error {
	const kind = "topic pattern"
	switch {
	case pattern == "":
		return &InvalidNameError{Kind: kind, Name: pattern, Problem: Empty, Detail: "is empty"}
	case !utf8.ValidString(pattern):
		return &InvalidNameError{Kind: kind, Name: pattern, Problem: InvalidCharacter, Detail: "is not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(EncodeTopic(pattern)); n > MaxTopicLength {
		return &InvalidNameError{Kind: kind, Name: pattern, Problem: TooLong,
			Detail: fmt.Sprintf("is %d characters long once encoded; at most %d are allowed", n, MaxTopicLength)}
	}
	return nil
}

// ValidateQueueName checks a full SQS queue name (prefix included): non-empty,
// at most MaxQueueNameLength characters, and, once an exact ".fifo" suffix is
// removed, only the characters A-Z, a-z, 0-9, '_' and '-'.
func ValidateQueueName(name string) error {
	return validateName("queue", name, MaxQueueNameLength)
}
