package sink

import (
	"context"

	"github.com/sqsflow/sqsflow/flow"
)

// Ack ends a pipeline: every value that arrives is done, and its message is
// acknowledged (deleted from its queue once all its parts are done).
func Ack[T any](in flow.Stream[T]) {
	st := in.Pipeline().Stage("ack")
	src := in.Take(st)
	st.Go(func(context.Context) error {
		for m := range src {
			m.Ack()
		}
		return nil
	})
}

// Discard ends a pipeline whose values are of no further use: they are
// dropped and their messages acknowledged, as by Ack. Use it where the
// intent is to throw values away, so the pipeline says so.
func Discard[T any](in flow.Stream[T]) {
	st := in.Pipeline().Stage("discard")
	src := in.Take(st)
	st.Go(func(context.Context) error {
		for m := range src {
			m.Ack()
		}
		return nil
	})
}
