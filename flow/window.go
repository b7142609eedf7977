package flow

import (
	"context"
	"fmt"
	"sync"
)

// A Window bounds the number of messages a source has in flight: received
// but not yet acknowledged or failed. A source acquires a slot before it takes
// a message and releases it when the message's token completes, so a slow
// stage stalls the source and memory does not grow with the backlog.
//
// A Window is safe for concurrent use.
type Window struct {
	mu   sync.Mutex
	size int
	used int
	peak int
	// freed is closed and replaced when slots are released while someone
	// waits (waiting > 0), so releases without waiters allocate nothing.
	freed   chan struct{}
	waiting int
}

// NewWindow returns a window of n slots. n must be positive.
func NewWindow(n int) (*Window, error) {
	if n < 1 {
		return nil, fmt.Errorf("flow: window size %d: must be at least 1", n)
	}
	return &Window{size: n, freed: make(chan struct{})}, nil
}

// Acquire waits until at least one slot is free, then takes as many free
// slots as it can, up to limit, and returns how many it took. It returns ctx's
// error if ctx is done first; a done ctx takes nothing, even from a window
// with free slots.
func (w *Window) Acquire(ctx context.Context, limit int) (int, error) {
	return w.AcquireBetween(ctx, 1, limit)
}

// AcquireBetween is Acquire that waits until at least least slots are free
// (or the window's size, if smaller), so that a source fetches in worthwhile
// batches instead of one message at a time as slots trickle back.
func (w *Window) AcquireBetween(ctx context.Context, least, limit int) (int, error) {
	if least < 1 || limit < least {
		return 0, fmt.Errorf("flow: acquire %d to %d slots: need 1 <= least <= limit", least, limit)
	}
	least = min(least, w.size)
	select {
	case <-ctx.Done(): // a stopped caller takes nothing, even if slots are free
		return 0, ctx.Err()
	default:
	}
	for {
		w.mu.Lock()
		if free := w.size - w.used; free >= least {
			n := min(free, limit)
			w.used += n
			w.peak = max(w.peak, w.used)
			w.mu.Unlock()
			return n, nil
		}
		freed := w.freed
		w.waiting++
		w.mu.Unlock()
		var err error
		select {
		case <-freed:
		case <-ctx.Done():
			err = ctx.Err()
		}
		w.mu.Lock()
		w.waiting--
		w.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
}

// Release returns n slots. Releasing more than are in use frees them all.
func (w *Window) Release(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.used = max(w.used-n, 0)
	if w.waiting > 0 {
		close(w.freed)
		w.freed = make(chan struct{})
	}
}

// InFlight returns the number of slots in use.
func (w *Window) InFlight() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.used
}

// Peak returns the largest number of slots that were ever in use at once.
func (w *Window) Peak() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peak
}

// Size returns the number of slots.
func (w *Window) Size() int { return w.size }
