package reliability_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/internal/reliability"
	"github.com/sqsflow/sqsflow/source"
)

// TestReliabilitySlowConsumer runs handlers that take longer than the
// visibility timeout (4.5s against 3s). With the heartbeat on, the source
// keeps each message invisible while its handler runs: every job is
// handled once. With it off, the duplicates that appear are counted and
// explained.
func TestReliabilitySlowConsumer(t *testing.T) {
	sz := suite(t)
	t.Parallel()
	const (
		// A 3s timeout leaves the heartbeat 1.5s to extend it, even on a
		// loaded machine.
		visibility = 3 * time.Second
		handler    = 4500 * time.Millisecond
	)
	for _, heartbeat := range []bool{true, false} {
		name := map[bool]string{true: "heartbeat-on", false: "heartbeat-off"}[heartbeat]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			r := newRig(t, emulator.Options{})
			n := sz.slowMessages
			js := make([]reliability.Job, n)
			bodies := make([]string, n)
			for i := range js {
				js[i] = reliability.Job{ID: fmt.Sprintf("slow-%03d", i), N: int64(i), SleepMS: int(handler / time.Millisecond)}
				var err error
				bodies[i], err = reliability.SealJob(js[i])
				is.NoErr(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			is.NoErr(reliability.Send(ctx, r.sqs, r.Input, bodies))
			out, dlq, stopDrains := r.drains(t, 0)

			var mu sync.Mutex
			handled := map[string]int{}
			stats := &source.Stats{}
			p := reliability.Build(reliability.Config{
				AWS:         reliability.ClientConfig(r.srv.Endpoint(), 0),
				Input:       r.Input,
				Output:      r.Output,
				Visibility:  visibility,
				NoHeartbeat: !heartbeat,
				// Room for every job twice over, so that a message that
				// reappears is received again at once.
				Workers:     2 * n,
				Window:      2 * n,
				SourceStats: stats,
				OnHandle: func(j reliability.Job) {
					mu.Lock()
					handled[j.ID]++
					mu.Unlock()
				},
			})
			run := start(t, p)
			is.NoErr(reliability.Wait(ctx, func() bool { return out.Unique() >= n }, out))
			is.NoErr(r.waitEmpty(ctx, r.Input))
			is.NoErr(run.stop(t))
			stopDrains()
			r.finish(t, out, dlq)

			res := count(js, out, dlq)
			handlings := 0
			mu.Lock()
			for _, c := range handled {
				handlings += c
			}
			mu.Unlock()
			t.Logf("slow-consumer (%s): messages=%d visibility=%v handler=%v lost=%d handled=%d duplicates=%d received=%d extended=%d",
				name, n, visibility, handler, res.lost, handlings, res.duplicates, stats.Received.Load(), stats.Extended.Load())
			is.Equal(res.lost, 0)
			if heartbeat {
				is.Equal(handlings, n)             // each job handled once
				is.Equal(res.duplicates, 0)        // and sent on once
				is.True(stats.Extended.Load() > 0) // by the heartbeat's doing
				return
			}
			// Without the heartbeat a message becomes visible again 3s
			// after it was received, while its handler still has 1.5s to
			// go; a second receive hands it to a second handler. The
			// first handler then finishes and deletes it (on a standard
			// queue an earlier receipt handle still deletes), so there is
			// no third delivery; the second handler sends a second result.
			is.True(res.duplicates > 0)
			is.Equal(handlings-n, res.duplicates) // every extra handling sent one duplicate
			is.Equal(int(stats.Received.Load())-n, res.duplicates)
			t.Logf("slow-consumer (heartbeat-off): %d of %d jobs were received and handled twice: each reappeared after its %v visibility timeout while its %v handler still ran",
				res.duplicates, n, visibility, handler)
		})
	}
}
