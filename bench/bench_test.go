package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/emulator"
)

// TestMain runs a worker when the harness re-executes the test binary (as
// it re-executes the bench binary), and the tests otherwise.
func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) != "" {
		os.Exit(workerMain(os.Stdin, os.Stdout))
	}
	goleak.VerifyTestMain(m)
}

// TestEveryImplementation runs every implementation on every scenario with
// a tiny N against an embedded emulator, each in a worker process as the
// command does, and checks the correctness check passed and the figures
// were measured.
func TestEveryImplementation(t *testing.T) {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range impls {
		impl := im.Name
		t.Run(impl, func(t *testing.T) {
			t.Parallel()
			h, err := NewHarness(ctx, srv.Endpoint(), exe)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			h.Timeout = time.Minute
			specs := []Spec{
				{Impl: impl, Scenario: ScenarioDrain, N: 40, Window: 20},
				{Impl: impl, Scenario: ScenarioTransform, N: 40, Window: 20},
				{Impl: impl, Scenario: ScenarioSlow, N: 30, Window: 10},
				{Impl: impl, Scenario: ScenarioLatency, Window: 20, Rate: 100, Duration: 300 * time.Millisecond},
				{Impl: impl, Scenario: ScenarioFIFO, N: 40, Window: 20, Groups: 4},
			}
			for _, s := range specs {
				if !im.runs(s.Scenario) {
					continue
				}
				t.Run(s.Scenario, func(t *testing.T) {
					is := is.New(t)
					r := h.Run(ctx, s)
					if impl == "gocloud" && s.Scenario == ScenarioFIFO && r.OrderViolations != nil && *r.OrderViolations > 0 {
						// gocloud pubsub knows nothing of message groups and
						// hands out a batch's messages to concurrent handlers:
						// order within a group is not kept. The report shows it.
						r.OK, r.Error = r.Missing == 0, ""
					}
					if !r.OK {
						t.Fatalf("%s %s failed: %s (%+v)", impl, s.Scenario, r.Error, r)
					}
					is.Equal(r.Unique, int64(r.N)) // every message handled
					is.True(r.MsgsPerSec > 0)
					is.True(r.RequestsPerMsg > 0)
					is.True(r.ServerRequestsPerMsg != nil) // the emulator's counters were read
					is.True(r.CPUSec > 0)
					is.True(r.PeakRSSMB > 0)
					switch s.Scenario {
					case ScenarioTransform:
						is.True(r.Downstream != nil && *r.Downstream == int64(r.N)) // all N invoices downstream
					case ScenarioLatency:
						is.True(r.P50Ms != nil && r.P99Ms != nil && *r.P50Ms <= *r.P99Ms)
						is.Equal(r.N, 30) // rate × duration
					case ScenarioFIFO:
						is.True(r.OrderViolations != nil)
					}
				})
			}
		})
	}
}

// TestRequestsPerMessage checks the request counts of the two
// hand-written patterns against what their request patterns must cost:
// the counting itself is what the cost targets rest on.
func TestRequestsPerMessage(t *testing.T) {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHarness(ctx, srv.Endpoint(), exe)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	tests := []struct {
		impl string
		// PublishBatch and DeleteMessageBatch for each batch of 10; the
		// receives are at least N/10 (a poll may return fewer).
		publish, delete string
		perMsg          int64
	}{
		{impl: "rawsdk", publish: "SNS:PublishBatch", delete: "SQS:DeleteMessageBatch", perMsg: 10},
		{impl: "tomodachi-pattern", publish: "SNS:Publish", delete: "SQS:DeleteMessage", perMsg: 1},
	}
	for _, tt := range tests {
		t.Run(tt.impl, func(t *testing.T) {
			is := is.New(t)
			const n = 100
			r := h.Run(ctx, Spec{Impl: tt.impl, Scenario: ScenarioTransform, N: n, Window: 10})
			is.True(r.OK)
			if tt.perMsg == 1 {
				is.Equal(r.Requests[tt.publish], int64(n)) // one Publish per message
				is.Equal(r.Requests[tt.delete], int64(n))  // one DeleteMessage per message
			} else {
				is.True(r.Requests[tt.publish] >= n/10) // batches of at most 10
				is.True(r.Requests[tt.delete] >= n/10)
			}
			is.True(r.Requests["SQS:ReceiveMessage"] >= n/10)
			var total int64
			for _, c := range r.Requests {
				total += c
			}
			is.Equal(r.RequestsPerMsg, float64(total)/n)                          // per message is the total over N
			is.True(r.ServerRequestsPerMsg != nil && *r.ServerRequestsPerMsg > 0) // the emulator saw them too
		})
	}
}

