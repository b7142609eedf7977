package provision

import "fmt"

// op is what a Setting asks for. The zero value is leave.
type op uint8

const (
	opLeave op = iota
	opRemove
	opSet
)

// Setting is a three-state AWS attribute: leave it as it is on AWS (the zero
// value, see Leave), remove or disable it (see Remove), or set it to a value
// (see Set). Each attribute documents what removing it means; for attributes
// that always have a value, such as a visibility timeout, it restores AWS's
// default.
//
// The three states read differently at the call site:
//
//	VisibilityTimeout: provision.Set(30 * time.Second),
//	KMSKey:            provision.Remove[string](),
//	DeadLetter:        provision.Leave[provision.DeadLetter](), // or omit the field
type Setting[T any] struct {
	op  op
	val T
}

// Leave returns a Setting that leaves the attribute as it is on AWS. It is the
// zero value, so omitting a field has the same effect.
func Leave[T any]() Setting[T] { return Setting[T]{} }

// Remove returns a Setting that removes or disables the attribute, or restores
// AWS's default for attributes that always have a value.
func Remove[T any]() Setting[T] { return Setting[T]{op: opRemove} }

// Set returns a Setting that sets the attribute to v.
func Set[T any](v T) Setting[T] { return Setting[T]{op: opSet, val: v} }

// IsLeave reports whether s leaves the attribute as it is.
func (s Setting[T]) IsLeave() bool { return s.op == opLeave }

// IsRemove reports whether s removes the attribute.
func (s Setting[T]) IsRemove() bool { return s.op == opRemove }

// IsSet reports whether s sets the attribute to a value.
func (s Setting[T]) IsSet() bool { return s.op == opSet }

// Value returns the value s sets and true, or the zero value and false when s
// leaves or removes the attribute.
func (s Setting[T]) Value() (T, bool) { return s.val, s.op == opSet }

// String returns "leave", "remove" or "set(<value>)".
func (s Setting[T]) String() string {
	switch s.op {
	case opRemove:
		return "remove"
	case opSet:
		return fmt.Sprintf("set(%v)", s.val)
	}
	return "leave"
}
