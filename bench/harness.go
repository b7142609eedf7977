package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/sqsflow/sqsflow/provision"
)

// Harness prepares queues, runs each (implementation, scenario) in a worker
// process and measures it.
type Harness struct {
	Endpoint string
	// ServerPid is the endpoint's process, for its CPU time (0: unknown).
	ServerPid int
	// Exe is the binary to re-execute as a worker (this one, or the test
	// binary).
	Exe string
	// Progress receives progress lines ("" when a run ends).
	Progress func(line string)
	// Timeout bounds one run.
	Timeout time.Duration
	// ProfileDir, when set, receives a CPU profile of each worker,
	// IMPL-SCENARIO[-wWINDOW].pprof.
	ProfileDir string

	runID     string
	counter   *Counter
	sqs       *sqs.Client
	sns       *sns.Client
	transport *http.Transport
	http      *http.Client
}

// NewHarness makes the harness's own clients (counted separately from the
// workers').
func NewHarness(ctx context.Context, endpoint, exe string) (*Harness, error) {
	h := &Harness{Endpoint: endpoint, Exe: exe, Progress: func(string) {}, counter: NewCounter()}
	cfg, tr, err := awsConfig(ctx, endpoint, h.counter)
	if err != nil {
		return nil, err
	}
	h.transport = tr
	h.http = &http.Client{Transport: tr}
	h.sqs = sqs.NewFromConfig(cfg)
	h.sns = sns.NewFromConfig(cfg)
	var b [3]byte
	rand.Read(b[:])
	h.runID = hex.EncodeToString(b[:])
	return h, nil
}

// Close releases the harness's connections.
func (h *Harness) Close() { h.transport.CloseIdleConnections() }

// Spec is one run.
type Spec struct {
	Impl     string
	Scenario string
	N        int
	Window   int
	Groups   int
	// Rate and Duration drive the latency scenario's producer (N is then
	// Rate*Duration).
	Rate     int
	Duration time.Duration
}

// Run measures one implementation on one scenario. Failures are reported
// in the Result (OK false, Error set), not as an error.
func (h *Harness) Run(ctx context.Context, s Spec) Result {
	res := Result{Impl: s.Impl, Scenario: s.Scenario, N: s.N, Window: s.Window, Endpoint: h.Endpoint, Time: time.Now().UTC().Format(time.RFC3339)}
	impl, ok := implByName(s.Impl)
	if !ok {
		res.Error = fmt.Sprintf("unknown implementation %q (have %s)", s.Impl, strings.Join(implNames(), ", "))
		return res
	}
	if s.Scenario == ScenarioLatency {
		s.N = max(1, int(float64(s.Rate)*s.Duration.Seconds()))
		res.N = s.N
	}
	job, cleanup, err := h.prepare(ctx, impl, s)
	defer cleanup()
	if err != nil {
		res.Error = "prepare: " + err.Error()
		return res
	}
	h.Progress(fmt.Sprintf("%s %s: starting", s.Impl, label(s)))

	before, haveStats := fetchStats(ctx, h.http, h.Endpoint)
	cpuBefore, haveCPU := procCPU(h.ServerPid)
	ownBefore := h.counter.Requests()

	wres, usage, err := h.runWorker(ctx, job, s)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res = mergeWorker(res, wres)
	res.CPUSec = usage.cpu.Seconds()
	if res.PeakRSSMB == 0 { // the worker could not read its own (not Linux)
		res.PeakRSSMB = usage.rssMB
	}
	n := float64(s.N)
	res.CPUSecPerMsg = res.CPUSec / n
	if after, ok := fetchStats(ctx, h.http, h.Endpoint); ok && haveStats {
		own := h.counter.Requests() - ownBefore
		v := float64(after.total()-before.total()-own) / n
		res.ServerRequestsPerMsg = &v
	}
	if cpuAfter, ok := procCPU(h.ServerPid); ok && haveCPU {
		v := (cpuAfter - cpuBefore).Seconds() / n
		res.ServerCPUSecPerMsg = &v
	}
	if s.Scenario == ScenarioTransform {
		found, err := h.checkDownstream(ctx, job)
		res.Downstream = &found
		if err != nil && res.Error == "" {
			res.Error = "downstream check: " + err.Error()
		}
		if found != int64(s.N) && res.Error == "" {
			res.Error = fmt.Sprintf("downstream queue holds %d of %d invoices", found, s.N)
		}
	}
	res.OK = res.Error == "" && res.Missing == 0 && res.Foreign == 0 &&
		(res.OrderViolations == nil || *res.OrderViolations == 0)
	if res.Error == "" && !res.OK {
		res.Error = "correctness check failed"
	}
	return res
}

