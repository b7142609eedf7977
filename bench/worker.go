package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// workerEnv is the environment variable that makes the binary (the bench
// binary, or the test binary in bench_test.go) run one Job from stdin
// instead of the harness: the harness re-executes itself so that each
// implementation's CPU time and peak RSS are its own.
const workerEnv = "SQSFLOW_BENCH_WORKER"

// The worker's stdout protocol, one line each:
//
//	ready             the implementation sent its first ReceiveMessage
//	progress <n>      n distinct messages handled so far
//	result <json>     the Result, last
const (
	lineReady    = "ready"
	lineProgress = "progress "
	lineResult   = "result "
)

// quiet is the logger the implementations get: their logs are not part of
// the measurement.
var quiet = slog.New(slog.DiscardHandler)

// Env is what an implementation runs with.
type Env struct {
	Job     Job
	AWS     aws.Config
	Tracker *Tracker
}

// work is the per-message work of the scenario, the same for every
// implementation: the simulated slow handler's sleep, then the record.
func (e *Env) work(o Order) {
	if e.Job.SlowWork > 0 {
		time.Sleep(e.Job.SlowWork)
	}
	e.Tracker.Handle(o)
}

// workerMain runs the Job on stdin and writes the protocol to stdout.
func workerMain(stdin io.Reader, stdout io.Writer) int {
	var job Job
	if err := json.NewDecoder(stdin).Decode(&job); err != nil {
		fmt.Fprintln(os.Stderr, "bench worker: read the job:", err)
		return 2
	}
	var mu sync.Mutex
	w := bufio.NewWriter(stdout)
	emit := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteString(line)
		w.WriteByte('\n')
		w.Flush()
	}
	if job.CPUProfile != "" {
		f, err := os.Create(job.CPUProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench worker:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench worker:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	res := runJob(context.Background(), job, emit)
	b, _ := json.Marshal(res)
	emit(lineResult + string(b))
	return 0
}

// runJob runs one implementation on one job and returns what it measured
// from inside the process (the harness adds CPU, RSS and server figures).
func runJob(ctx context.Context, job Job, emit func(string)) Result {
	res := Result{Impl: job.Impl, Scenario: job.Scenario, N: job.N, Window: job.Window, Endpoint: job.Endpoint}
	impl, ok := implByName(job.Impl)
	if !ok {
		res.Error = fmt.Sprintf("unknown implementation %q", job.Impl)
		return res
	}
	counter := NewCounter()
	tr := newTracker(job, counter)
	counter.onFirstReceive = func() {
		tr.start()
		emit(lineReady)
	}
	counter.onProgress = tr.check
	cfg, transport, err := awsConfig(ctx, job.Endpoint, counter)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer transport.CloseIdleConnections()

	if job.Timeout <= 0 {
		job.Timeout = 10 * time.Minute
	}
	if job.Stall <= 0 {
		job.Stall = time.Minute
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var failure string
	var wg sync.WaitGroup
	wg.Go(func() {
		// Report progress, and end the run when it is done, stalled or out
		// of time.
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(job.Timeout)
		last, lastChange := int64(-1), time.Now()
		for {
			select {
			case <-tr.Done():
				cancel()
				return
			case <-runCtx.Done():
				return
			case <-deadline:
				failure = fmt.Sprintf("timed out after %v", job.Timeout)
				cancel()
				return
			case now := <-tick.C:
				n := tr.Unique()
				emit(lineProgress + strconv.FormatInt(n, 10))
				if n != last {
					last, lastChange = n, now
				} else if now.Sub(lastChange) > job.Stall {
					failure = fmt.Sprintf("stalled: nothing handled for %v", job.Stall)
					cancel()
					return
				}
			}
		}
	})
	runErr := impl.Run(runCtx, &Env{Job: job, AWS: cfg, Tracker: tr})
	cancel()
	wg.Wait()

	tr.summary(&res)
	res.PeakRSSMB = peakRSS()
	res.Requests = counter.ByOp()
	if job.N > 0 {
		res.RequestsPerMsg = float64(counter.Requests()) / float64(job.N)
	}
	switch {
	case failure != "":
		res.Error = failure
	case runErr != nil:
		res.Error = runErr.Error()
	}
	select {
	case <-tr.Done():
	default:
		if res.Error == "" {
			res.Error = "the implementation stopped before every message was handled and acked"
		}
	}
	return res
}

// peakRSS returns this process's peak resident set in MiB (VmHWM of
// /proc/self/status; 0 where there is none). The harness prefers it to the
// child's rusage maxrss: Linux carries the parent's high-water mark over
// an exec started by vfork (as os/exec does), so maxrss never reads below
// the harness's own RSS.
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				return 0
			}
			return kb / 1024
		}
	}
	return 0
}
