package flowtest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/sqsflow/sqsflow/flow"
)

// Outcome is how a message from a [Source] completed.
type Outcome int32

// Outcomes of a message.
const (
	Pending Outcome = iota // not completed (yet): in flight, abandoned or never sent
	Acked                  // every reference finished without error
	Failed                 // some reference failed
)

func (o Outcome) String() string {
	switch o {
	case Pending:
		return "pending"
	case Acked:
		return "acked"
	case Failed:
		return "failed"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Source is an in-memory source of n generated items. It bounds the items in
// flight with a window, like a real source, and records each one's outcome.
type Source[T any] struct {
	out      flow.Stream[T]
	window   *flow.Window
	n        int
	outcomes outcomes
	sent     atomic.Int64
	acked    atomic.Int64
	failed   atomic.Int64
	twice    atomic.Int64

	mu     sync.Mutex
	errs   map[int]error
	hookMu sync.Mutex
	hook   func(i int, err error)
}

// Options configure a Source.
type Options struct {
	// Window bounds the items in flight (sent and not yet completed);
	// default 64.
	Window int
	// Meta, if set, makes the metadata of item i (ID defaults to i in decimal).
	Meta func(i int) *flow.Meta
}

// Generate returns a source of n items, item i being gen(i). The source ends
// its stream after the last item, or when the pipeline starts to drain.
func Generate[T any](p *flow.Pipeline, n int, gen func(i int) T, opts Options) *Source[T] {
	if opts.Window == 0 {
		opts.Window = 64
	}
	w, err := flow.NewWindow(opts.Window)
	if err != nil {
		p.Errorf("flowtest: %v", err)
		w, _ = flow.NewWindow(1)
	}
	s := &Source[T]{window: w, n: n, outcomes: newOutcomes(n), errs: map[int]error{}}
	st := p.Stage("flowtest-source")
	out, send := flow.NewStream[T](st)
	s.out = out
	st.Go(func(ctx context.Context) error {
		defer close(send)
		stop, cancel := p.SourceContext(ctx)
		defer cancel()
		for i := range n {
			if _, err := w.Acquire(stop, 1); err != nil {
				return nil
			}
			meta := &flow.Meta{ID: strconv.Itoa(i)}
			if opts.Meta != nil {
				meta = opts.Meta(i)
			}
			tok := flow.NewToken(func(err error) { s.complete(i, err) })
			s.sent.Add(1)
			if !flow.Send(stop, send, flow.NewMsg(gen(i), meta, tok)) {
				s.sent.Add(-1)
				w.Release(1)
				return nil
			}
		}
		return nil
	})
	return s
}

// Slice returns a source of the given items.
func Slice[T any](p *flow.Pipeline, items []T, opts Options) *Source[T] {
	return Generate(p, len(items), func(i int) T { return items[i] }, opts)
}

func (s *Source[T]) complete(i int, err error) {
	o := Acked
	if err != nil {
		o = Failed
		s.mu.Lock()
		s.errs[i] = err
		s.mu.Unlock()
	}
	if !s.outcomes.at(i).CompareAndSwap(int32(Pending), int32(o)) {
		s.twice.Add(1)
	} else if o == Acked {
		s.acked.Add(1)
	} else {
		s.failed.Add(1)
	}
	s.window.Release(1)
	s.hookMu.Lock()
	hook := s.hook
	s.hookMu.Unlock()
	if hook != nil {
		hook(i, err)
	}
}

// Stream returns the source's output. It can be consumed once.
func (s *Source[T]) Stream() flow.Stream[T] { return s.out }

// OnComplete sets a function called after each message completes, with the
// item's index and its failure (nil when acknowledged).
func (s *Source[T]) OnComplete(fn func(i int, err error)) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.hook = fn
}

// Window returns the source's in-flight window.
func (s *Source[T]) Window() *flow.Window { return s.window }

// Outcome returns how item i completed: Pending if it has not (or was never
// sent, or i is out of range).
func (s *Source[T]) Outcome(i int) Outcome {
	if i < 0 || i >= s.n {
		return Pending
	}
	chunk := s.outcomes.chunks[i/outcomeChunk].Load()
	if chunk == nil {
		return Pending
	}
	return Outcome(chunk[i%outcomeChunk].Load())
}

// outcomes records each item's outcome in chunks made as the source reaches
// them, so that an endless source (n = 1<<30) costs only what it sends.
type outcomes struct {
	chunks []atomic.Pointer[[outcomeChunk]atomic.Int32]
}

const outcomeChunk = 4096

func newOutcomes(n int) outcomes {
	return outcomes{chunks: make([]atomic.Pointer[[outcomeChunk]atomic.Int32], (n+outcomeChunk-1)/outcomeChunk)}
}

// at returns item i's cell, making its chunk if need be.
func (o *outcomes) at(i int) *atomic.Int32 {
	c := &o.chunks[i/outcomeChunk]
	chunk := c.Load()
	if chunk == nil {
		c.CompareAndSwap(nil, new([outcomeChunk]atomic.Int32))
		chunk = c.Load()
	}
	return &chunk[i%outcomeChunk]
}

// Err returns the failure item i completed with, or nil.
func (s *Source[T]) Err(i int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.errs[i]
}

// Counts returns how many items were sent, acknowledged and failed.
func (s *Source[T]) Counts() (sent, acked, failed int) {
	return int(s.sent.Load()), int(s.acked.Load()), int(s.failed.Load())
}

// CompletedTwice returns how many completions arrived for messages that had
// already completed. A correct pipeline keeps it at zero.
func (s *Source[T]) CompletedTwice() int { return int(s.twice.Load()) }

// Check returns an error describing any message that completed twice or,
// when all is true, any sent message that has not completed.
func (s *Source[T]) Check(all bool) error {
	if n := s.CompletedTwice(); n > 0 {
		return fmt.Errorf("flowtest: %d completions of already completed messages", n)
	}
	if !all {
		return nil
	}
	sent, acked, failed := s.Counts()
	if acked+failed != sent {
		return fmt.Errorf("flowtest: %d messages sent, %d acked, %d failed: %d never completed", sent, acked, failed, sent-acked-failed)
	}
	return nil
}
