package flow

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Skip is returned by a stage function to drop the item as done: the message
// is acknowledged (if no other reference fails) and nothing is passed on.
// It is not an error and is never reported.
var Skip = errors.New("flow: skip")

// ErrDrainTimeout is wrapped by the error [Pipeline.Run] returns when the drain
// deadline passed before every message in flight was finished. Unfinished
// messages were left unacknowledged and will be redelivered by their source.
var ErrDrainTimeout = errors.New("flow: drain deadline exceeded")

// ErrAlreadyRun is returned by [Pipeline.Run] when the pipeline has run before.
// A pipeline runs once; build a new one to run again.
var ErrAlreadyRun = errors.New("flow: pipeline already run")

// PermanentError marks a failure that retrying cannot fix, such as a message
// that cannot be decoded. Sources send permanently failed messages down their
// poison path (dead-letter now, or discard) instead of retrying them.
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so that [IsPermanent] reports true for it.
// Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil || IsPermanent(err) {
		return err
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or any error it wraps, was marked with
// [Permanent].
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// PanicError is the failure recorded for a message when a stage function
// panics. The panic is recovered; the message is failed (and so retried) and
// the pipeline keeps running.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the panicking goroutine
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

func newPanicError(v any) *PanicError {
	return &PanicError{Value: v, Stack: debug.Stack()}
}

// StageError describes one failed message: which stage failed it, the
// message's metadata, and why. It is what the handler set with
// [WithErrorHandler] receives.
type StageError struct {
	Stage string
	Meta  *Meta
	Err   error
}

func (e *StageError) Error() string {
	if e.Meta != nil && e.Meta.ID != "" {
		return fmt.Sprintf("stage %s: message %s: %v", e.Stage, e.Meta.ID, e.Err)
	}
	return fmt.Sprintf("stage %s: %v", e.Stage, e.Err)
}

// Unwrap returns the failure.
func (e *StageError) Unwrap() error { return e.Err }

var errNilFailure = errors.New("flow: message failed without an error")
