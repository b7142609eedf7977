package stage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/stage"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

func newPipeline() *flow.Pipeline { return flow.New(flow.WithLogger(discard)) }

func ints(p *flow.Pipeline, n int) *flowtest.Source[int] {
	return flowtest.Generate(p, n, func(i int) int { return i }, flowtest.Options{})
}

func TestMapUnordered(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := newPipeline()
	src := ints(p, 500)
	var running, peak atomic.Int32
	release := make(chan struct{})
	var once sync.Once
	out := stage.Map(src.Stream(), 8, func(_ context.Context, v int) (string, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		if n == 8 {
			once.Do(func() { close(release) })
		}
		<-release // the first calls wait until all eight run at once
		return fmt.Sprint(v), nil
	})
	got := flowtest.Collect(out)
	is.NoErr(p.Run(context.Background()))
	is.Equal(peak.Load(), int32(8))
	is.Equal(got.Len(), 500)
	is.NoErr(src.Check(true))
}

func TestOrderedMapKeepsOrder(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := newPipeline()
	src := ints(p, 2000)
	out := stage.OrderedMap(src.Stream(), 8, func(_ context.Context, v int) (int, error) {
		if v%7 == 0 {
			return 0, errors.New("sevens fail")
		}
		if v%5 == 0 {
			return 0, flow.Skip
		}
		for range (v * 7919) % 2000 { // uneven work, so calls finish out of order
			_ = fmt.Sprint(v)
		}
		return v, nil
	})
	got := flowtest.Collect(out).Values
	is.NoErr(p.Run(context.Background()))
	var want []int
	for i := range 2000 {
		if i%7 != 0 && i%5 != 0 {
			want = append(want, i)
		}
	}
	is.Equal(got(), want)
	is.NoErr(src.Check(true))
	is.Equal(src.Outcome(14), flowtest.Failed)
	is.Equal(src.Outcome(10), flowtest.Acked)
}

func TestKeyedMapOrdersEachKey(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := newPipeline()
	const keys, n = 10, 3000
	src := flowtest.Generate(p, n, func(i int) int { return i }, flowtest.Options{
		Window: 256,
		Meta: func(i int) *flow.Meta {
			return &flow.Meta{ID: fmt.Sprint(i), GroupID: fmt.Sprintf("g%d", i%keys)}
		},
	})
	var mu sync.Mutex
	active := map[string]bool{}
	var overlap atomic.Int32 // calls that found their key already active
	var allKeys sync.WaitGroup
	allKeys.Add(keys)
	out := stage.KeyedMap(src.Stream(), keys, stage.ByGroup[int], func(_ context.Context, v int) (int, error) {
		key := fmt.Sprintf("g%d", v%keys)
		mu.Lock()
		if active[key] {
			overlap.Add(1)
		}
		active[key] = true
		mu.Unlock()
		if v < keys {
			// The first item of every key waits for the first of all the
			// others: only possible if different keys run in parallel.
			allKeys.Done()
			allKeys.Wait()
		}
		mu.Lock()
		active[key] = false
		mu.Unlock()
		return v, nil
	})
	got := flowtest.Collect(out)
	is.NoErr(p.Run(context.Background()))
	is.Equal(overlap.Load(), int32(0)) // never two calls of one key at once
	is.Equal(got.Len(), n)
	last := map[int]int{}
	for _, v := range got.Values() {
		k := v % keys
		if prev, ok := last[k]; ok {
			is.True(v > prev) // each key in input order
		}
		last[k] = v
	}
	is.NoErr(src.Check(true))
}

func TestFilterAcksWhatItDrops(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := newPipeline()
	src := ints(p, 100)
	even := stage.Filter(src.Stream(), func(v int) bool {
		if v == 51 {
			panic("bad predicate")
		}
		return v%2 == 0
	})
	got := flowtest.Collect(even)
	is.NoErr(p.Run(context.Background()))
	is.Equal(got.Len(), 50)
	is.Equal(src.Outcome(3), flowtest.Acked) // dropped and done
	is.Equal(src.Outcome(51), flowtest.Failed)
	_, acked, failed := src.Counts()
	is.Equal(acked, 99)
	is.Equal(failed, 1)
}

