package stage

import (
	"context"
	"sync"

	"github.com/sqsflow/sqsflow/flow"
)

// OrderedMap is [Map] with the results passed on in input order. Up to n
// calls run at once; a slow item holds back the results behind it (but not
// the calls), and at most 2n items are held by the stage.
func OrderedMap[T, U any](in flow.Stream[T], n int, fn func(context.Context, T) (U, error)) flow.Stream[U] {
	st, src, out, send := attach[T, U](in, "ordered-map")
	n = workers(st, n)
	st.Go(func(ctx context.Context) error {
		defer close(send)
		runOrdered(ctx, st, n, src, send, fn)
		return nil
	})
	return out
}

// slot holds one item from dispatch to emission; slots are reused in a ring,
// so the stage allocates nothing per item.
type slot[T, U any] struct {
	in   flow.Msg[T]
	out  flow.Msg[U]
	pass bool
	done chan struct{} // signalled (capacity 1) when out and pass are set
}

// runOrdered dispatches items to n workers through a ring of 2n slots and
// emits results in the order the slots were filled. Twice the workers keeps
// every worker busy while the head of the line finishes.
func runOrdered[T, U any](ctx context.Context, st *flow.Stage, n int, src <-chan flow.Msg[T], send chan<- flow.Msg[U], fn func(context.Context, T) (U, error)) {
	size := 2 * n
	slots := make([]slot[T, U], size)
	free := make(chan int, size)  // slots ready for a new item
	work := make(chan int, size)  // slots for a worker to process
	order := make(chan int, size) // slots in input order, for the emitter
	for i := range slots {
		slots[i].done = make(chan struct{}, 1)
		free <- i
	}

	// dispatch: take items in order and hand them to workers.
	dispatch := func() {
		defer close(work)
		defer close(order)
		for m := range src {
			var i int
			select {
			case i = <-free:
			case <-ctx.Done():
				return
			}
			slots[i].in = m
			work <- i
			order <- i
		}
	}
	process := func() {
		for i := range work {
			s := &slots[i]
			s.out, s.pass = apply(ctx, st, s.in, fn)
			s.in = flow.Msg[T]{}
			s.done <- struct{}{}
		}
	}
	emit := func() {
		for i := range order {
			s := &slots[i]
			select {
			case <-s.done:
			case <-ctx.Done():
				return
			}
			if s.pass && !flow.Send(ctx, send, s.out) {
				return
			}
			s.out = flow.Msg[U]{}
			free <- i
		}
	}
	var wg sync.WaitGroup
	wg.Go(dispatch)
	wg.Go(emit)
	for range n {
		wg.Go(process)
	}
	wg.Wait()
}
