package flow_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/stage"
)

// quiet returns pipeline options that keep failure logs out of test output
// and collect the reported stage errors.
func quiet(errs *[]*flow.StageError, mu *sync.Mutex) []flow.Option {
	return []flow.Option{
		flow.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		flow.WithErrorHandler(func(e *flow.StageError) {
			mu.Lock()
			defer mu.Unlock()
			*errs = append(*errs, e)
		}),
	}
}

func TestRunFiniteSourceAcksEverything(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	src := flowtest.Generate(p, 1000, func(i int) int { return i }, flowtest.Options{})
	doubled := stage.Map(src.Stream(), 4, func(_ context.Context, v int) (int, error) { return 2 * v, nil })
	got := flowtest.Collect(doubled)

	is.NoErr(p.Run(context.Background()))
	sent, acked, failed := src.Counts()
	is.Equal(sent, 1000)
	is.Equal(acked, 1000)
	is.Equal(failed, 0)
	is.NoErr(src.Check(true))
	sum := 0
	for _, v := range got.Values() {
		sum += v
	}
	is.Equal(sum, 2*(999*1000/2))
}

func TestStageErrorFailsOnlyThatMessage(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var mu sync.Mutex
	var reported []*flow.StageError
	p := flow.New(quiet(&reported, &mu)...)
	src := flowtest.Generate(p, 100, func(i int) int { return i }, flowtest.Options{})
	bad := errors.New("odd value")
	out := stage.Map(src.Stream(), 3, func(_ context.Context, v int) (int, error) {
		switch {
		case v == 7:
			panic("seven")
		case v%10 == 3:
			return 0, bad
		case v%10 == 5:
			return 0, flow.Skip
		}
		return v, nil
	}).Named("check")
	got := flowtest.Collect(out)

	is.NoErr(p.Run(context.Background()))
	is.NoErr(src.Check(true))
	_, acked, failed := src.Counts()
	is.Equal(failed, 11) // 3, 13, ..., 93 and the panic at 7
	is.Equal(acked, 89)
	is.Equal(got.Len(), 79) // skipped ones are acked but not passed on
	is.True(errors.Is(src.Err(13), bad))
	var pe *flow.PanicError
	is.True(errors.As(src.Err(7), &pe))
	is.Equal(pe.Value, "seven")
	is.True(len(pe.Stack) > 0)
	is.Equal(src.Outcome(15), flowtest.Acked)

	mu.Lock()
	defer mu.Unlock()
	is.Equal(len(reported), 11)
	for _, e := range reported {
		is.Equal(e.Stage, "check")
		is.True(e.Meta != nil && e.Meta.ID != "")
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build func(p *flow.Pipeline)
		want  string
	}{
		{"unconsumed stream", func(p *flow.Pipeline) {
			src := flowtest.Generate(p, 1, func(i int) int { return i }, flowtest.Options{})
			stage.Map(src.Stream(), 1, func(_ context.Context, v int) (int, error) { return v, nil })
		}, "output of map#1 is not consumed"},
		{"stream consumed twice", func(p *flow.Pipeline) {
			src := flowtest.Generate(p, 1, func(i int) int { return i }, flowtest.Options{})
			flowtest.Collect(src.Stream())
			flowtest.Collect(src.Stream())
		}, "consumed twice"},
		{"zero concurrency", func(p *flow.Pipeline) {
			src := flowtest.Generate(p, 1, func(i int) int { return i }, flowtest.Options{})
			flowtest.Collect(stage.Map(src.Stream(), 0, func(_ context.Context, v int) (int, error) { return v, nil }))
		}, "concurrency 0: must be at least 1"},
		{"bad batch size", func(p *flow.Pipeline) {
			src := flowtest.Generate(p, 1, func(i int) int { return i }, flowtest.Options{})
			flowtest.Collect(stage.Batch(src.Stream(), 0, time.Second))
		}, "size 0: must be at least 1"},
		{"stream of another pipeline", func(p *flow.Pipeline) {
			other := flow.New()
			src := flowtest.Generate(other, 1, func(i int) int { return i }, flowtest.Options{})
			st := p.Stage("alien")
			src.Stream().Take(st)
		}, "stream of another pipeline"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			p := flow.New()
			tt.build(p)
			err := p.Run(context.Background())
			is.True(err != nil)
			is.True(strings.Contains(err.Error(), tt.want)) // error names the problem
		})
	}
}

