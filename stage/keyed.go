package stage

import (
	"context"
	"sync"

	"github.com/sqsflow/sqsflow/flow"
)

// KeyedMap is [Map] where items with the same key are processed one at a
// time, in input order, and passed on in that order, while items with
// different keys are processed in parallel, up to n at once. For FIFO queues
// use [ByGroup] as the key: it keeps each message group in order.
//
// Items wait in the stage while an earlier item with their key is processed;
// at most 4n+16 items wait, then the stage stops taking input until one
// finishes, so a hot key cannot make the stage hold everything.
func KeyedMap[T, U any](in flow.Stream[T], n int, key func(flow.Msg[T]) string, fn func(context.Context, T) (U, error)) flow.Stream[U] {
	st, src, out, send := attach[T, U](in, "keyed-map")
	n = workers(st, n)
	st.Go(func(ctx context.Context) error {
		defer close(send)
		k := &keyed[T, U]{
			ctx: ctx, st: st, fn: fn, key: key, send: send,
			active:     map[string][]flow.Msg[T]{},
			work:       make(chan keyedJob[T]),
			finished:   make(chan string, n),
			maxWaiting: 4*n + 16,
		}
		var wg sync.WaitGroup
		for range n {
			wg.Go(k.process)
		}
		k.dispatch(src)
		wg.Wait()
		return nil
	})
	return out
}

// ByGroup returns m's FIFO message group id: the key that keeps each group
// of a FIFO queue in order in [KeyedMap].
func ByGroup[T any](m flow.Msg[T]) string { return m.Meta.GroupID }

type keyedJob[T any] struct {
	key string
	m   flow.Msg[T]
}

type keyed[T, U any] struct {
	ctx  context.Context
	st   *flow.Stage
	fn   func(context.Context, T) (U, error)
	key  func(flow.Msg[T]) string
	send chan<- flow.Msg[U]

	// Owned by dispatch: keys being processed, each with the items waiting
	// behind the one in process.
	active     map[string][]flow.Msg[T]
	ready      []keyedJob[T] // jobs whose key is free, waiting for a worker
	waiting    int           // items held in active
	maxWaiting int

	work     chan keyedJob[T]
	finished chan string // keys whose item has been passed on
}

func (k *keyed[T, U]) dispatch(src <-chan flow.Msg[T]) {
	defer close(k.work)
	keyOf := func(_ context.Context, m flow.Msg[T]) (string, error) { return k.key(m), nil }
	for {
		in := src
		if in == nil || k.waiting >= k.maxWaiting {
			in = nil // stop taking input while too many items wait
		}
		var work chan keyedJob[T]
		var next keyedJob[T]
		if len(k.ready) > 0 {
			work, next = k.work, k.ready[0]
		}
		if src == nil && len(k.active) == 0 {
			return
		}
		select {
		case m, ok := <-in:
			if !ok {
				src = nil
				continue
			}
			key, err := flow.Call(k.ctx, keyOf, m)
			if err != nil {
				flow.Fail(k.st, m, err)
				continue
			}
			if queue, busy := k.active[key]; busy {
				k.active[key] = append(queue, m)
				k.waiting++
			} else {
				k.active[key] = nil
				k.ready = append(k.ready, keyedJob[T]{key, m})
			}
		case work <- next:
			k.ready[0] = keyedJob[T]{}
			k.ready = k.ready[1:]
		case key := <-k.finished:
			queue := k.active[key]
			if len(queue) == 0 {
				delete(k.active, key)
				continue
			}
			k.ready = append(k.ready, keyedJob[T]{key, queue[0]})
			queue[0] = flow.Msg[T]{}
			k.active[key] = queue[1:]
			k.waiting--
		case <-k.ctx.Done():
			return
		}
	}
}

func (k *keyed[T, U]) process() {
	for job := range k.work {
		if r, ok := apply(k.ctx, k.st, job.m, k.fn); ok && !flow.Send(k.ctx, k.send, r) {
			return
		}
		select {
		case k.finished <- job.key:
		case <-k.ctx.Done():
			return
		}
	}
}
