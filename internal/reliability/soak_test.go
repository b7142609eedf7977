package reliability_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/internal/reliability"
	"github.com/sqsflow/sqsflow/source"
)

// sample is the process's goroutines and live heap at one moment.
type sample struct {
	goroutines int
	heap       uint64 // HeapAlloc right after a GC: the live heap
}

func takeSample() sample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return sample{goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc}
}

// TestReliabilitySoak runs the pipeline (SNS -> SQS -> transform -> SNS ->
// SQS) at a steady load for a few minutes (20s in the short configuration) and samples the goroutines and the live
// heap every second: after a warm-up, neither may grow.
func TestReliabilitySoak(t *testing.T) {
	sz := suite(t)
	// Not parallel: it measures the whole process.
	is := is.New(t)
	r := newRig(t, emulator.Options{}).withTopics(t)
	expect := int(sz.soak/time.Second)*sz.soakRate + sz.soakRate
	out, dlq, stopDrains := r.drains(t, expect)
	stats := &source.Stats{}
	p := reliability.Build(reliability.Config{
		AWS:         reliability.ClientConfig(r.srv.Endpoint(), 0),
		Input:       r.Input,
		Output:      r.Output,
		InputTopic:  r.JobsTopic,
		OutputTopic: r.ResultsTopic,
		Worker:      "soak",
		SourceStats: stats,
	})
	run := start(t, p)

	// A steady producer: soakRate jobs a second, in batches every 100ms.
	ctx, cancel := context.WithTimeout(context.Background(), sz.soak+2*time.Minute)
	defer cancel()
	perTick := max(sz.soakRate/10, 1)
	sent := 0
	var samples []sample
	produce := time.NewTicker(100 * time.Millisecond)
	defer produce.Stop()
	measure := time.NewTicker(time.Second)
	defer measure.Stop()
	end := time.NewTimer(sz.soak)
	id := func(i int) string { return fmt.Sprintf("soak-%07d", i) }
loop:
	for {
		select {
		case <-produce.C:
			bodies := make([]string, perTick)
			for i := range bodies {
				b, err := reliability.SealJob(reliability.Job{ID: id(sent), N: int64(sent), Poison: sent%poisonEvery == poisonEvery-1})
				is.NoErr(err)
				bodies[i] = b
				sent++
			}
			is.NoErr(r.put(ctx, bodies))
		case <-measure.C:
			samples = append(samples, takeSample())
		case <-end.C:
			break loop
		}
	}
	is.NoErr(reliability.Wait(ctx, func() bool { return out.Unique()+dlq.Unique() >= sent }, out, dlq))
	run.alive(t, "after the soak")
	is.NoErr(run.stop(t))
	stopDrains()
	r.finish(t, out, dlq)
	ids := make([]string, sent)
	for i := range ids {
		ids[i] = id(i)
	}
	missing := reliability.Missing(ids, out, dlq)

	// Compare the second half of the run with the first, after a warm-up
	// of a fifth of it.
	warm := samples[len(samples)/5:]
	first, second := warm[:len(warm)/2], warm[len(warm)/2:]
	peak := func(ss []sample) (g int, h uint64) {
		for _, s := range ss {
			g, h = max(g, s.goroutines), max(h, s.heap)
		}
		return g, h
	}
	g1, h1 := peak(first)
	g2, h2 := peak(second)
	t.Logf("soak: duration=%v rate=%d/s messages=%d lost=%d duplicates=%d goroutines=%d->%d heap=%.1fMiB->%.1fMiB peak-in-flight=%d",
		sz.soak, sz.soakRate, sent, len(missing), out.Duplicates()+dlq.Duplicates(), g1, g2,
		float64(h1)/(1<<20), float64(h2)/(1<<20), stats.PeakInFlight())
	is.Equal(len(missing), 0)
	is.True(g2 <= g1+10)           // goroutines do not grow
	is.True(h2 <= h1+h1/2+(4<<20)) // nor does the live heap
}