// mergeWorker copies what the worker measured into the harness's result.
func mergeWorker(res, w Result) Result {
	res.MsgsPerSec, res.RequestsPerMsg, res.ElapsedSec = w.MsgsPerSec, w.RequestsPerMsg, w.ElapsedSec
	res.P50Ms, res.P99Ms = w.P50Ms, w.P99Ms
	res.Handled, res.Unique, res.Duplicates, res.Missing, res.Foreign = w.Handled, w.Unique, w.Duplicates, w.Missing, w.Foreign
	res.OrderViolations, res.Requests, res.Error = w.OrderViolations, w.Requests, w.Error
	res.PeakRSSMB = w.PeakRSSMB
	return res
}

func label(s Spec) string {
	switch s.Scenario {
	case ScenarioSlow:
		return fmt.Sprintf("%s window=%d N=%d", s.Scenario, s.Window, s.N)
	case ScenarioLatency:
		return fmt.Sprintf("%s %d msg/s for %v", s.Scenario, s.Rate, s.Duration)
	}
	return fmt.Sprintf("%s N=%d", s.Scenario, s.N)
}

type usage struct {
	cpu   time.Duration
	rssMB float64
}

// runWorker runs the job in a child process, relays its progress, drives
// the latency producer, and returns its result and resource usage.
func (h *Harness) runWorker(ctx context.Context, job Job, s Spec) (Result, usage, error) {
	var res Result
	in, err := json.Marshal(job)
	if err != nil {
		return res, usage{}, err
	}
	cmd := exec.CommandContext(ctx, h.Exe)
	cmd.Env = append(os.Environ(), workerEnv+"=1")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 64 << 10}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, usage{}, err
	}
	if err := cmd.Start(); err != nil {
		return res, usage{}, fmt.Errorf("start worker: %w", err)
	}
	var producer sync.WaitGroup
	pctx, stopProducer := context.WithCancel(ctx)
	defer stopProducer()
	var produceErr atomic.Value
	start := time.Now()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 64<<10), 16<<20)
	var gotResult bool
	for lines.Scan() {
		line := lines.Text()
		switch {
		case line == lineReady:
			if s.Scenario == ScenarioLatency {
				producer.Go(func() {
					if err := h.produce(pctx, job, s); err != nil && pctx.Err() == nil {
						produceErr.Store(err)
					}
				})
			}
		case strings.HasPrefix(line, lineProgress):
			done, _ := strconv.ParseInt(strings.TrimPrefix(line, lineProgress), 10, 64)
			el := time.Since(start).Seconds()
			h.Progress(fmt.Sprintf("%s %s: %d/%d handled, %.0fs, %.0f msg/s", s.Impl, label(s), done, job.N, el, float64(done)/max(el, 1e-3)))
		case strings.HasPrefix(line, lineResult):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, lineResult)), &res); err != nil {
				return res, usage{}, fmt.Errorf("read the worker's result: %w", err)
			}
			gotResult = true
		}
	}
	stopProducer()
	producer.Wait()
	waitErr := cmd.Wait()
	h.Progress("")
	cpu, rss := childUsage(cmd.ProcessState)
	u := usage{cpu: cpu, rssMB: rss}
	if !gotResult {
		return res, u, fmt.Errorf("worker ended without a result (%v): %s", waitErr, lastLines(stderr.String(), 20))
	}
	if err, _ := produceErr.Load().(error); err != nil && res.Error == "" {
		res.Error = "producer: " + err.Error()
	}
	return res, u, nil
}

// produce publishes job.N orders to the input topic at s.Rate per second,
// each stamped with its send time, one Publish each (as a service
// publishing events one by one would).
func (h *Harness) produce(ctx context.Context, job Job, s Spec) error {
	interval := time.Second / time.Duration(max(1, s.Rate))
	start := time.Now()
	for i := 0; i < job.N; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		now := time.Now()
		body, err := sealJSON(job.TopicIn, newOrder(int64(i), "", now))
		if err != nil {
			return err
		}
		if _, err := h.sns.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(job.TopicInARN), Message: aws.String(string(body))}); err != nil {
			return err
		}
	}
	return nil
}