func TestFlatMapReferences(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := newPipeline()
	src := ints(p, 4)
	// 0 -> no children, 1 -> one, 2 -> two, 3 -> three.
	children := stage.FlatMap(src.Stream(), 2, func(_ context.Context, v int) ([]string, error) {
		out := make([]string, v)
		for i := range out {
			out[i] = fmt.Sprintf("%d.%d", v, i)
		}
		return out, nil
	})
	bad := errors.New("child 2.1 failed")
	got := flowtest.CollectFunc(children, func(_ context.Context, s string) error {
		if s == "2.1" {
			return bad
		}
		return nil
	})
	is.NoErr(p.Run(context.Background()))
	is.Equal(got.Len(), 5)                   // 1.0, 2.0, 3.0, 3.1, 3.2
	is.Equal(src.Outcome(0), flowtest.Acked) // no children: done at once
	is.Equal(src.Outcome(1), flowtest.Acked)
	is.Equal(src.Outcome(2), flowtest.Failed) // one child failed
	is.True(errors.Is(src.Err(2), bad))
	is.Equal(src.Outcome(3), flowtest.Acked) // all three children done
	is.NoErr(src.Check(true))
}

func TestBatch(t *testing.T) {
	t.Parallel()
	t.Run("by size", func(t *testing.T) {
		t.Parallel()
		is := is.New(t)
		p := newPipeline()
		src := flowtest.Generate(p, 25, func(i int) int { return i }, flowtest.Options{Window: 100})
		batches := stage.Batch(src.Stream(), 10, time.Hour)
		got := flowtest.CollectFunc(batches, func(_ context.Context, b []int) error {
			if slices.Contains(b, 15) {
				return errors.New("batch with 15 failed")
			}
			return nil
		})
		is.NoErr(p.Run(context.Background()))
		// 0-9 and 20-24 (flushed at the end of input) succeed; 10-19 fail together.
		is.Equal(got.Values(), [][]int{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {20, 21, 22, 23, 24}})
		for i := range 25 {
			want := flowtest.Acked
			if i >= 10 && i < 20 {
				want = flowtest.Failed
			}
			is.Equal(src.Outcome(i), want)
		}
		is.NoErr(src.Check(true))
	})
	t.Run("by wait", func(t *testing.T) {
		t.Parallel()
		is := is.New(t)
		p := newPipeline()
		// Three items arrive, then the source waits until the first batch is
		// out: the batch can only have been flushed by its timer.
		firstBatch := make(chan struct{})
		src := flowtest.Generate(p, 4, func(i int) int {
			if i == 3 {
				<-firstBatch
			}
			return i
		}, flowtest.Options{})
		var once sync.Once
		got := flowtest.CollectFunc(stage.Batch(src.Stream(), 100, 5*time.Millisecond), func(context.Context, []int) error {
			once.Do(func() { close(firstBatch) })
			return nil
		})
		is.NoErr(p.Run(context.Background()))
		is.Equal(got.Values(), [][]int{{0, 1, 2}, {3}})
		is.NoErr(src.Check(true))
	})
}

func TestTapEachTeeMerge(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := newPipeline()
	a := flowtest.Generate(p, 50, func(i int) int { return i }, flowtest.Options{})
	b := flowtest.Generate(p, 50, func(i int) int { return 100 + i }, flowtest.Options{})
	var tapped atomic.Int32
	merged := stage.Tap(stage.Merge(a.Stream(), b.Stream()), func(int) { tapped.Add(1) })
	branches := stage.Tee(merged, 2)
	var sum atomic.Int64
	stage.Each(branches[0], 4, func(_ context.Context, v int) error {
		sum.Add(int64(v))
		if v == 120 {
			return errors.New("120 rejected by branch 0")
		}
		return nil
	})
	other := flowtest.Collect(branches[1])
	is.NoErr(p.Run(context.Background()))
	is.Equal(tapped.Load(), int32(100))
	is.Equal(other.Len(), 100)
	is.Equal(sum.Load(), int64(49*50/2+100*50+49*50/2))
	is.Equal(b.Outcome(20), flowtest.Failed) // one branch failed: the message fails
	is.Equal(b.Outcome(21), flowtest.Acked)
	is.NoErr(a.Check(true))
	is.NoErr(b.Check(true))
}
