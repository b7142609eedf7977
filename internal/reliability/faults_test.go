package reliability_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/reliability"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
)

// running is a pipeline running in the test process.
type running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done is closed
}

// start runs p until stop is called.
func start(t *testing.T, p *flow.Pipeline) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = p.Run(ctx)
	}()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// alive fails the test if the pipeline has returned.
func (r *running) alive(t *testing.T, when string) {
	t.Helper()
	select {
	case <-r.done:
		t.Fatalf("%s: the pipeline stopped: %v", when, r.err)
	default:
	}
}

// stop cancels the pipeline's context and returns what Run returned.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.err
	case <-time.After(time.Minute):
		t.Fatal("the pipeline did not drain within a minute")
		return nil
	}
}

// FaultRateVariable overrides the share of requests TestReliabilityFaults
// fails (default 0.10).
const FaultRateVariable = "SQSFLOW_RELIABILITY_FAULT_RATE"

func faultRate(t *testing.T) float64 {
	t.Helper()
	v := os.Getenv(FaultRateVariable)
	if v == "" {
		return 0.10
	}
	rate, err := strconv.ParseFloat(v, 64)
	if err != nil || rate <= 0 || rate > 1 {
		t.Fatalf("%s=%q: want a share between 0 and 1", FaultRateVariable, v)
	}
	return rate
}

// TestReliabilityFaults runs the pipeline through a proxy that fails 10% of
// its requests (SQSFLOW_RELIABILITY_FAULT_RATE to change it) in every way it knows (500s, throttling, partial batch
// failures, connection resets before and after the request was done,
// latency past the client timeout). The pipeline must keep running, finish
// everything once the faults stop, and lose nothing.
//
// It runs three times: with SQS on both sides, with SNS on both sides (jobs
// published to a topic the input queue is subscribed to, results published
// to another), and with FIFO queues on both sides.
func TestReliabilityFaults(t *testing.T) {
	sz := suite(t)
	t.Parallel()
	for _, kind := range []string{"sqs", "sns", "fifo"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			faults(t, sz, kind)
		})
	}
}

