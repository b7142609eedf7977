package flow_test

import (
	"context"
	"testing"

	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/flow"
)

func TestWindow(t *testing.T) {
	is := is.New(t)
	_, err := flow.NewWindow(0)
	is.True(err != nil)

	w, err := flow.NewWindow(10)
	is.NoErr(err)
	ctx := context.Background()
	n, err := w.Acquire(ctx, 7)
	is.NoErr(err)
	is.Equal(n, 7)
	n, err = w.Acquire(ctx, 7) // only 3 left
	is.NoErr(err)
	is.Equal(n, 3)
	is.Equal(w.InFlight(), 10)

	// Full: Acquire waits until a release.
	got := make(chan int)
	go func() {
		n, _ := w.Acquire(ctx, 5)
		got <- n
	}()
	w.Release(2)
	is.Equal(<-got, 2)
	is.Equal(w.Peak(), 10)

	// A cancelled context ends the wait.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = w.Acquire(cctx, 1)
	is.Equal(err, context.Canceled)
	// ... and takes nothing even when slots are free: a stopped source
	// must not take another message.
	w.Release(5)
	inFlight := w.InFlight()
	_, err = w.Acquire(cctx, 1)
	is.Equal(err, context.Canceled)
	is.Equal(w.InFlight(), inFlight)

	_, err = w.Acquire(ctx, 0)
	is.True(err != nil)
	w.Release(100) // over-release frees everything, no panic
	is.Equal(w.InFlight(), 0)
}

func TestWindowAcquireBetween(t *testing.T) {
	is := is.New(t)
	w, _ := flow.NewWindow(10)
	ctx := context.Background()
	n, err := w.AcquireBetween(ctx, 4, 10)
	is.NoErr(err)
	is.Equal(n, 10)
	got := make(chan int)
	go func() {
		n, _ := w.AcquireBetween(ctx, 4, 10)
		got <- n
	}()
	w.Release(3) // not enough for the waiter
	select {
	case <-got:
		t.Fatal("took slots before four were free")
	default:
	}
	w.Release(1)
	is.Equal(<-got, 4)
	_, err = w.AcquireBetween(ctx, 5, 4)
	is.True(err != nil)
	small, _ := flow.NewWindow(2)
	n, err = small.AcquireBetween(ctx, 5, 10) // least is capped at the size
	is.NoErr(err)
	is.Equal(n, 2)
}
