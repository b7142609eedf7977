package reliability_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/internal/reliability"
	"github.com/sqsflow/sqsflow/provision"
)

// ModeVariable selects the suite's configuration: unset runs only the quick
// subset, "short" every test at CI size, "full" every test at the sizes the
// README reports.
const ModeVariable = "SQSFLOW_RELIABILITY"

// SeedVariable fixes the random seed of the tests (kill moments, fault
// choices) to reproduce a run; each test logs the seed it used.
const SeedVariable = "SQSFLOW_RELIABILITY_SEED"

// sizes are the figures of one configuration.
type sizes struct {
	name string

	crashMessages int // jobs through the crash test
	crashKills    int // SIGKILLs
	fifoMessages  int // jobs through the FIFO crash test
	stopMessages  int // jobs through the graceful-stop test
	stops         int // SIGTERMs
	faultMessages int // jobs through the fault test
	faultSeconds  int // how long faults are injected at least
	outageSeconds int // how long the endpoint is away
	restarts      int // endpoint restarts
	badCopies     int // copies of each hostile body
	slowMessages  int // jobs through the slow-consumer test
	soak          time.Duration
	soakRate      int // jobs per second during the soak
}

var configs = map[string]sizes{
	"short": {
		name: "short", crashMessages: 20000, crashKills: 3, fifoMessages: 5000, stopMessages: 5000, stops: 2,
		faultMessages: 3000, faultSeconds: 5, outageSeconds: 3, restarts: 1, badCopies: 3,
		slowMessages: 20, soak: 20 * time.Second, soakRate: 200,
	},
	"full": {
		name: "full", crashMessages: 20000, crashKills: 6, fifoMessages: 20000, stopMessages: 20000, stops: 4,
		faultMessages: 20000, faultSeconds: 30, outageSeconds: 5, restarts: 3, badCopies: 20,
		slowMessages: 60, soak: 3 * time.Minute, soakRate: 500,
	},
}

// suite returns the configuration selected by SQSFLOW_RELIABILITY, or skips
// t with a message that says how to run it when none is.
func suite(t *testing.T) sizes {
	t.Helper()
	m := os.Getenv(ModeVariable)
	if m == "" {
		t.Skipf("long reliability test: run with %s=short (or full): %s=short go test -v -run %s ./internal/reliability/",
			ModeVariable, ModeVariable, t.Name())
	}
	s, ok := configs[m]
	if !ok {
		t.Fatalf("%s=%q: want short or full", ModeVariable, m)
	}
	return s
}

// newRand returns the test's random source, seeded from SQSFLOW_RELIABILITY_SEED
// or the clock, and logs the seed.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(SeedVariable); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", SeedVariable, v, err)
		}
	}
	t.Logf("seed: %s=%d", SeedVariable, seed)
	return rand.New(rand.NewPCG(seed, seed^0x5eed))
}

// rig is one test's emulator and queues: jobs go in Input, results come out
// in Output, and dead letters in DLQ.
type rig struct {
	srv                *emulator.Server
	sqs                *sqs.Client // the test's own clients, straight to the emulator
	sns                *sns.Client
	Input, Output, DLQ string // queue URLs
	// With topics (see withTopics): jobs are published to JobsTopic, which
	// Input is subscribed to, and results to ResultsTopic, which Output is
	// subscribed to.
	JobsTopic, ResultsTopic string // names
	jobsARN                 string
	// FIFO: the queues are FIFO queues (see newFIFORig).
	FIFO bool
	// maxReceives overrides the input queue's maxReceiveCount when set
	// before createQueues.
	maxReceives int
}

// fifoGroups is how many message groups the FIFO tests spread jobs over.
const fifoGroups = 16

