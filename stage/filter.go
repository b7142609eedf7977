package stage

import (
	"context"

	"github.com/sqsflow/sqsflow/flow"
)

// Filter returns a stream of the items of in for which keep returns true.
// An item it drops is done: its message is acknowledged (unless another part
// of it fails). Order is preserved.
func Filter[T any](in flow.Stream[T], keep func(T) bool) flow.Stream[T] {
	st, src, out, send := attach[T, T](in, "filter")
	st.Go(func(ctx context.Context) error {
		defer close(send)
		test := func(_ context.Context, v T) (bool, error) { return keep(v), nil }
		for m := range src {
			ok, err := flow.Call(ctx, test, m.Value)
			switch {
			case !flow.Settle(ctx, st, m, err):
			case !ok:
				m.Ack()
			case !flow.Send(ctx, send, m):
				return nil
			}
			if ctx.Err() != nil {
				return nil
			}
		}
		return nil
	})
	return out
}

// FlatMap returns a stream of the items fn makes of each item of in, with up
// to n calls running at once. Each result carries a reference to the message
// it came from, which is acknowledged when all of them are done and failed if
// any of them fails; an empty result acknowledges it at once. With n > 1 the
// results of different items may interleave.
func FlatMap[T, U any](in flow.Stream[T], n int, fn func(context.Context, T) ([]U, error)) flow.Stream[U] {
	st, src, out, send := attach[T, U](in, "flat-map")
	n = workers(st, n)
	st.Go(func(ctx context.Context) error {
		defer close(send)
		parallel(n, func() {
			for m := range src {
				r, ok := apply(ctx, st, m, fn)
				if ok && !emitAll(ctx, send, r) {
					return
				}
				if ctx.Err() != nil {
					return
				}
			}
		})
		return nil
	})
	return out
}

// emitAll passes on one message per value of m, each with its own reference.
func emitAll[U any](ctx context.Context, send chan<- flow.Msg[U], m flow.Msg[[]U]) bool {
	if len(m.Value) == 0 {
		m.Ack()
		return true
	}
	m.Token().Add(len(m.Value) - 1)
	for _, u := range m.Value {
		if !flow.Send(ctx, send, flow.Derive(m, u)) {
			return false
		}
	}
	return true
}
