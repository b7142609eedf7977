package flow

import "context"

// Transform returns a stream of fn's results for each message of in, computed
// one at a time on one goroutine, so order is preserved. fn receives the
// message itself and may update its Meta (it is the only holder at that
// point). What fn returns is handled as by [Settle]: an error fails the
// message and is reported under the stage's name (kind#N, or as set with
// Named), [Skip] drops it as done, and a panic is recovered as a failure.
//
// Transform is the building block for stages that need a message's metadata,
// such as decoders; package stage has the everyday stages.
func Transform[T, U any](in Stream[T], kind string, fn func(ctx context.Context, m *Msg[T]) (U, error)) Stream[U] {
	st := in.Pipeline().Stage(kind)
	src := in.Take(st)
	out, send := NewStream[U](st)
	st.Go(func(ctx context.Context) error {
		defer close(send)
		call := func(ctx context.Context, m *Msg[T]) (U, error) { return fn(ctx, m) }
		for m := range src {
			u, err := Call(ctx, call, &m)
			if !Settle(ctx, st, m, err) {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				continue
			}
			if !Send(ctx, send, Derive(m, u)) {
				return ctx.Err()
			}
		}
		return nil
	})
	return out
}
