package exampleenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sqsflow/sqsflow/flow"
)

// Run runs the pipelines together and returns when all of them have
// returned. Once every one of them has started (provisioned its topics,
// queues and subscriptions), it calls then, if not nil, in the calling
// goroutine: that is where an example publishes, knowing that no message can
// be published before its subscription exists (SNS drops messages published
// to a topic without subscribers). A pipeline that fails stops the others;
// so does an error from then, which Run returns.
func Run(ctx context.Context, then func(ctx context.Context) error, ps ...*flow.Pipeline) error {
	started := make([]<-chan struct{}, len(ps))
	for i, p := range ps {
		started[i] = whenStarted(p)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range ps {
		g.Go(func() error { return p.Run(gctx) })
	}
	if then != nil && wait(gctx, started...) == nil {
		if err := then(gctx); err != nil {
			cancel()
			return errors.Join(err, g.Wait())
		}
	}
	return g.Wait()
}

// whenStarted returns a channel closed when p has run the start hooks
// registered so far, those of its sources and sinks, and is about to start
// its stages.
func whenStarted(p *flow.Pipeline) <-chan struct{} {
	ch := make(chan struct{})
	p.OnStart("started", func(context.Context) error {
		close(ch)
		return nil
	})
	return ch
}

// wait waits until every channel in chs is closed, or ctx is done.
func wait(ctx context.Context, chs ...<-chan struct{}) error {
	for _, ch := range chs {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Every calls fn every interval, on a goroutine of its own, until the
// returned stop is called; stop returns once fn is no longer running.
func Every(interval time.Duration, fn func()) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fn()
			case <-quit:
				return
			}
		}
	})
	return func() {
		close(quit)
		wg.Wait()
	}
}

// A Countdown calls its function once it has been counted down to zero: the
// examples know how many messages they expect, and cancel their pipelines
// when the last one has been handled. It is safe for concurrent use.
type Countdown struct {
	left atomic.Int64
	done func()
}

// NewCountdown returns a Countdown from n that calls done when it reaches 0.
func NewCountdown(n int, done func()) *Countdown {
	c := &Countdown{done: done}
	c.left.Store(int64(n))
	if n <= 0 {
		done()
	}
	return c
}

// Count counts one down; the count that reaches zero calls done.
func (c *Countdown) Count() {
	if c.left.Add(-1) == 0 {
		c.done()
	}
}

// Left returns how many are still to come.
func (c *Countdown) Left() int { return int(max(c.left.Load(), 0)) }

// Printer writes lines to an io.Writer from several goroutines at once
// without interleaving them.
type Printer struct {
	mu  sync.Mutex
	out io.Writer
}

// NewPrinter returns a Printer writing to out.
func NewPrinter(out io.Writer) *Printer { return &Printer{out: out} }

// Printf writes one formatted line (a newline is added).
func (p *Printer) Printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}
