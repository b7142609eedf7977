package flowtest

import (
	"context"
	"sync"

	"github.com/sqsflow/sqsflow/flow"
)

// Collector is a sink that keeps what it receives, in arrival order, and
// acknowledges each item (or calls a function to decide).
type Collector[T any] struct {
	mu     sync.Mutex
	values []T
	metas  []*flow.Meta
}

// Collect ends in with a collector that acknowledges every item.
func Collect[T any](in flow.Stream[T]) *Collector[T] {
	return CollectFunc(in, nil)
}

// CollectFunc ends in with a collector that finishes each item with fn's
// result (nil fn: acknowledge). Only acknowledged items are kept.
func CollectFunc[T any](in flow.Stream[T], fn func(ctx context.Context, v T) error) *Collector[T] {
	c := &Collector[T]{}
	st := in.Pipeline().Stage("flowtest-collect")
	src := in.Take(st)
	st.Go(func(ctx context.Context) error {
		for m := range src {
			var err error
			if fn != nil {
				err = fn(ctx, m.Value)
			}
			if err != nil {
				flow.Fail(st, m, err)
				continue
			}
			c.mu.Lock()
			c.values = append(c.values, m.Value)
			c.metas = append(c.metas, m.Meta)
			c.mu.Unlock()
			m.Ack()
		}
		return nil
	})
	return c
}

// Values returns a copy of the values kept so far.
func (c *Collector[T]) Values() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]T(nil), c.values...)
}

// Metas returns the metadata of the values kept so far.
func (c *Collector[T]) Metas() []*flow.Meta {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*flow.Meta(nil), c.metas...)
}

// Len returns how many values have been kept.
func (c *Collector[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.values)
}