// newFIFORig is newRig with FIFO queues: jobs are put in fifoGroups message
// groups, by their number, with their body's hash as deduplication id.
func newFIFORig(t *testing.T) *rig {
	t.Helper()
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	if err != nil {
		t.Fatalf("start the emulator: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	r := &rig{srv: srv, sqs: sqs.NewFromConfig(srv.Config()), sns: sns.NewFromConfig(srv.Config()), FIFO: true}
	r.createQueues(t)
	return r
}

// Topic names for the SNS variant of the pipeline.
const (
	jobsTopic    = "reliability-jobs"
	resultsTopic = "reliability-results"
)

// withTopics subscribes Input to a jobs topic and Output to a results
// topic, as the pipeline's SNS variant expects.
func (r *rig) withTopics(t *testing.T) *rig {
	t.Helper()
	cfg := r.srv.Config()
	clients := provision.Clients{SQS: sqs.NewFromConfig(cfg), SNS: sns.NewFromConfig(cfg)}
	for _, sub := range []struct{ queue, topic string }{{r.Input, jobsTopic}, {r.Output, resultsTopic}} {
		res, err := provision.Ensure(context.Background(), clients, provision.Spec{
			Queue: provision.Queue{Name: sub.queue}, Subscription: provision.Subscription{Topic: sub.topic},
		}, provision.Options{})
		if err != nil {
			t.Fatalf("subscribe %s to %s: %v", sub.queue, sub.topic, err)
		}
		if sub.topic == jobsTopic {
			r.jobsARN = res.TopicARNs[0]
		}
	}
	r.JobsTopic, r.ResultsTopic = jobsTopic, resultsTopic
	return r
}

// put puts jobs' bodies on the input: published to the jobs topic with
// topics, sent to the input queue without.
func (r *rig) put(ctx context.Context, bodies []string) error {
	switch {
	case r.jobsARN != "":
		return reliability.Publish(ctx, r.sns, r.jobsARN, bodies)
	case r.FIFO:
		return reliability.SendFIFO(ctx, r.sqs, r.Input, bodies, func(i int) (string, string) {
			sum := sha256.Sum256([]byte(bodies[i]))
			return fmt.Sprintf("g%02d", jobNumber(bodies[i])%fifoGroups), hex.EncodeToString(sum[:])
		})
	}
	return reliability.Send(ctx, r.sqs, r.Input, bodies)
}

// maxReceives is the input queue's maxReceiveCount: high enough that kills
// and faults alone do not dead-letter a good job.
const maxReceives = 20

// newRig starts an emulator (closed when the test ends) and creates the
// queues.
func newRig(t *testing.T, opts emulator.Options) *rig {
	t.Helper()
	srv, err := emulator.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("start the emulator: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	r := &rig{srv: srv, sqs: sqs.NewFromConfig(srv.Config()), sns: sns.NewFromConfig(srv.Config())}
	r.createQueues(t)
	return r
}

func (r *rig) createQueues(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	suffix := ""
	if r.FIFO {
		suffix = ".fifo"
	}
	create := func(name string, attrs map[string]string) string {
		name += suffix
		if r.FIFO {
			attrs = maps.Clone(attrs)
			if attrs == nil {
				attrs = map[string]string{}
			}
			attrs["FifoQueue"] = "true"
		}
		out, err := r.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		if err != nil {
			t.Fatalf("create queue %s: %v", name, err)
		}
		return aws.ToString(out.QueueUrl)
	}
	r.DLQ = create("reliability-dlq", nil)
	r.Output = create("reliability-out", nil)
	receives := maxReceives
	if r.maxReceives > 0 {
		receives = r.maxReceives
	}
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:reliability-dlq%s","maxReceiveCount":"%d"}`, suffix, receives)
	r.Input = create("reliability-in", map[string]string{"RedrivePolicy": redrive, "VisibilityTimeout": "5"})
}

// jobNumber returns NNNNNN of the job-NNNNNN in body, or 0.
func jobNumber(body string) int {
	id, _ := reliability.JobID(body)
	var n int
	fmt.Sscanf(id, "job-%d", &n)
	return n
}

// slowEvery makes one job in so many take 10-50ms.
const slowEvery = 10

// jobs returns n jobs named job-000000 on, one in every poisonEvery poison
// (none if poisonEvery is 0), one in every slowEvery slow, and their sealed
// bodies.
func jobs(t *testing.T, n, poisonEvery int) ([]reliability.Job, []string) {
	t.Helper()
	js := make([]reliability.Job, n)
	bodies := make([]string, n)
	for i := range js {
		js[i] = reliability.Job{ID: fmt.Sprintf("job-%06d", i), N: int64(i)}
		if poisonEvery > 0 && i%poisonEvery == poisonEvery-1 {
			js[i].Poison = true
		}
		if i%slowEvery == slowEvery/2 {
			// Some jobs take a while, so that a stop finds work in every
			// stage of the pipeline.
			js[i].SleepMS = 10 + i%40
		}
		var err error
		if bodies[i], err = reliability.SealJob(js[i]); err != nil {
			t.Fatal(err)
		}
	}
	return js, bodies
}

// drains drains the output queue and the dead-letter queue into two
// ledgers (with room for hint ids) until stop is called; stop waits for the drains to return.
func (r *rig) drains(t *testing.T, hint int) (out, dlq *reliability.Ledger, stop func()) {
	t.Helper()
	out, dlq = reliability.NewLedger(hint), reliability.NewLedger(hint/poisonEvery+1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := reliability.Drain(ctx, r.sqs, r.Output, 2, reliability.ResultID, out); err != nil {
			t.Errorf("drain the output queue: %v", err)
		}
	})
	wg.Go(func() {
		if err := reliability.Drain(ctx, r.sqs, r.DLQ, 1, reliability.JobID, dlq); err != nil {
			t.Errorf("drain the dead-letter queue: %v", err)
		}
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return out, dlq, stop
}

// finish drains what is left in the output and dead-letter queues once
// nothing else writes to them.
func (r *rig) finish(t *testing.T, out, dlq *reliability.Ledger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := reliability.DrainAll(ctx, r.sqs, r.Output, reliability.ResultID, out); err != nil {
		t.Fatalf("drain the output queue: %v", err)
	}
	if err := reliability.DrainAll(ctx, r.sqs, r.DLQ, reliability.JobID, dlq); err != nil {
		t.Fatalf("drain the dead-letter queue: %v", err)
	}
}

// waitEmpty waits until the queue at url holds no message, visible or not.
// The queue lives in the emulator and tells no one when it empties, so this
// polls.
func (r *rig) waitEmpty(ctx context.Context, url string) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		c, err := reliability.Counts(ctx, r.sqs, url)
		if err != nil {
			return err
		}
		if c.Total() == 0 {
			return nil
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("queue %s still holds %+v: %w", url, c, ctx.Err())
		}
	}
}

// tally is what a test found at the end: how many of the ids it sent are
// in neither queue, and how many sightings were beyond the first.
type tally struct {
	lost, duplicates, delivered, deadLettered int
	missing                                   []string
}

func count(js []reliability.Job, out, dlq *reliability.Ledger) tally {
	ids := make([]string, len(js))
	for i, j := range js {
		ids[i] = j.ID
	}
	missing := reliability.Missing(ids, out, dlq)
	both := 0
	for _, id := range ids {
		if out.Count(id) > 0 && dlq.Count(id) > 0 {
			both++
		}
	}
	return tally{
		lost:         len(missing),
		missing:      missing,
		duplicates:   out.Duplicates() + dlq.Duplicates() + both,
		delivered:    out.Unique(),
		deadLettered: dlq.Unique(),
	}
}

// worker is a worker process: the test binary run again as a pipeline.
type worker struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // set before done is closed
}

// startWorker starts a worker process and waits until it runs.
func startWorker(t *testing.T, spec reliability.WorkerSpec) *worker {
	t.Helper()
	env, err := spec.Env()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	w := &worker{cmd: cmd, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = w.out
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start a worker: %v", err)
	}
	running := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			fmt.Fprintln(w.out, sc.Text())
			if !signalled && strings.HasPrefix(sc.Text(), "worker: running") {
				signalled = true
				close(running)
			}
		}
		w.err = cmd.Wait()
		if !signalled {
			close(running)
		}
		close(w.done)
	}()
	t.Cleanup(func() {
		select {
		case <-w.done:
		default:
			cmd.Process.Kill()
			<-w.done
		}
	})
	select {
	case <-running:
	case <-time.After(30 * time.Second):
		t.Fatalf("the worker did not start:\n%s", w.out.String())
	}
	return w
}

// stop sends sig to the worker and waits for it to exit; it returns the
// process's exit error (nil for a clean exit).
func (w *worker) stop(t *testing.T, sig syscall.Signal, timeout time.Duration) error {
	t.Helper()
	if err := w.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal the worker: %v", err)
	}
	select {
	case <-w.done:
		return w.err
	case <-time.After(timeout):
		w.cmd.Process.Kill()
		<-w.done
		t.Fatalf("the worker did not exit within %v of %v:\n%s", timeout, sig, w.out.String())
		return nil
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
