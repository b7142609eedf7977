package flow

import (
	"context"
	"errors"
)

// A Stage is the handle through which a stage constructor runs goroutines in
// a pipeline and reports failed messages under the stage's name. Get one with
// [Pipeline.Stage]; users only meet it through [Stream.Named].
type Stage struct {
	p    *Pipeline
	name string
}

// Name returns the stage's name, as used in logs and [StageError].
func (s *Stage) Name() string { return s.name }

// Pipeline returns the pipeline the stage belongs to.
func (s *Stage) Pipeline() *Pipeline { return s.p }

// Go registers fn to run as one of the stage's goroutines when the pipeline
// runs. ctx is cancelled at the drain deadline or when the pipeline fails;
// fn must then return promptly. A non-nil error other than ctx's is fatal: it
// stops the pipeline and Run returns it.
func (s *Stage) Go(fn func(ctx context.Context) error) {
	s.p.addTask(task{name: s.name, fn: fn})
}

// Report logs a failed message and passes it to the pipeline's error handler.
// It does not complete the message; see [Fail].
func (s *Stage) Report(meta *Meta, err error) {
	se := &StageError{Stage: s.name, Meta: meta, Err: err}
	var id string
	if meta != nil {
		id = meta.ID
	}
	s.p.opts.logger.Warn("sqsflow: message failed", "stage", s.name, "id", id, "permanent", IsPermanent(err), "err", err)
	if s.p.opts.onError != nil {
		s.p.opts.onError(se)
	}
}

// Fail reports err for m at stage s and releases m's reference as failed.
func Fail[T any](s *Stage, m Msg[T], err error) {
	s.Report(m.Meta, err)
	m.Fail(err)
}

// Settle finishes the stage function's part in handling m, given the error it
// returned, and reports whether the result should be passed on:
//   - nil: pass it on (true);
//   - [Skip]: m is acknowledged and dropped (false);
//   - after ctx was cancelled (the drain deadline passed): m is abandoned,
//     neither acknowledged nor failed, so its source redelivers it (false);
//   - any other error fails m and reports it (false).
func Settle[T any](ctx context.Context, s *Stage, m Msg[T], err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, Skip):
		m.Ack()
	case ctx.Err() != nil:
		// Abandoned: unfinished at the deadline.
	default:
		Fail(s, m, err)
	}
	return false
}

// Call calls fn(ctx, v), turning a panic into a [*PanicError].
func Call[T, U any](ctx context.Context, fn func(context.Context, T) (U, error), v T) (u U, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = newPanicError(r)
		}
	}()
	return fn(ctx, v)
}

// Send sends m on ch unless ctx is cancelled first; it reports whether m was
// sent. A message that could not be sent is abandoned, not completed.
func Send[T any](ctx context.Context, ch chan<- Msg[T], m Msg[T]) bool {
	select {
	case ch <- m:
		return true
	case <-ctx.Done():
		return false
	}
}
