package stage

import (
	"context"
	"sync"

	"github.com/sqsflow/sqsflow/flow"
)

// Map returns a stream of fn's results for the items of in, with up to n calls
// of fn running at once (n >= 1). Results are passed on as soon as they are
// ready, so with n > 1 their order is not the input order; use [OrderedMap]
// or [KeyedMap] when it matters.
func Map[T, U any](in flow.Stream[T], n int, fn func(context.Context, T) (U, error)) flow.Stream[U] {
	st, src, out, send := attach[T, U](in, "map")
	n = workers(st, n)
	st.Go(func(ctx context.Context) error {
		defer close(send)
		parallel(n, func() {
			for m := range src {
				if r, ok := apply(ctx, st, m, fn); ok && !flow.Send(ctx, send, r) {
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

// attach creates the stage, takes its input and creates its output.
func attach[T, U any](in flow.Stream[T], kind string) (*flow.Stage, <-chan flow.Msg[T], flow.Stream[U], chan<- flow.Msg[U]) {
	st := in.Pipeline().Stage(kind)
	src := in.Take(st)
	out, send := flow.NewStream[U](st)
	return st, src, out, send
}

// workers validates a concurrency argument, recording a build error for a bad one.
func workers(st *flow.Stage, n int) int {
	if n < 1 {
		st.Pipeline().Errorf("stage: %s: concurrency %d: must be at least 1", st.Name(), n)
		return 1
	}
	return n
}

// apply runs fn on m's value and settles the result: ok reports whether the
// returned message should be passed on.
func apply[T, U any](ctx context.Context, st *flow.Stage, m flow.Msg[T], fn func(context.Context, T) (U, error)) (flow.Msg[U], bool) {
	u, err := flow.Call(ctx, fn, m.Value)
	if !flow.Settle(ctx, st, m, err) {
		return flow.Msg[U]{}, false
	}
	return flow.Derive(m, u), true
}

// parallel runs n copies of fn and waits for them to return.
func parallel(n int, fn func()) {
	if n == 1 {
		fn()
		return
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(fn)
	}
	wg.Wait()
}