// prepare creates the run's topics and queues, subscribes what the
// implementation does not subscribe itself, and fills the input queue.
func (h *Harness) prepare(ctx context.Context, impl Impl, s Spec) (Job, func(), error) {
	fifo := s.Scenario == ScenarioFIFO
	base := fmt.Sprintf("bench-%s-%s-%s", h.runID, impl.Short, s.Scenario)
	if s.Scenario == ScenarioSlow {
		base += "-w" + strconv.Itoa(s.Window)
	}
	job := Job{
		Impl: s.Impl, Scenario: s.Scenario, N: s.N, Window: s.Window, Groups: s.Groups,
		Endpoint: h.Endpoint, FIFO: fifo, Timeout: h.Timeout,
		TopicIn: base + "-in", QueueIn: base + "-in",
	}
	if s.Scenario == ScenarioSlow {
		job.SlowWork = 20 * time.Millisecond
	}
	if h.ProfileDir != "" {
		name := s.Impl + "-" + s.Scenario
		if s.Scenario == ScenarioSlow {
			name += "-w" + strconv.Itoa(s.Window)
		}
		job.CPUProfile = filepath.Join(h.ProfileDir, name+".pprof")
	}
	if fifo {
		job.QueueIn += ".fifo"
	}
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	var err error
	job.TopicInName = provision.Naming{}.TopicName(job.TopicIn, fifo)
	if job.TopicInARN, err = h.createTopic(ctx, job.TopicInName, fifo, &cleanups); err != nil {
		return job, cleanup, err
	}
	attrs := map[string]string{"VisibilityTimeout": "30"}
	if fifo {
		attrs["FifoQueue"] = "true"
	}
	if job.QueueInURL, err = h.createQueue(ctx, job.QueueIn, attrs, &cleanups); err != nil {
		return job, cleanup, err
	}
	if !impl.Provisions {
		if err := h.subscribe(ctx, job.TopicInARN, job.QueueInURL, impl.Raw); err != nil {
			return job, cleanup, err
		}
	}
	if s.Scenario == ScenarioTransform {
		job.TopicOut = base + "-out"
		job.TopicOutName = provision.Naming{}.TopicName(job.TopicOut, false)
		if job.TopicOutARN, err = h.createTopic(ctx, job.TopicOutName, false, &cleanups); err != nil {
			return job, cleanup, err
		}
		outURL, err := h.createQueue(ctx, base+"-out", map[string]string{"VisibilityTimeout": "900"}, &cleanups)
		if err != nil {
			return job, cleanup, err
		}
		if err := h.subscribe(ctx, job.TopicOutARN, outURL, false); err != nil {
			return job, cleanup, err
		}
		job.queueOutURL = outURL
	}
	if s.Scenario != ScenarioLatency {
		h.Progress(fmt.Sprintf("%s %s: filling the queue", s.Impl, label(s)))
		if err := h.prefill(ctx, job, impl.Raw); err != nil {
			return job, cleanup, err
		}
	}
	return job, cleanup, nil
}

func (h *Harness) createTopic(ctx context.Context, name string, fifo bool, cleanups *[]func()) (string, error) {
	in := &sns.CreateTopicInput{Name: aws.String(name)}
	if fifo {
		in.Attributes = map[string]string{"FifoTopic": "true"}
	}
	out, err := h.sns.CreateTopic(ctx, in)
	if err != nil {
		return "", fmt.Errorf("create topic %s: %w", name, err)
	}
	arn := aws.ToString(out.TopicArn)
	*cleanups = append(*cleanups, func() {
		h.sns.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
	})
	return arn, nil
}

func (h *Harness) createQueue(ctx context.Context, name string, attrs map[string]string, cleanups *[]func()) (string, error) {
	out, err := h.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", name, err)
	}
	url := aws.ToString(out.QueueUrl)
	*cleanups = append(*cleanups, func() {
		h.sqs.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	})
	return url, nil
}

