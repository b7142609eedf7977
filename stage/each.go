package stage

import (
	"context"
	"sync"

	"github.com/sqsflow/sqsflow/flow"
)

// Tap returns in unchanged, calling fn with each item on the way (for
// logging, metrics, progress). fn runs on the stage's goroutine, in order;
// a panic in it fails the item.
func Tap[T any](in flow.Stream[T], fn func(T)) flow.Stream[T] {
	st, src, out, send := attach[T, T](in, "tap")
	st.Go(func(ctx context.Context) error {
		defer close(send)
		call := func(_ context.Context, v T) (struct{}, error) { fn(v); return struct{}{}, nil }
		for m := range src {
			_, err := flow.Call(ctx, call, m.Value)
			if flow.Settle(ctx, st, m, err) && !flow.Send(ctx, send, m) {
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

// Each ends a pipeline: it calls fn with each item of in, up to n at once,
// and finishes the item with fn's result (nil: acknowledged; an error: failed;
// [flow.Skip]: acknowledged).
func Each[T any](in flow.Stream[T], n int, fn func(context.Context, T) error) {
	st := in.Pipeline().Stage("each")
	src := in.Take(st)
	n = workers(st, n)
	call := func(ctx context.Context, v T) (struct{}, error) { return struct{}{}, fn(ctx, v) }
	st.Go(func(ctx context.Context) error {
		parallel(n, func() {
			for m := range src {
				if _, ok := apply(ctx, st, m, call); ok {
					m.Ack()
				}
				if ctx.Err() != nil {
					return
				}
			}
		})
		return nil
	})
}

// Tee returns k streams that each carry every item of in (k >= 1). Each
// copy holds its own reference: the message is acknowledged when every copy
// is done, and failed if any copy fails. Copies share the value and the
// metadata, so neither may be modified downstream. A slow branch slows all.
func Tee[T any](in flow.Stream[T], k int) []flow.Stream[T] {
	st := in.Pipeline().Stage("tee")
	src := in.Take(st)
	if k < 1 {
		st.Pipeline().Errorf("stage: %s: %d branches: must be at least 1", st.Name(), k)
		k = 1
	}
	outs := make([]flow.Stream[T], k)
	sends := make([]chan<- flow.Msg[T], k)
	for i := range outs {
		outs[i], sends[i] = flow.NewStream[T](st)
	}
	st.Go(func(ctx context.Context) error {
		defer func() {
			for _, s := range sends {
				close(s)
			}
		}()
		for m := range src {
			m.Token().Add(k - 1)
			for _, s := range sends {
				if !flow.Send(ctx, s, m) {
					return nil
				}
			}
		}
		return nil
	})
	return outs
}

// Merge returns one stream carrying the items of first and rest, in the order
// they arrive. It ends when all of them have ended.
func Merge[T any](first flow.Stream[T], rest ...flow.Stream[T]) flow.Stream[T] {
	st := first.Pipeline().Stage("merge")
	out, send := flow.NewStream[T](st)
	srcs := []<-chan flow.Msg[T]{first.Take(st)}
	for _, in := range rest {
		srcs = append(srcs, in.Take(st))
	}
	st.Go(func(ctx context.Context) error {
		defer close(send)
		var wg sync.WaitGroup
		for _, src := range srcs {
			wg.Go(func() {
				for m := range src {
					if !flow.Send(ctx, send, m) {
						return
					}
				}
			})
		}
		wg.Wait()
		return nil
	})
	return out
}
