package stage_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/stage"
)

// behaviour picks, deterministically from the seed, stage and value, what a
// stage function does with a value: 0-4 fail, 5-7 skip, 8 panic, 9-11 hang
// until the work context ends (only once the test has cancelled the run, so
// a hang can only end at the drain deadline), anything else pass.
func behaviour(seed uint64, stageNo, v int) int {
	h := fnv.New64a()
	fmt.Fprint(h, seed, stageNo, v)
	return int(h.Sum64() % 100)
}

type stressRun struct {
	seed      uint64
	cancelled atomic.Bool
}

func (r *stressRun) fn(stageNo int) func(context.Context, int) (int, error) {
	return func(ctx context.Context, v int) (int, error) {
		switch b := behaviour(r.seed, stageNo, v); {
		case b < 5:
			return 0, errors.New("injected failure")
		case b < 8:
			return 0, flow.Skip
		case b < 9:
			panic("injected panic")
		case b < 12 && r.cancelled.Load():
			<-ctx.Done()
			return 0, ctx.Err()
		case b%3 == 0:
			runtime.Gosched()
		}
		return v, nil
	}
}

// TestStressRandomPipelines builds random chains of stages with random
// concurrency, failures, skips, panics and hangs, cancels them at random
// moments (or not at all), and checks that Run always returns, that no
// message completes twice, and that a clean return means every message that
// was taken was finished.
func TestStressRandomPipelines(t *testing.T) {
	t.Parallel()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	runs := 60
	if testing.Short() {
		runs = 15
	}
	outcomes := map[string]int{}
	defer func() { t.Logf("outcomes: %v", outcomes) }()
	for run := range runs {
		r := &stressRun{seed: seed + uint64(run)}
		n := 1 + rng.IntN(3000)
		p := flow.New(
			flow.WithLogger(discard),
			flow.WithDrainTimeout(time.Duration(5+rng.IntN(50))*time.Millisecond),
			flow.WithBuffer(rng.IntN(4)),
		)
		src := flowtest.Generate(p, n, func(i int) int { return i }, flowtest.Options{
			Window: 1 + rng.IntN(64),
			Meta:   func(i int) *flow.Meta { return &flow.Meta{ID: fmt.Sprint(i), GroupID: fmt.Sprint(i % 7)} },
		})
		s := src.Stream()
		var shape []string
		for stageNo := range 1 + rng.IntN(5) {
			c := 1 + rng.IntN(6)
			switch rng.IntN(7) {
			case 0:
				s = stage.Map(s, c, r.fn(stageNo))
				shape = append(shape, fmt.Sprintf("map(%d)", c))
			case 1:
				s = stage.OrderedMap(s, c, r.fn(stageNo))
				shape = append(shape, fmt.Sprintf("ordered(%d)", c))
			case 2:
				s = stage.KeyedMap(s, c, stage.ByGroup[int], r.fn(stageNo))
				shape = append(shape, fmt.Sprintf("keyed(%d)", c))
			case 3:
				s = stage.Filter(s, func(v int) bool { return behaviour(r.seed, stageNo, v)%4 != 0 })
				shape = append(shape, "filter")
			case 4:
				fn := r.fn(stageNo)
				s = stage.FlatMap(s, c, func(ctx context.Context, v int) ([]int, error) {
					v, err := fn(ctx, v)
					return make([]int, v%3), err
				})
				shape = append(shape, fmt.Sprintf("flatmap(%d)", c))
			case 5:
				b := stage.Batch(s, 1+rng.IntN(10), time.Duration(1+rng.IntN(3))*time.Millisecond)
				s = stage.FlatMap(b, 1, func(_ context.Context, vs []int) ([]int, error) { return vs, nil })
				shape = append(shape, "batch")
			case 6:
				branches := stage.Tee(s, 2)
				stage.Each(branches[1], c, func(ctx context.Context, v int) error {
					_, err := r.fn(stageNo+100)(ctx, v)
					return err
				})
				s = branches[0]
				shape = append(shape, "tee")
			}
		}
		stage.Each(s, 1+rng.IntN(4), func(ctx context.Context, v int) error {
			_, err := r.fn(99)(ctx, v)
			return err
		})

		ctx, cancel := context.WithCancel(context.Background())
		cancelAt := -1 // never
		switch rng.IntN(4) {
		case 0:
			cancelAt = 0 // before start
		case 1, 2:
			cancelAt = 1 + rng.IntN(n)
		}
		var completed atomic.Int64
		src.OnComplete(func(int, error) {
			if completed.Add(1) == int64(cancelAt) {
				r.cancelled.Store(true)
				cancel()
			}
		})
		if cancelAt == 0 {
			r.cancelled.Store(true)
			cancel()
		}
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute):
			buf := make([]byte, 1<<20)
			t.Fatalf("run %d %v (n=%d): Run did not return:\n%s", run, shape, n, buf[:runtime.Stack(buf, true)])
		}
		cancel()
		is := is.NewRelaxed(t)
		is.NoErr(src.Check(false)) // never completed twice
		switch {
		case err == nil && cancelAt >= 0:
			outcomes["cancelled, clean drain"]++
		case err == nil:
			outcomes["ran to the end"]++
		case errors.Is(err, flow.ErrDrainTimeout):
			outcomes["drain deadline"]++
		}
		switch {
		case err == nil:
			if e := src.Check(true); e != nil {
				t.Errorf("run %d %v: clean Run but %v", run, shape, e)
			}
		case errors.Is(err, flow.ErrDrainTimeout):
			if cancelAt < 0 {
				t.Errorf("run %d %v: drain timeout without cancellation", run, shape)
			}
		default:
			t.Errorf("run %d %v: unexpected error %v", run, shape, err)
		}
	}
}

// TestBackpressureBoundsInFlight runs a million items (a hundred thousand
// under the race detector, which is ten times slower) from a fast source
// through a sink that is slower than it, and checks that the source never had
// more items in flight than its window and that the heap did not grow with
// the number of items.
func TestBackpressureBoundsInFlight(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	n := 1_000_000
	if raceEnabled || testing.Short() {
		n = 100_000
	}
	// Smaller than what the channels and workers between source and sink
	// can hold (about 22 items), so the window is what stops the source.
	const window = 16
	p := flow.New(flow.WithLogger(discard))
	src := flowtest.Generate(p, n, func(i int) [64]byte { return [64]byte{byte(i)} }, flowtest.Options{Window: window})
	mapped := stage.Map(src.Stream(), 4, func(_ context.Context, v [64]byte) ([64]byte, error) { return v, nil })
	var seen int
	var heapAt10, heapMax uint64
	stage.Each(mapped, 1, func(context.Context, [64]byte) error {
		seen++
		runtime.Gosched() // slower than the source
		if seen%(n/10) == 0 {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if seen == n/10 {
				heapAt10 = ms.HeapAlloc
			}
			heapMax = max(heapMax, ms.HeapAlloc)
		}
		return nil
	})
	is.NoErr(p.Run(context.Background()))
	_, acked, _ := src.Counts()
	is.Equal(acked, n)
	is.Equal(src.Window().Peak(), window) // in flight reached the window, never above
	t.Logf("%d items, peak in flight %d of %d, heap after 10%% %d KiB, max %d KiB", n, src.Window().Peak(), window, heapAt10>>10, heapMax>>10)
	// Holding every item would take n*64 bytes (64 MiB for a million);
	// a bounded pipeline stays within a few MiB of where it started.
	is.True(heapMax < heapAt10+8<<20)
}
