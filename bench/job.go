package main

import "time"

// The scenarios.
const (
	// ScenarioDrain: a queue pre-filled with N messages; consume, decode and
	// ack them all.
	ScenarioDrain = "drain"
	// ScenarioTransform: consume, decode the JSON envelope, map, publish to a
	// second topic, ack; the downstream queue is checked to hold all N.
	ScenarioTransform = "transform"
	// ScenarioSlow: each message takes SlowWork (a sleep); run once per
	// in-flight window.
	ScenarioSlow = "slow"
	// ScenarioLatency: a producer publishes at a steady rate to the topic;
	// the publish-to-handled latency distribution.
	ScenarioLatency = "latency"
	// ScenarioFIFO: a FIFO queue pre-filled with N messages in Groups
	// groups; consume and ack, order checked per group.
	ScenarioFIFO = "fifo"
)

var allScenarios = []string{ScenarioDrain, ScenarioTransform, ScenarioSlow, ScenarioLatency, ScenarioFIFO}

// Job is what the harness asks a worker process to do: one implementation,
// one scenario, against queues and topics the harness has made (and, except
// for latency, filled).
type Job struct {
	Impl     string        `json:"impl"`
	Scenario string        `json:"scenario"`
	N        int           `json:"n"`
	Window   int           `json:"window"`
	SlowWork time.Duration `json:"slow_work"`
	Groups   int           `json:"groups"`
	Endpoint string        `json:"endpoint"`
	FIFO     bool          `json:"fifo"`

	// TopicIn is the input topic as sqsflow names it (unprefixed, without
	// ".fifo"); TopicInName is its real name and TopicInARN its ARN.
	TopicIn     string `json:"topic_in"`
	TopicInName string `json:"topic_in_name"`
	TopicInARN  string `json:"topic_in_arn"`
	// QueueIn is the input queue's name (with ".fifo" for FIFO), QueueInURL
	// its URL.
	QueueIn    string `json:"queue_in"`
	QueueInURL string `json:"queue_in_url"`
	// TopicOut is the transform scenario's output topic, as TopicIn.
	TopicOut     string `json:"topic_out"`
	TopicOutName string `json:"topic_out_name"`
	TopicOutARN  string `json:"topic_out_arn"`

	queueOutURL string // the harness's: the transform scenario's downstream queue

	// CPUProfile, when set, is a file the worker writes a CPU profile to.
	CPUProfile string `json:"cpu_profile,omitempty"`

	// Timeout bounds the whole job; Stall ends it when nothing was handled
	// for that long.
	Timeout time.Duration `json:"timeout"`
	Stall   time.Duration `json:"stall"`
}

// Result is one measured (implementation, scenario) pair: one JSON line of
// latest.jsonl.
type Result struct {
	Impl     string `json:"impl"`
	Scenario string `json:"scenario"`
	N        int    `json:"n"`
	Window   int    `json:"window"`

	// MsgsPerSec is distinct messages handled per second, from the first
	// ReceiveMessage to the moment the last message was handled and acked
	// (and, for transform, published).
	MsgsPerSec float64 `json:"msgs_per_sec"`
	// RequestsPerMsg is every AWS request the implementation's clients sent
	// (set-up included, retries included), counted by SDK middleware, per
	// message. ServerRequestsPerMsg is the same from the emulator's counters
	// (GET /_emulator/stats), less the harness's own requests.
	RequestsPerMsg       float64  `json:"requests_per_msg"`
	ServerRequestsPerMsg *float64 `json:"server_requests_per_msg,omitempty"`
	// CPUSecPerMsg is the worker process's user+system CPU time per message
	// (the whole process life: start-up, set-up, consuming, shutdown).
	CPUSecPerMsg       float64  `json:"cpu_sec_per_msg"`
	ServerCPUSecPerMsg *float64 `json:"server_cpu_sec_per_msg,omitempty"`
	// P50Ms and P99Ms are the publish-to-handled latencies (latency scenario).
	P50Ms *float64 `json:"p50_ms,omitempty"`
	P99Ms *float64 `json:"p99_ms,omitempty"`
	// PeakRSSMB is the worker process's peak resident set (getrusage maxrss).
	PeakRSSMB float64 `json:"peak_rss_mb"`

	// The correctness check.
	Handled         int64  `json:"handled"`
	Unique          int64  `json:"unique"`
	Duplicates      int64  `json:"duplicates"`
	Missing         int64  `json:"missing"`
	Foreign         int64  `json:"foreign,omitempty"`
	OrderViolations *int64 `json:"order_violations,omitempty"`
	Downstream      *int64 `json:"downstream,omitempty"` // transform: distinct invoices found downstream
	OK              bool   `json:"ok"`
	Error           string `json:"error,omitempty"`

	// Rounds are the throughputs of every round when -repeat ran more than
	// one; the result is the median round's.
	Rounds []float64 `json:"rounds,omitempty"`

	ElapsedSec float64          `json:"elapsed_sec"`
	CPUSec     float64          `json:"cpu_sec"`
	Requests   map[string]int64 `json:"requests"`
	Endpoint   string           `json:"endpoint"`
	Time       string           `json:"time"`
}

// key identifies a result's row: a later result with the same key replaces
// an earlier one when results are merged.
func (r Result) key() string {
	return r.Impl + "|" + r.Scenario + "|" + itoa(r.N) + "|" + itoa(r.Window)
}