func TestBadOptions(t *testing.T) {
	is := is.New(t)
	p := flow.New(flow.WithDrainTimeout(0), flow.WithBuffer(-1), flow.WithFlushTimeout(-time.Second))
	err := p.Run(context.Background())
	is.True(err != nil)
	for _, want := range []string{"WithDrainTimeout(0s)", "WithBuffer(-1)", "WithFlushTimeout(-1s)"} {
		is.True(strings.Contains(err.Error(), want))
	}
}

func TestRunTwice(t *testing.T) {
	is := is.New(t)
	p := flow.New()
	is.NoErr(p.Run(context.Background()))
	is.Equal(p.Run(context.Background()), flow.ErrAlreadyRun)
}

func TestStartHooksRunInOrderAndStopOnError(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	var order []string
	boom := errors.New("boom")
	p.OnStart("first", func(context.Context) error { order = append(order, "first"); return nil })
	p.OnStart("second", func(context.Context) error { order = append(order, "second"); return boom })
	p.OnStart("third", func(context.Context) error { order = append(order, "third"); return nil })
	src := flowtest.Generate(p, 10, func(i int) int { return i }, flowtest.Options{})
	flowtest.Collect(src.Stream())
	err := p.Run(context.Background())
	is.True(errors.Is(err, boom))
	is.True(strings.Contains(err.Error(), "second"))
	is.Equal(order, []string{"first", "second"})
	sent, _, _ := src.Counts()
	is.Equal(sent, 0) // nothing started
}

func TestFatalErrorStopsPipeline(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	// An endless source, and a sink that fails fatally on its tenth item.
	src := flowtest.Generate(p, 1<<30, func(i int) int { return i }, flowtest.Options{Window: 8})
	st := p.Stage("broken-sink")
	in := src.Stream().Take(st)
	broken := errors.New("credentials rejected")
	st.Go(func(ctx context.Context) error {
		n := 0
		for m := range in {
			if n++; n == 10 {
				return broken
			}
			m.Ack()
		}
		return nil
	})
	err := p.Run(context.Background())
	is.True(errors.Is(err, broken))
	is.True(strings.Contains(err.Error(), "broken-sink#1"))
	is.NoErr(src.Check(false))
}

// Whoever sees Draining closed can rely on every source context being
// cancelled already: no source takes a message after the drain is announced.
func TestSourceContextStopsBeforeDrainIsAnnounced(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	const sources = 8
	var ctxs []context.Context
	st := p.Stage("sources")
	for range sources {
		sctx, stop := p.SourceContext(context.Background())
		ctxs = append(ctxs, sctx)
		t.Cleanup(stop)
	}
	out, send := flow.NewStream[int](st)
	st.Go(func(ctx context.Context) error {
		defer close(send)
		<-p.Draining()
		for i, sctx := range ctxs {
			if sctx.Err() == nil {
				return fmt.Errorf("source context %d live after the drain was announced", i)
			}
		}
		// One asked for during the drain is born cancelled.
		late, stop := p.SourceContext(context.Background())
		defer stop()
		if late.Err() == nil {
			return errors.New("source context made during the drain is live")
		}
		return nil
	})
	flowtest.Collect(out)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-p.Started()
		cancel()
	}()
	is.NoErr(p.Run(ctx))
}

func TestBackgroundFlushesAfterStages(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	src := flowtest.Generate(p, 50, func(i int) int { return i }, flowtest.Options{})
	var acked atomic.Int32
	src.OnComplete(func(int, error) { acked.Add(1) })
	flowtest.Collect(src.Stream())
	var seenAtStop int32
	p.Background("flusher", func(ctx context.Context, stopped <-chan struct{}) error {
		<-stopped
		seenAtStop = acked.Load()
		return nil
	})
	is.NoErr(p.Run(context.Background()))
	is.Equal(seenAtStop, int32(50)) // every stage was done when stopped closed
}

