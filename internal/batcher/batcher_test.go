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

// gatherWhileBusy runs a batcher of size 10 whose single flush slot is held
// by a first batch, made of first, while 20 more entries arrive. Twenty
// Adds can only all return if the batcher took ten of them into a batch
// while the slot was busy (the other ten fill its queue), so it checks that
// the batch waiting for the slot kept growing to full, then that everything
// went out in order.
func gatherWhileBusy(t *testing.T, linger time.Duration, first []int) {
	is := is.New(t)
	batches := make(chan []int, 30)
	gate := make(chan struct{})
	b, err := batcher.New(batcher.Options{Size: 10, Linger: linger, MaxInFlight: 1}, func(_ context.Context, batch []int) {
		batches <- slices.Clone(batch)
		<-gate
	})
	is.NoErr(err)
	for _, v := range first { // queued before the batcher runs
		b.Add(v)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Run(context.Background())
	}()
	is.Equal(<-batches, first) // one batch; its flush holds the slot

	for i := 100; i < 120; i++ {
		b.Add(i)
	}
	close(gate)
	b.Close()
	<-done
	close(batches)
	var rest [][]int
	var all []int
	for batch := range batches {
		rest = append(rest, batch)
		all = append(all, batch...)
	}
	is.Equal(rest[0], []int{100, 101, 102, 103, 104, 105, 106, 107, 108, 109}) // grew while the slot was busy
	want := make([]int, 0, 20)
	for i := 100; i < 120; i++ {
		want = append(want, i)
	}
	is.Equal(all, want) // everything, in order
}

// With no linger a batch is what is waiting when the batcher gets to it:
// entries queued together go together, and those that arrive while every
// flush slot is busy join the batch waiting for one.
func TestZeroLinger(t *testing.T) { gatherWhileBusy(t, 0, []int{0, 1, 2}) }

// A batch whose linger is over keeps taking entries while it waits for a
// flush slot.
func TestDueBatchGrowsWhileSlotsAreBusy(t *testing.T) { gatherWhileBusy(t, time.Millisecond, []int{0}) }
