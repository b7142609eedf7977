package filter

import (
	"fmt"
	"strconv"
	"sync"
)

// Attribute is one SNS message attribute as the filter sees it.
//
// Type is the attribute's DataType: String, Number, Binary, String.Array, or
// a custom type such as "String.xyz" or "Number.xyz", which filter as their
// base type. Value is the attribute's string value; for String.Array it is
// the JSON array text, for example `["rugby", "tennis"]`.
type Attribute struct {
	Type  string
	Value string
}

// Scope says which part of a message a policy filters on; it is the
// subscription's FilterPolicyScope attribute.
type Scope int

const (
	// MessageAttributes filters on the message attributes; AWS's default.
	MessageAttributes Scope = iota
	// MessageBody filters on the message body, which must be a JSON object.
	MessageBody
)

// String returns the scope's name as the SNS API spells it.
func (s Scope) String() string {
	switch s {
	case MessageAttributes:
		return "MessageAttributes"
	case MessageBody:
		return "MessageBody"
	}
	return "Scope(" + strconv.Itoa(int(s)) + ")"
}

// ParseScope reads a FilterPolicyScope attribute value. The empty string
// is MessageAttributes, AWS's default; any value other than
// "MessageAttributes" and "MessageBody" is an *Error with AWS's text.
func ParseScope(s string) (Scope, error) {
	switch s {
	case "", "MessageAttributes":
		return MessageAttributes, nil
	case "MessageBody":
		return MessageBody, nil
	}
	return 0, &Error{Reason: fmt.Sprintf(
		"FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", s)}
}

// Policy is a parsed, validated subscription filter policy. It is
// immutable, and Match is safe for concurrent use.
type Policy struct {
	scope    Scope
	branches []branch

	// paths are the distinct keys the policy tests: attribute names, or
	// dotted body paths ("a.b.c" for {"a":{"b":{"c":[...]}}}).
	paths []string
	// bodyIndex maps every body path the policy names, and every dotted
	// prefix of one, to the index in paths of the leaf with that path, or
	// -1 if the path only leads to leaves (MessageBody scope).
	bodyIndex map[string]int32
	// uses lists, for each path, the branch leaves that test it, ordered by
	// branch.
	uses [][]use
}

// branch is one alternative of the policy after "$or" is expanded: all of
// its leaves must hold. A policy without "$or" has one branch.
type branch struct {
	leaves []*leaf
	// all has a bit set for every leaf (bit i for leaves[i]).
	all uint32
}

// use ties a path to a leaf of a branch that tests it.
type use struct {
	branch int
	bit    uint8
	leaf   *leaf
}

// Scope returns the scope the policy was parsed for.
func (p *Policy) Scope() Scope { return p.scope }

// Match reports whether a message passes the policy, as SNS decides whether
// to deliver it to the subscription.
//
// With MessageAttributes scope only attrs is read; with MessageBody scope
// only body is read, and a body that is not a JSON object never matches
// (SNS does not deliver such a message to a body-scoped subscription). The
// body is read once per call, the policy never re-parsed.
func (p *Policy) Match(attrs map[string]Attribute, body string) bool {
	if p.scope == MessageBody {
		return p.matchBody(body)
	}
	return p.matchAttributes(attrs)
}

// scratch is per-call working memory, pooled so that Match allocates
// little.
type scratch struct {
	sets    []uint32
	present []bool
	path    []byte
	attrs   []attrState
	vals    []value
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}
