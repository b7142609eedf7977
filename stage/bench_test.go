package stage_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/stage"
)

// benchHops measures what one stage hop costs an item: b.N items go through
// a chain of 8 copies of the stage and, as a baseline, straight from source
// to sink; the difference divided by 8 is reported per item as ns/hop and
// allocs/hop. (ns/op and allocs/op cover both runs, source and sink included.)
func benchHops(b *testing.B, hop func(flow.Stream[int]) flow.Stream[int]) {
	const depth = 8
	run := func(stages int) (time.Duration, uint64) {
		p := flow.New()
		src := flowtest.Generate(p, b.N, func(i int) int { return i }, flowtest.Options{Window: 1024})
		s := src.Stream()
		for range stages {
			s = hop(s)
		}
		stage.Each(s, 1, func(context.Context, int) error { return nil })
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		if err := p.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		return elapsed, after.Mallocs - before.Mallocs
	}
	b.ReportAllocs()
	t0, a0 := run(0)
	t8, a8 := run(depth)
	n := float64(b.N)
	b.ReportMetric(float64(t8-t0)/depth/n, "ns/hop")
	b.ReportMetric((float64(a8)-float64(a0))/depth/n, "allocs/hop")
}

func identity(_ context.Context, v int) (int, error) { return v, nil }

func BenchmarkMap(b *testing.B) {
	for _, n := range []int{1, 4, 16} {
		b.Run(map[int]string{1: "n=1", 4: "n=4", 16: "n=16"}[n], func(b *testing.B) {
			benchHops(b, func(s flow.Stream[int]) flow.Stream[int] { return stage.Map(s, n, identity) })
		})
	}
}

func BenchmarkOrderedMap(b *testing.B) {
	benchHops(b, func(s flow.Stream[int]) flow.Stream[int] { return stage.OrderedMap(s, 4, identity) })
}

func BenchmarkKeyedMap(b *testing.B) {
	key := func(m flow.Msg[int]) string { return keys[m.Value%len(keys)] }
	benchHops(b, func(s flow.Stream[int]) flow.Stream[int] { return stage.KeyedMap(s, 4, key, identity) })
}

var keys = []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p"}

func BenchmarkFilter(b *testing.B) {
	benchHops(b, func(s flow.Stream[int]) flow.Stream[int] {
		return stage.Filter(s, func(int) bool { return true })
	})
}

func BenchmarkFlatMap(b *testing.B) {
	benchHops(b, func(s flow.Stream[int]) flow.Stream[int] {
		return stage.FlatMap(s, 1, func(_ context.Context, v int) ([]int, error) { return []int{v}, nil })
	})
}

func BenchmarkBatch(b *testing.B) {
	// A hop here is a batch of 10 and back to items, so that chains compose.
	benchHops(b, func(s flow.Stream[int]) flow.Stream[int] {
		batches := stage.Batch(s, 10, time.Millisecond)
		return stage.FlatMap(batches, 1, func(_ context.Context, vs []int) ([]int, error) { return vs, nil })
	})
}