func faults(t *testing.T, sz sizes, name string) {
	is := is.New(t)
	rng := newRand(t)
	var r *rig
	switch name {
	case "sqs":
		r = newRig(t, emulator.Options{})
	case "sns":
		r = newRig(t, emulator.Options{}).withTopics(t)
	case "fifo":
		r = newFIFORig(t)
	}
	proxy, err := reliability.StartProxy(reliability.ProxyOptions{Target: r.srv.Endpoint(), Latency: 3 * time.Second, Seed: rng.Uint64()})
	is.NoErr(err)
	defer proxy.Close()

	js, bodies := jobs(t, sz.faultMessages, poisonEvery)
	half := len(js) / 2
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	is.NoErr(r.put(ctx, bodies[:half]))
	out, dlq, stopDrains := r.drains(t, 0)
	if r.FIFO {
		out.RecordOrder()
	}
	progress := func() int { return out.Unique() + dlq.Unique() }

	var failed atomic.Int64
	srcStats, sinkStats := &source.Stats{}, &sink.Stats{}
	p := reliability.Build(reliability.Config{
		// The client gives up on a request after 2s; long polls wait 1s.
		AWS:         reliability.ClientConfig(proxy.URL(), 2*time.Second),
		Input:       r.Input,
		Output:      r.Output,
		InputTopic:  r.JobsTopic,
		OutputTopic: r.ResultsTopic,
		FIFO:        r.FIFO,
		Visibility:  4 * time.Second,
		Worker:      "faults",
		OnError:     func(*flow.StageError) { failed.Add(1) },
		SourceStats: srcStats,
		SinkStats:   sinkStats,
	})
	run := start(t, p)

	// Faults start once the pipeline has started (provisioning failures
	// stop a pipeline before it starts, by design) and last at least
	// faultSeconds, until a quarter of the jobs are done and until every
	// kind of fault has been injected.
	select {
	case <-p.Started():
	case <-run.done:
		t.Fatalf("the pipeline did not start: %v", run.err)
	}
	rate := faultRate(t)
	proxy.SetRate(rate)
	faultsOn := time.Now()
	faultDeadline := time.NewTimer(time.Duration(sz.faultSeconds) * time.Second)
	if err := reliability.Wait(ctx, func() bool { return progress() >= len(js)/4 }, out, dlq); err != nil {
		t.Fatalf("under faults: %d of %d jobs done: %v (proxy: %v)", progress(), len(js), err, proxy.Counts())
	}
	<-faultDeadline.C
	// And until every kind of fault has been injected at least once. The
	// proxy tells no one, so this polls.
	allKinds := func() bool {
		c := proxy.Counts()
		for _, f := range reliability.AllFaults {
			if c.Faults[f] == 0 {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(time.Minute); !allKinds() && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	run.alive(t, "under faults")
	proxy.SetRate(0)
	underFaults := proxy.Counts()
	t.Logf("faults stopped after %v: %d of %d jobs done; %v", time.Since(faultsOn).Round(time.Millisecond), progress(), len(js), underFaults)

	// Without faults the pipeline catches up by itself, with the second
	// half of the jobs sent after the faults stopped.
	is.NoErr(r.put(ctx, bodies[half:]))
	recovered := time.Now()
	if err := reliability.Wait(ctx, func() bool { return progress() >= len(js) }, out, dlq); err != nil {
		t.Errorf("after the faults: %d of %d jobs done: %v", progress(), len(js), err)
	}
	is.NoErr(r.waitEmpty(ctx, r.Input))
	run.alive(t, "after the faults")
	t.Logf("caught up %v after the faults stopped", time.Since(recovered).Round(time.Millisecond))
	is.NoErr(run.stop(t)) // a clean drain
	stopDrains()
	r.finish(t, out, dlq)

	res := count(js, out, dlq)
	checkOutcome(t, stopRun{tally: res, js: js, out: out, dlq: dlq})
	reordered := 0
	if r.FIFO {
		// The source's StrictOrder lets a group's next message in only once
		// the one before it is published and acknowledged, so neither a
		// retried handler nor a sink entry that failed while a later one of
		// its group succeeded can reorder a group.
		reordered = countReordered(out.Order())
	}
	c := proxy.Counts()
	t.Logf("faults (%s): rate=%g messages=%d requests=%d faults=%d lost=%d duplicates=%d delivered=%d dead-lettered=%d failed-handlings=%d reordered=%d (%v)",
		name, rate, len(js), c.Requests, c.Injected(), res.lost, res.duplicates, res.delivered, res.deadLettered, failed.Load(), reordered, c)
	is.Equal(res.lost, 0)  // nothing lost
	is.Equal(reordered, 0) // every group in order
	for _, f := range reliability.AllFaults {
		if c.Faults[f] == 0 {
			t.Errorf("no %v fault was injected", f)
		}
	}
}

// TestReliabilityEndpointRestart takes the endpoint away for a few seconds,
// several times, and brings it back on the same address with the same
// queues. The pipeline must reconnect by itself, its goroutines must not
// pile up, and nothing may be lost.
func TestReliabilityEndpointRestart(t *testing.T) {
	sz := suite(t)
	// Not parallel: it counts the process's goroutines.
	is := is.New(t)
	r := newRig(t, emulator.Options{})
	state, addr := r.srv.State(), r.srv.Addr()

	per := 2000
	total := per * (sz.restarts + 1)
	js, bodies := jobs(t, total, poisonEvery)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, dlq, stopDrains := r.drains(t, 0)
	progress := func() int { return out.Unique() + dlq.Unique() }

	p := reliability.Build(reliability.Config{
		AWS:        reliability.ClientConfig(r.srv.Endpoint(), 0),
		Input:      r.Input,
		Output:     r.Output,
		Visibility: 4 * time.Second,
		Worker:     "restart",
	})
	run := start(t, p)

	var baseline, peak, after int
	for round := range sz.restarts + 1 {
		batch := bodies[round*per : (round+1)*per]
		is.NoErr(reliability.Send(ctx, r.sqs, r.Input, batch))
		want := (round + 1) * per
		if round == sz.restarts {
			break
		}
		// Take the endpoint away mid-stream: once half this round's jobs
		// are done.
		if err := reliability.Wait(ctx, func() bool { return progress() >= want-per/2 }, out, dlq); err != nil {
			t.Fatalf("round %d: %d of %d jobs done: %v", round, progress(), want, err)
		}
		if round == 0 {
			baseline = runtime.NumGoroutine()
		}
		is.NoErr(r.srv.Close())
		outage := time.NewTimer(time.Duration(sz.outageSeconds) * time.Second)
		<-outage.C
		peak = max(peak, runtime.NumGoroutine())
		run.alive(t, fmt.Sprintf("outage %d", round+1))
		srv, err := emulator.Start(context.Background(), emulator.Options{State: state, Addr: addr})
		is.NoErr(err)
		r.srv = srv
		t.Cleanup(func() { srv.Close() })
		back := time.Now()
		if err := reliability.Wait(ctx, func() bool { return progress() >= want }, out, dlq); err != nil {
			t.Fatalf("after restart %d: %d of %d jobs done: %v", round+1, progress(), want, err)
		}
		t.Logf("restart %d: outage %ds, caught up %v after the endpoint came back", round+1, sz.outageSeconds, time.Since(back).Round(time.Millisecond))
		after = max(after, runtime.NumGoroutine())
	}
	if err := reliability.Wait(ctx, func() bool { return progress() >= total }, out, dlq); err != nil {
		t.Errorf("%d of %d jobs done: %v", progress(), total, err)
	}
	is.NoErr(r.waitEmpty(ctx, r.Input))
	run.alive(t, "at the end")
	is.NoErr(run.stop(t))
	stopDrains()
	r.finish(t, out, dlq)

	res := count(js, out, dlq)
	checkOutcome(t, stopRun{tally: res, js: js, out: out, dlq: dlq})
	t.Logf("endpoint-restart: messages=%d restarts=%d outage=%ds lost=%d duplicates=%d goroutines-before=%d during=%d after=%d",
		total, sz.restarts, sz.outageSeconds, res.lost, res.duplicates, baseline, peak, after)
	is.Equal(res.lost, 0)
	// Goroutines do not pile up while the endpoint is away, nor after it is
	// back: a few come and go with connections, not one per failed call.
	is.True(peak <= baseline+30)
	is.True(after <= baseline+30)
}
