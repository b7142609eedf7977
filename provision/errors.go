package provision

import (
	"fmt"

	"github.com/sqsflow/sqsflow/internal/naming"
)

// InvalidNameError reports a topic or queue name that tomodachi or AWS would
// reject; a *SpecError wraps it.
type InvalidNameError = naming.InvalidNameError

// InvalidRefError reports a queue URL or ARN that cannot be parsed.
type InvalidRefError = naming.InvalidRefError

// SpecError reports an invalid field of a Spec or Topic, found before any AWS
// call is made.
type SpecError struct {
	Field  string // the field, e.g. "Queue.VisibilityTimeout"
	Detail string // what is wrong and what is allowed; may be empty when Err says it
	Err    error  // the underlying error, e.g. an *InvalidNameError; may be nil
}

// Error returns "provision: invalid <field>: <detail>: <err>".
func (e *SpecError) Error() string {
	msg := "provision: invalid " + e.Field
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *SpecError) Unwrap() error { return e.Err }

// FIFOMismatchError reports a queue or topic whose FIFO-ness differs from
// what the spec asks for: a FIFO handler given a standard queue, a ".fifo"
// name on a standard spec, or a dead-letter queue of the other kind.
type FIFOMismatchError struct {
	Resource string // "queue", "dead-letter queue" or "topic"
	Name     string
	IsFIFO   bool // what the resource is (by its name, or its attributes on AWS)
	WantFIFO bool // what the spec asks for (Queue.FIFO)
	ByName   bool // the mismatch was found in the name, before calling AWS
}

// Error names the resource, what it is, and what the spec asks for.
func (e *FIFOMismatchError) Error() string {
	kind := func(fifo bool) string {
		if fifo {
			return "FIFO"
		}
		return "standard"
	}
	how := "is a " + kind(e.IsFIFO) + " " + e.Resource + " on AWS"
	if e.ByName {
		if e.IsFIFO {
			how = `has a ".fifo" name, so it is a FIFO ` + e.Resource
		} else {
			how = `has no ".fifo" suffix, so it is a standard ` + e.Resource
		}
	}
	return fmt.Sprintf("provision: %s %q %s, but the spec asks for %s (Queue.FIFO is %t)",
		e.Resource, e.Name, how, kind(e.WantFIFO), e.WantFIFO)
}

// QueueNotFoundError reports a queue that must exist (given by ARN or URL, a
// dead-letter queue given by ARN, or any queue when looking up) but does not.
// It wraps the AWS error, so errors.As with *types.QueueDoesNotExist works too.
type QueueNotFoundError struct {
	Queue   string // the queue as given: name (prefixed), URL or ARN
	Account string // the owner account looked in, or "" for the caller's
	// Hint names a queue that does exist with ".fifo" toggled, or is empty.
	Hint string
	Err  error
}

// Error returns "provision: queue <queue> does not exist" with the hint.
func (e *QueueNotFoundError) Error() string {
	msg := fmt.Sprintf("provision: queue %q does not exist", e.Queue)
	if e.Account != "" {
		msg += " in account " + e.Account
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Unwrap returns the AWS error.
func (e *QueueNotFoundError) Unwrap() error { return e.Err }

// TopicNotFoundError reports a topic that EnsureTopic with LookupOnly could not
// find.
type TopicNotFoundError struct {
	Topic string // the SNS topic name
	ARN   string // the ARN looked up
	Err   error
}

// Error returns "provision: topic <name> does not exist (looked up as <arn>)".
func (e *TopicNotFoundError) Error() string {
	return fmt.Sprintf("provision: topic %q does not exist (looked up as %s)", e.Topic, e.ARN)
}

// Unwrap returns the AWS error.
func (e *TopicNotFoundError) Unwrap() error { return e.Err }
