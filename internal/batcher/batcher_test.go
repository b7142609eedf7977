package batcher_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/internal/batcher"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFullBatchesAndFinalFlush(t *testing.T) {
	is := is.New(t)
	var mu sync.Mutex
	var got [][]int
	b, err := batcher.New(batcher.Options{Size: 10, Linger: time.Hour}, func(_ context.Context, batch []int) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, batch)
	})
	is.NoErr(err)
	done := make(chan struct{})
	go func() { b.Run(context.Background()); close(done) }()
	for i := range 25 {
		is.True(b.Add(i))
	}
	b.Close()
	<-done
	is.True(!b.Add(99)) // closed
	b.Close()           // twice is fine
	is.Equal(len(got), 3)
	var all []int
	for _, batch := range got {
		is.True(len(batch) <= 10)
		all = append(all, batch...)
	}
	slices.Sort(all)
	is.Equal(len(all), 25)
	is.Equal(all[24], 24)
}

func TestLingerFlushesPartialBatch(t *testing.T) {
	is := is.New(t)
	flushed := make(chan []int, 1)
	b, err := batcher.New(batcher.Options{Size: 10, Linger: time.Millisecond}, func(_ context.Context, batch []int) {
		flushed <- batch
	})
	is.NoErr(err)
	done := make(chan struct{})
	go func() { b.Run(context.Background()); close(done) }()
	b.Add(1)
	b.Add(2)
	is.Equal(<-flushed, []int{1, 2}) // flushed by the linger timer, not by Close
	b.Close()
	<-done
}

func TestFlushesInFlightAreBounded(t *testing.T) {
	is := is.New(t)
	release := make(chan struct{})
	var cur, peak, total atomic.Int32
	started := make(chan struct{}, 10)
	b, err := batcher.New(batcher.Options{Size: 1, Linger: time.Hour, MaxInFlight: 2}, func(context.Context, []int) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		started <- struct{}{}
		<-release
		cur.Add(-1)
		total.Add(1)
	})
	is.NoErr(err)
	done := make(chan struct{})
	go func() { b.Run(context.Background()); close(done) }()
	added := make(chan struct{})
	go func() {
		defer close(added)
		for i := range 5 {
			b.Add(i) // blocks while both flush slots are busy
		}
	}()
	<-started
	<-started
	close(release)
	<-added
	b.Close()
	<-done
	is.Equal(peak.Load(), int32(2)) // never more than MaxInFlight at once
	is.Equal(total.Load(), int32(5))
}

func TestBadOptions(t *testing.T) {
	is := is.New(t)
	for _, o := range []batcher.Options{{Size: -1}, {Linger: -time.Second}, {MaxInFlight: -2}} {
		_, err := batcher.New(o, func(context.Context, []int) {})
		is.True(err != nil)
	}
}

func TestMaxWeightSplitsBatches(t *testing.T) {
	is := is.New(t)
	var mu sync.Mutex
	var got [][]int
	b, err := batcher.New(batcher.Options{Size: 10, Linger: time.Hour, MaxWeight: 100, MaxInFlight: 1}, func(_ context.Context, batch []int) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, batch)
	})
	is.NoErr(err)
	b.Weigh(func(w int) int { return w })
	done := make(chan struct{})
	go func() { b.Run(context.Background()); close(done) }()
	for _, w := range []int{40, 40, 40, 150, 10, 90, 5} {
		b.Add(w)
	}
	b.Close()
	<-done
	// 40+40 fit, the third 40 would pass 100; 150 is alone; 10+90 reach 100.
	is.Equal(got, [][]int{{40, 40}, {40}, {150}, {10, 90}, {5}})
}

// With no linger a batch is what is waiting when the batcher gets to it:
// entries queued together go together, and those that arrive while every
// flush slot is busy gather for the next batches.
func TestZeroLinger(t *testing.T) {
	is := is.New(t)
	batches := make(chan []int, 20)
	gate := make(chan struct{})
	b, err := batcher.New(batcher.Options{Size: 10, MaxInFlight: 1}, func(_ context.Context, batch []int) {
		batches <- slices.Clone(batch)
		<-gate
	})
	is.NoErr(err)
	for i := range 3 { // queued before the batcher runs
		b.Add(i)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Run(context.Background())
	}()
	is.Equal(<-batches, []int{0, 1, 2}) // one batch, without waiting for more

	// The only flush slot is busy: what arrives meanwhile gathers.
	added := make(chan struct{})
	go func() {
		defer close(added)
		for i := 3; i < 13; i++ {
			b.Add(i)
		}
	}()
	<-added
	close(gate)
	b.Close()
	<-done
	close(batches)
	var got []int
	n := 1
	for batch := range batches {
		is.True(len(batch) <= 10)
		got = append(got, batch...)
		n++
	}
	is.Equal(got, []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}) // all of them, in order
	is.True(n <= 3)                                         // in at most two more batches
}