// gate is a stage function that blocks each call until released, and tells
// when a call has started.
type gate struct {
	started chan int
	release chan struct{}
}

func newGate() *gate { return &gate{started: make(chan int, 1024), release: make(chan struct{})} }

func (g *gate) fn(ctx context.Context, v int) (int, error) {
	g.started <- v
	select {
	case <-g.release:
		return v, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// cancel is called with the pipeline running (or before Run when
		// early is set); it returns once the cancellation is done.
		early        bool
		drainTimeout time.Duration
		releaseAfter bool // release the gate after cancelling (the drain can finish)
		wantTimeout  bool
	}{
		{name: "before start", early: true},
		{name: "mid-stream, drain finishes", drainTimeout: time.Minute, releaseAfter: true},
		{name: "mid-stream, drain deadline passes", drainTimeout: 50 * time.Millisecond, wantTimeout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			var mu sync.Mutex
			var reported []*flow.StageError
			opts := quiet(&reported, &mu)
			if tt.drainTimeout > 0 {
				opts = append(opts, flow.WithDrainTimeout(tt.drainTimeout))
			}
			p := flow.New(opts...)
			src := flowtest.Generate(p, 1<<30, func(i int) int { return i }, flowtest.Options{Window: 16})
			g := newGate()
			got := flowtest.Collect(stage.Map(src.Stream(), 4, g.fn))

			ctx, cancel := context.WithCancel(context.Background())
			if tt.early {
				cancel()
				is.NoErr(p.Run(ctx))
				sent, _, _ := src.Counts()
				is.Equal(sent, 0)
				return
			}
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx) }()
			for range 4 { // all four workers busy
				<-g.started
			}
			cancel()
			<-p.Draining()
			if tt.releaseAfter {
				close(g.release)
			}
			err := <-done
			if tt.wantTimeout {
				is.True(errors.Is(err, flow.ErrDrainTimeout))
				// The four held calls were abandoned: neither acked nor failed.
				_, acked, failed := src.Counts()
				is.Equal(acked, 0)
				is.Equal(failed, 0)
				is.NoErr(src.Check(false))
				mu.Lock()
				is.Equal(len(reported), 0) // abandonment is not a failure
				mu.Unlock()
				return
			}
			is.NoErr(err)
			is.NoErr(src.Check(true)) // everything sent was finished
			sent, acked, _ := src.Counts()
			is.Equal(acked, sent)
			is.Equal(got.Len(), sent)
			// The source stopped before the drain was announced and the gate
			// opened, so the window's 16 bound what was taken.
			is.True(sent <= 16)
		})
	}
}

func TestCancelDuringStartHook(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	ctx, cancel := context.WithCancel(context.Background())
	p.OnStart("provision", func(ctx context.Context) error {
		cancel()
		<-ctx.Done()
		return fmt.Errorf("create queue: %w", ctx.Err())
	})
	src := flowtest.Generate(p, 10, func(i int) int { return i }, flowtest.Options{})
	flowtest.Collect(src.Stream())
	is.NoErr(p.Run(ctx)) // a cancelled start is not a failure
	sent, _, _ := src.Counts()
	is.Equal(sent, 0)
}

func TestStartedAfterHooks(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New()
	hookDone := false
	p.OnStart("provision", func(context.Context) error { hookDone = true; return nil })
	src := flowtest.Generate(p, 10, func(i int) int { return i }, flowtest.Options{})
	gate := make(chan struct{})
	flowtest.CollectFunc(src.Stream(), func(context.Context, int) error { <-gate; return nil })
	select {
	case <-p.Started():
		t.Fatal("started before Run")
	default:
	}
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	<-p.Started()
	is.True(hookDone) // hooks ran before
	close(gate)
	is.NoErr(<-errc)
}
