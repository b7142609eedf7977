package reliability_test

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/internal/reliability"
)

// poisonEvery makes one job in so many poison, so that the dead-letter
// queue is part of every run.
const poisonEvery = 100

// stopRun is the outcome of runWithStops.
type stopRun struct {
	tally
	stops   int
	js      []reliability.Job
	out     *reliability.Ledger
	dlq     *reliability.Ledger
	workers []*worker
}

// runWithStops puts n jobs on the input (published to a topic with
// topics), runs a worker process over them and stops it
// with sig `stops` times at random moments (when a random share of the jobs
// has come out), starting a new worker each time; then it lets the last
// worker finish, stops it with SIGTERM and counts what came out.
func runWithStops(t *testing.T, n, stops int, sig syscall.Signal, kind string) stopRun {
	t.Helper()
	rng := newRand(t)
	var r *rig
	switch kind {
	case "sqs":
		r = newRig(t, emulator.Options{})
	case "sns":
		r = newRig(t, emulator.Options{}).withTopics(t)
	case "fifo":
		r = newFIFORig(t)
	default:
		t.Fatalf("unknown kind %q", kind)
	}
	js, bodies := jobs(t, n, poisonEvery)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if err := r.put(ctx, bodies); err != nil {
		t.Fatal(err)
	}
	out, dlq, stopDrains := r.drains(t, 0)
	if r.FIFO {
		out.RecordOrder()
	}

	// The moments to stop at: when so many ids have come out.
	at := make([]int, stops)
	for i := range at {
		at[i] = n/20 + rng.IntN(n*17/20)
	}
	slices.Sort(at)

	spec := reliability.WorkerSpec{
		Endpoint: r.srv.Endpoint(), Input: r.Input, Output: r.Output, InputTopic: r.JobsTopic, OutputTopic: r.ResultsTopic, FIFO: r.FIFO,
		Visibility: 3 * time.Second, DrainTimeout: 20 * time.Second, Workers: 8, Window: 100,
	}
	run := stopRun{js: js, out: out, dlq: dlq}
	progress := func() int { return out.Unique() + dlq.Unique() }
	start := func() *worker {
		spec.Name = fmt.Sprintf("worker-%d", len(run.workers))
		w := startWorker(t, spec)
		run.workers = append(run.workers, w)
		return w
	}
	w := start()
	for i, threshold := range at {
		if err := reliability.Wait(ctx, func() bool { return progress() >= threshold }, out, dlq); err != nil {
			t.Fatalf("stop %d: waiting for %d results (have %d): %v\n%s", i+1, threshold, progress(), err, w.out.String())
		}
		err := w.stop(t, sig, 30*time.Second)
		if sig == syscall.SIGTERM && err != nil {
			t.Fatalf("stop %d: the worker did not exit cleanly after SIGTERM: %v\n%s", i+1, err, w.out.String())
		}
		run.stops++
		t.Logf("%v %d at %d/%d results", sig, i+1, progress(), n)
		w = start()
	}

	// Let the last worker finish everything, including what the stopped
	// ones left in flight, then stop it gracefully.
	if err := reliability.Wait(ctx, func() bool { return progress() >= n }, out, dlq); err != nil {
		t.Errorf("waiting for every job: %v", err)
	}
	if err := r.waitEmpty(ctx, r.Input); err != nil {
		t.Errorf("waiting for the input queue to empty: %v", err)
	}
	if err := w.stop(t, syscall.SIGTERM, 30*time.Second); err != nil {
		t.Errorf("the last worker did not exit cleanly: %v\n%s", err, w.out.String())
	}
	stopDrains()
	r.finish(t, out, dlq)
	run.tally = count(js, out, dlq)
	return run
}

