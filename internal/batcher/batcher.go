package batcher

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Options configure a Batcher.
type Options struct {
	// Size is the largest batch (1-10 for AWS; default 10).
	Size int
	// Linger is how long the first entry of a batch may wait for the batch to
	// fill. With 0 a batch goes as soon as the entries already waiting are in
	// it: batches then fill only while every flush slot is busy.
	Linger time.Duration
	// MaxInFlight is how many flushes may run at once (default 4).
	MaxInFlight int
	// MaxWeight, when positive, bounds the total weight of a batch (AWS
	// limits a batch's payload to 256 KiB); Weight gives an entry's weight.
	// An entry heavier than MaxWeight goes in a batch of its own.
	MaxWeight int
}

func (o *Options) setDefaults() error {
	if o.Size == 0 {
		o.Size = 10
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 4
	}
	switch {
	case o.Size < 1:
		return fmt.Errorf("batch size %d: must be at least 1", o.Size)
	case o.Linger < 0:
		return fmt.Errorf("linger %v: must not be negative", o.Linger)
	case o.MaxInFlight < 1:
		return fmt.Errorf("flushes in flight %d: must be at least 1", o.MaxInFlight)
	}
	return nil
}

// A Batcher collects entries of type E and calls flush with batches of them.
// Add may be called from any goroutine; Run must be running for Add to make
// progress.
type Batcher[E any] struct {
	opts   Options
	flush  func(ctx context.Context, batch []E)
	weight func(E) int
	in     chan E

	mu     sync.RWMutex // held for reading by Add while it sends, for writing by Close
	closed bool
}

// New returns a batcher that calls flush with each batch, from its own
// goroutines (up to MaxInFlight at once). flush owns its batch and must
// handle its own errors and retries.
func New[E any](opts Options, flush func(ctx context.Context, batch []E)) (*Batcher[E], error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	return &Batcher[E]{opts: opts, flush: flush, in: make(chan E, opts.Size)}, nil
}

// Weigh sets the function that gives an entry's weight, for MaxWeight. It
// must be called before Run.
func (b *Batcher[E]) Weigh(weight func(E) int) { b.weight = weight }

// Add queues e for a batch. It blocks while the batcher is at capacity. It
// returns false, without queueing e, if the batcher has been closed.
func (b *Batcher[E]) Add(e E) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return false
	}
	b.in <- e
	return true
}

// Close stops the batcher from accepting entries; Run flushes what it holds
// and returns. Close may be called more than once.
func (b *Batcher[E]) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		close(b.in)
	}
}

// Run collects entries and flushes batches until Close has been called and
// every flush has returned. ctx is passed to flush.
func (b *Batcher[E]) Run(ctx context.Context) {
	slots := make(chan struct{}, b.opts.MaxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	launch := func(batch []E) { // a slot has been taken for it
		wg.Go(func() {
			defer func() { <-slots }()
			b.flush(ctx, batch)
		})
	}

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var (
		batch    []E
		weight   int
		lingered bool // the batch's linger is over: it goes when a slot is free
		closed   bool
		carry    *E // an entry too heavy to join the batch, first in the next
	)
	add := func(e E, w int) {
		if len(batch) == 0 {
			batch = make([]E, 0, b.opts.Size)
			if b.opts.Linger > 0 {
				timer.Reset(b.opts.Linger)
			}
		}
		batch = append(batch, e)
		weight += w
	}
	for {
		if closed && len(batch) == 0 {
			return
		}
		full := carry != nil || len(batch) == b.opts.Size || (b.opts.MaxWeight > 0 && weight >= b.opts.MaxWeight)
		// The batch is due when full, when its linger is over, with no
		// linger when nothing more is waiting, or at the end. Until a
		// flush slot is free it keeps taking entries, unless it is full.
		due := full || lingered || closed || (b.opts.Linger == 0 && len(b.in) == 0)
		var in <-chan E
		if !full && !closed {
			in = b.in
		}
		var slot chan<- struct{}
		if due && len(batch) > 0 {
			slot = slots
		}
		select {
		case e, ok := <-in:
			if !ok {
				closed = true
				continue
			}
			w := b.weigh(e)
			if b.opts.MaxWeight > 0 && len(batch) > 0 && weight+w > b.opts.MaxWeight {
				carry = &e
				continue
			}
			add(e, w)
		case slot <- struct{}{}:
			timer.Stop()
			launch(batch)
			batch, weight, lingered = nil, 0, false
			if carry != nil {
				add(*carry, b.weigh(*carry))
				carry = nil
			}
		case <-timer.C:
			lingered = true
		}
	}
}

// weigh returns e's weight, or 0 when batches are not weighed.
func (b *Batcher[E]) weigh(e E) int {
	if b.opts.MaxWeight > 0 && b.weight != nil {
		return b.weight(e)
	}
	return 0
}