func (h *Harness) subscribe(ctx context.Context, topicARN, queueURL string, raw bool) error {
	out, err := h.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("queue arn of %s: %w", queueURL, err)
	}
	in := &sns.SubscribeInput{
		TopicArn: aws.String(topicARN), Protocol: aws.String("sqs"),
		Endpoint: aws.String(out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
	}
	if raw {
		in.Attributes = map[string]string{"RawMessageDelivery": "true"}
	}
	if _, err := h.sns.Subscribe(ctx, in); err != nil {
		return fmt.Errorf("subscribe %s to %s: %w", queueURL, topicARN, err)
	}
	return nil
}

// prefill sends job.N orders to the input queue with many concurrent
// SendMessageBatch calls, each body in the form the implementation's
// subscription delivers (an SNS notification, or the envelope itself for
// raw delivery). On a FIFO queue each sender owns a set of groups and
// sends them in order, so every group is stored in sequence order.
func (h *Harness) prefill(ctx context.Context, job Job, raw bool) error {
	const senders = 16
	var sent atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	now := time.Now()
	body := func(seq int64, group string) (string, error) {
		env, err := sealJSON(job.TopicIn, newOrder(seq, group, now))
		if err != nil || raw {
			return string(env), err
		}
		b, err := notification(job.TopicInARN, env)
		return string(b), err
	}
	for w := range senders {
		wg.Go(func() {
			var entries []sqstypes.SendMessageBatchRequestEntry
			flush := func() error {
				if len(entries) == 0 {
					return nil
				}
				out, err := h.sqs.SendMessageBatch(pctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(job.QueueInURL), Entries: entries})
				if err != nil {
					return err
				}
				if len(out.Failed) > 0 {
					return fmt.Errorf("SendMessageBatch: %d entries failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
				}
				sent.Add(int64(len(entries)))
				entries = entries[:0]
				return nil
			}
			for seq := int64(0); seq < int64(job.N); seq++ {
				var group string
				if job.FIFO {
					g := seq % int64(job.Groups)
					if g%senders != int64(w) {
						continue
					}
					group = groupOf(seq, job.Groups)
				} else if seq%senders != int64(w) {
					continue
				}
				b, err := body(seq, group)
				if err != nil {
					errs <- err
					cancel()
					return
				}
				e := sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.FormatInt(seq, 10)), MessageBody: aws.String(b)}
				if job.FIFO {
					e.MessageGroupId = aws.String(group)
					e.MessageDeduplicationId = aws.String(strconv.FormatInt(seq, 10))
				}
				entries = append(entries, e)
				if len(entries) == 10 {
					if err := flush(); err != nil {
						errs <- err
						cancel()
						return
					}
				}
			}
			if err := flush(); err != nil {
				errs <- err
				cancel()
			}
		})
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				h.Progress(fmt.Sprintf("%s %s: filling the queue, %d/%d", job.Impl, job.Scenario, sent.Load(), job.N))
			}
		}
	}()
	wg.Wait()
	close(stop)
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("fill %s: %w", job.QueueIn, err)
	}
	return nil
}

// checkDownstream counts the distinct invoices in the transform scenario's
// downstream queue. It receives with a long visibility timeout, so each
// message is seen once, until all N are found or the queue stays empty.
func (h *Harness) checkDownstream(ctx context.Context, job Job) (int64, error) {
	var mu sync.Mutex
	seen := make([]bool, job.N)
	var found atomic.Int64
	var bad atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			empty := 0
			for found.Load() < int64(job.N) && empty < 3 && ctx.Err() == nil {
				out, err := h.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
					QueueUrl: aws.String(job.queueOutURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 900,
				})
				if err != nil || len(out.Messages) == 0 {
					empty++
					continue
				}
				empty = 0
				for _, m := range out.Messages {
					payload, err := unwrapBody(aws.ToString(m.Body))
					if err != nil {
						bad.Add(1)
						continue
					}
					inv, err := openJSON[Invoice](payload)
					if err != nil || inv.Seq < 0 || inv.Seq >= int64(job.N) {
						bad.Add(1)
						continue
					}
					mu.Lock()
					if !seen[inv.Seq] {
						seen[inv.Seq] = true
						found.Add(1)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		return found.Load(), fmt.Errorf("%d downstream messages could not be read as invoices", n)
	}
	return found.Load(), nil
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func itoa(n int) string { return strconv.Itoa(n) }