// checkOutcome asserts that poison jobs were dead-lettered and that good
// jobs came out, each with its result.
func checkOutcome(t *testing.T, run stopRun) {
	t.Helper()
	for _, j := range run.js {
		if j.Poison && run.out.Count(j.ID) > 0 {
			t.Errorf("poison job %s has a result", j.ID)
		}
		if j.Poison && run.dlq.Count(j.ID) == 0 {
			t.Errorf("poison job %s is not in the dead-letter queue", j.ID)
		}
	}
	if bad, body := run.out.Unreadable(); bad > 0 {
		t.Errorf("%d unreadable results, e.g. %.200q", bad, body)
	}
	if bad, body := run.dlq.Unreadable(); bad > 0 {
		t.Errorf("%d unreadable dead letters, e.g. %.200q", bad, body)
	}
	if run.lost > 0 {
		t.Errorf("lost %d jobs, e.g. %v", run.lost, run.missing[:min(10, len(run.missing))])
		for _, w := range run.workers {
			t.Logf("worker output:\n%s", w.out.String())
		}
	}
}

// TestReliabilityCrash kills a worker process with SIGKILL at random
// moments while it works through its jobs, starting a new one each time.
// Nothing may be lost; duplicates are expected (a result sent but not yet
// acknowledged when the process died is sent again) and are reported.
//
// It runs twice. "sns": jobs are published to a topic and results to
// another (SNS -> SQS -> transform -> SNS -> SQS), and each worker
// provisions its subscription as it starts. "fifo": FIFO queues on both
// sides, jobs in 16 message groups, the transform keyed by group; besides
// losing nothing, each group's results must come out in order (first
// sightings), and the deduplication ids the sink carries over let SQS drop
// the results a killed worker sends again.
func TestReliabilityCrash(t *testing.T) {
	sz := suite(t)
	t.Parallel()
	for _, kind := range []string{"sns", "fifo"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			n := sz.crashMessages
			if kind == "fifo" {
				n = sz.fifoMessages
			}
			run := runWithStops(t, n, sz.crashKills, syscall.SIGKILL, kind)
			checkOutcome(t, run)
			reordered := 0
			if kind == "fifo" {
				reordered = checkGroupOrder(t, run.out.Order())
			}
			t.Logf("crash (%s): messages=%d kills=%d lost=%d duplicates=%d delivered=%d dead-lettered=%d reordered=%d",
				kind, len(run.js), run.stops, run.lost, run.duplicates, run.delivered, run.deadLettered, reordered)
			is.Equal(run.lost, 0)  // every job is in the output or the dead-letter queue
			is.Equal(reordered, 0) // each group in order
		})
	}
}

// checkGroupOrder fails t for every result that came out after a later
// result of its group, and returns how many did.
func checkGroupOrder(t *testing.T, order []string) int {
	t.Helper()
	return groupOrder(order, func(id string, prev int) {
		t.Errorf("%s came out after job-%06d of its group", id, prev)
	})
}

// countReordered returns how many results came out after a later result of
// their group.
func countReordered(order []string) int { return groupOrder(order, nil) }

// groupOrder goes through result ids (job-NNNNNN, in group NNNNNN %
// fifoGroups) in the order they first came out and calls bad, if not nil,
// for each one that came after a later job of its group.
func groupOrder(order []string, bad func(id string, prev int)) int {
	last := map[int]int{}
	reordered := 0
	for _, id := range order {
		var n int
		fmt.Sscanf(id, "job-%d", &n)
		g := n % fifoGroups
		if prev, ok := last[g]; ok && n < prev {
			if bad != nil && reordered < 5 {
				bad(id, prev)
			}
			reordered++
			continue
		}
		last[g] = n
	}
	return reordered
}

// TestReliabilityGracefulStop stops a worker process with SIGTERM at random
// moments, starting a new one each time (SQS -> transform -> SQS). A
// stopped worker finishes and acknowledges what it has in flight, or
// leaves it unacknowledged to be handled once after the restart: nothing is
// lost and nothing is duplicated.
func TestReliabilityGracefulStop(t *testing.T) {
	sz := suite(t)
	t.Parallel()
	is := is.New(t)
	run := runWithStops(t, sz.stopMessages, sz.stops, syscall.SIGTERM, "sqs")
	checkOutcome(t, run)
	t.Logf("graceful-stop: messages=%d stops=%d lost=%d duplicates=%d delivered=%d dead-lettered=%d",
		len(run.js), run.stops, run.lost, run.duplicates, run.delivered, run.deadLettered)
	is.Equal(run.lost, 0)       // nothing lost
	is.Equal(run.duplicates, 0) // nothing handled twice
}