func TestReportRendersAndChecksTargets(t *testing.T) {
	is := is.New(t)
	f := func(v float64) *float64 { return &v }
	rs := []Result{
		{Impl: "sqsflow", Scenario: ScenarioTransform, N: 1000, Window: 100, MsgsPerSec: 950, RequestsPerMsg: 0.305, OK: true, P50Ms: nil},
		{Impl: "rawsdk", Scenario: ScenarioTransform, N: 1000, Window: 100, MsgsPerSec: 1000, RequestsPerMsg: 0.3, OK: true},
		{Impl: "watermill", Scenario: ScenarioTransform, N: 1000, Window: 100, MsgsPerSec: 500, RequestsPerMsg: 2.3, OK: true},
		{Impl: "gocloud", Scenario: ScenarioTransform, N: 1000, Window: 100, MsgsPerSec: 1200, RequestsPerMsg: 1.1, OK: true},
		{Impl: "sqsflow", Scenario: ScenarioSlow, N: 100, Window: 10, MsgsPerSec: 480, OK: true},
		{Impl: "sqsflow", Scenario: ScenarioSlow, N: 100, Window: 100, MsgsPerSec: 4500, OK: true},
		{Impl: "sqsflow", Scenario: ScenarioDrain, N: 10000, Window: 100, MsgsPerSec: 9000, PeakRSSMB: 40, OK: true},
		{Impl: "sqsflow", Scenario: ScenarioDrain, N: 1000000, Window: 100, MsgsPerSec: 9000, PeakRSSMB: 45, OK: true},
		{Impl: "sqsflow", Scenario: ScenarioLatency, N: 2000, Window: 100, P50Ms: f(1.5), P99Ms: f(4), OK: true},
	}
	sortResults(rs)
	md := markdown(rs, "go run ./bench")
	for _, want := range []string{
		"transform, sqsflow ≥ 0.9× rawsdk throughput: 0.95×",
		"sqsflow ahead of watermill: 1.90×",
		"sqsflow ahead of gocloud: 0.79× (950 vs 1200 msgs/s): MISSED",
		"≤ 0.31 AWS requests per message: 0.305: met",
		"slow handler, sqsflow throughput scales with the window",
		"×9.4 for ×10 window: met",
		"40 MiB at N=10000 vs 45 MiB at N=1000000: met",
		"| 1.5 / 4.0 |",
	} {
		is.True(strings.Contains(md, want)) // the report says what the figures mean
	}

	var jsonl bytes.Buffer
	is.NoErr(writeJSONL(&jsonl, rs))
	is.Equal(strings.Count(jsonl.String(), "\n"), len(rs)) // one line per result
	path := t.TempDir() + "/latest.jsonl"
	is.NoErr(os.WriteFile(path, jsonl.Bytes(), 0o644))
	back, err := readJSONL(path)
	is.NoErr(err)
	is.Equal(len(back), len(rs))

	replaced := rs[0]
	replaced.MsgsPerSec = 1
	merged := mergeResults(back, []Result{replaced})
	is.Equal(len(merged), len(rs)) // same key replaces, does not add
	got, _ := find(merged, replaced.Impl, replaced.Scenario, replaced.N, replaced.Window)
	is.Equal(got.MsgsPerSec, 1.0)

	var img bytes.Buffer
	is.NoErr(writeChart(&img, rs))
	cfg, err := png.DecodeConfig(&img)
	is.NoErr(err)             // a PNG
	is.True(cfg.Width > 1000) // three panels side by side
}

func TestFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		ok   bool
		runs int
	}{
		// Five implementations in every scenario, four windows for slow;
		// sqsflow-strict in fifo only.
		{name: "defaults", args: nil, ok: true, runs: 5 + 5 + 5*4 + 5 + 5 + 1},
		{name: "strict outside fifo", args: []string{"-scenario", "transform", "-impl", "sqsflow-strict"}, ok: true, runs: 0},
		{name: "one scenario", args: []string{"-scenario", "transform", "-impl", "sqsflow,rawsdk"}, ok: true, runs: 2},
		{name: "windows", args: []string{"-scenario", "slow", "-impl", "sqsflow", "-windows", "10,20,40"}, ok: true, runs: 3},
		{name: "unknown scenario", args: []string{"-scenario", "nope"}},
		{name: "unknown implementation", args: []string{"-impl", "kafka"}},
		{name: "bad window", args: []string{"-window", "0"}},
		{name: "bad windows", args: []string{"-windows", "10,x"}},
		{name: "stray argument", args: []string{"extra"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			o, err := parseFlags(tt.args)
			if !tt.ok {
				is.True(err != nil) // bad flags are an error, not a panic
				return
			}
			is.NoErr(err)
			is.Equal(len(o.specs()), tt.runs)
		})
	}
}

func TestMedianAndGroups(t *testing.T) {
	runs := []Result{
		{Impl: "sqsflow", MsgsPerSec: 900, OK: true},
		{Impl: "sqsflow", MsgsPerSec: 1200, OK: false}, // a failed run counts as the slowest
		{Impl: "sqsflow", MsgsPerSec: 1000, OK: true},
	}
	m := median(runs)
	if m.MsgsPerSec != 900 || len(m.Rounds) != 3 || m.Rounds[1] != 1200 {
		t.Fatalf("median = %v msgs/s, rounds %v; want 900 and all three rounds", m.MsgsPerSec, m.Rounds)
	}
	if one := median(runs[:1]); one.Rounds != nil {
		t.Fatalf("a single run records rounds %v", one.Rounds)
	}
	groups := groupSpecs([]Spec{
		{Impl: "sqsflow", Scenario: ScenarioSlow, N: 10, Window: 10},
		{Impl: "sqsflow", Scenario: ScenarioSlow, N: 10, Window: 50},
		{Impl: "rawsdk", Scenario: ScenarioSlow, N: 10, Window: 10},
	})
	if len(groups) != 2 || len(groups[0]) != 2 || groups[0][1].Impl != "rawsdk" {
		t.Fatalf("groups = %v; want the two window-10 runs together", groups)
	}
}
