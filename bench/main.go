package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	if os.Getenv(workerEnv) != "" {
		os.Exit(workerMain(os.Stdin, os.Stdout))
	}
	os.Exit(run(os.Args[1:]))
}

// options are the command's flags.
type options struct {
	scenarios []string
	impls     []string
	n         int
	fifoN     int
	slowN     int
	window    int
	windows   []int
	groups    int
	rate      int
	duration  time.Duration
	endpoint  string
	out       string
	appendRes bool
	timeout   time.Duration
	profile   string
	repeat    int
	replot    bool
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	scenarios := fs.String("scenario", strings.Join(allScenarios, ","), "comma-separated `scenarios`: "+strings.Join(allScenarios, ", "))
	implList := fs.String("impl", strings.Join(implNames(), ","), "comma-separated `implementations`: "+strings.Join(implNames(), ", "))
	fs.IntVar(&o.n, "n", 20000, "messages in the drain and transform scenarios")
	fs.IntVar(&o.fifoN, "fifo-n", 0, "messages in the FIFO scenario (0: same as -n)")
	fs.IntVar(&o.slowN, "slow-n", 4000, "messages per window in the slow-handler scenario")
	fs.IntVar(&o.window, "window", 100, "in-flight window of the drain, transform, latency and FIFO scenarios")
	windows := fs.String("windows", "10,50,100,200", "comma-separated in-flight `windows` of the slow-handler scenario")
	fs.IntVar(&o.groups, "groups", 100, "message groups in the FIFO scenario")
	fs.IntVar(&o.rate, "rate", 200, "messages per second the latency scenario's producer publishes")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long the latency scenario's producer publishes")
	fs.StringVar(&o.endpoint, "endpoint", "", "SNS+SQS `URL` to measure against (default: start `sqsflow local` in a child process)")
	fs.StringVar(&o.out, "out", "bench/results", "`directory` for latest.jsonl, latest.md and latest.png (relative to the module root)")
	fs.BoolVar(&o.appendRes, "append", false, "merge into the results already in -out (same implementation, scenario, N and window are replaced)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "limit for one implementation on one scenario")
	fs.StringVar(&o.profile, "cpuprofile", "", "`directory` to write a CPU profile of each worker to (go tool pprof)")
	fs.BoolVar(&o.replot, "replot", false, "run nothing: rewrite latest.md and latest.png in -out from its latest.jsonl")
	fs.IntVar(&o.repeat, "repeat", 1, "rounds per scenario: the implementations run in turn, round after round, and each keeps its median run (a shared machine drifts; ratios of medians of interleaved runs hold better than one run each)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./bench [flags]\n\nMeasures sqsflow and its peers side by side. Flags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var err error
	if o.scenarios, err = pickList(*scenarios, allScenarios, "scenario"); err != nil {
		return o, err
	}
	if o.impls, err = pickList(*implList, implNames(), "implementation"); err != nil {
		return o, err
	}
	for _, w := range strings.Split(*windows, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || v < 1 {
			return o, fmt.Errorf("-windows: %q is not a positive number", w)
		}
		o.windows = append(o.windows, v)
	}
	switch {
	case o.n < 1 || o.slowN < 1 || o.fifoN < 0:
		return o, fmt.Errorf("-n, -slow-n and -fifo-n must be positive")
	case o.window < 1:
		return o, fmt.Errorf("-window %d: must be at least 1", o.window)
	case o.groups < 1:
		return o, fmt.Errorf("-groups %d: must be at least 1", o.groups)
	case o.rate < 1 || o.duration <= 0:
		return o, fmt.Errorf("-rate and -duration must be positive")
	}
	if o.fifoN == 0 {
		o.fifoN = o.n
	}
	return o, nil
}

// pickList splits a comma-separated list and checks each item is known.
func pickList(s string, known []string, what string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !contains(known, item) {
			return nil, fmt.Errorf("unknown %s %q (have %s)", what, item, strings.Join(known, ", "))
		}
		out = append(out, item)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no %s given", what)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// specs lists the runs of the options, scenario by scenario.
func (o options) specs() []Spec {
	var out []Spec
	for _, sc := range o.scenarios {
		for _, impl := range o.impls {
			if im, _ := implByName(impl); !im.runs(sc) {
				continue
			}
			s := Spec{Impl: impl, Scenario: sc, N: o.n, Window: o.window, Groups: o.groups, Rate: o.rate, Duration: o.duration}
			switch sc {
			case ScenarioSlow:
				for _, w := range o.windows {
					s.N, s.Window = o.slowN, w
					out = append(out, s)
				}
				continue
			case ScenarioFIFO:
				s.N = o.fifoN
			}
			out = append(out, s)
		}
	}
	return out
}

func run(args []string) int {
	o, err := parseFlags(args)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runBench(ctx, o, strings.Join(append([]string{"go run ./bench"}, args...), " ")); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	return 0
}

func runBench(ctx context.Context, o options, command string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.replot {
		return replot(root, o.out)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	endpoint, pid := o.endpoint, 0
	if endpoint == "" {
		fmt.Fprintln(os.Stderr, "bench: building and starting `sqsflow local`...")
		local, err := startLocal(ctx, root)
		if err != nil {
			return err
		}
		defer local.Close()
		endpoint, pid = local.URL, local.Pid()
	} else if err := waitHealthy(ctx, endpoint, 10*time.Second); err != nil {
		return err
	}
	h, err := NewHarness(ctx, endpoint, exe)
	if err != nil {
		return err
	}
	defer h.Close()
	h.ServerPid = pid
	h.Timeout = o.timeout
	if o.profile != "" {
		if h.ProfileDir, err = filepath.Abs(o.profile); err != nil {
			return err
		}
		if err := os.MkdirAll(h.ProfileDir, 0o755); err != nil {
			return err
		}
	}
	h.Progress = progressPrinter()

	outDir := o.out
	if !filepath.IsAbs(outDir) {
		outDir = filepath.Join(root, outDir)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	jsonlPath := filepath.Join(outDir, "latest.jsonl")
	var previous []Result
	if o.appendRes {
		if previous, err = readJSONL(jsonlPath); err != nil {
			return err
		}
	}

	var fresh []Result
	for _, group := range groupSpecs(o.specs()) {
		rounds := make([][]Result, len(group))
		for round := 0; round < max(o.repeat, 1) && ctx.Err() == nil; round++ {
			for i, s := range group {
				if ctx.Err() != nil {
					break
				}
				r := h.Run(ctx, s)
				rounds[i] = append(rounds[i], r)
				line, _ := jsonLine(r)
				fmt.Println(line) // JSON lines on stdout, for machines
				status := "ok"
				if !r.OK {
					status = "FAILED: " + r.Error
				}
				fmt.Fprintf(os.Stderr, "%-18s %-9s N=%-7d window=%-4d round %d: %9.0f msgs/s %6.3f req/msg %6.1f µs CPU/msg %6.0f MiB  %s\n",
					r.Impl, r.Scenario, r.N, r.Window, round+1, r.MsgsPerSec, r.RequestsPerMsg, r.CPUSecPerMsg*1e6, r.PeakRSSMB, status)
			}
		}
		for _, runs := range rounds {
			if len(runs) > 0 {
				fresh = append(fresh, median(runs))
			}
		}
	}
	all := mergeResults(previous, fresh)
	if !o.appendRes {
		all = mergeResults(nil, fresh)
	}
	return writeResults(outDir, all, command)
}

// writeResults writes latest.jsonl, latest.md and latest.png.
func writeResults(dir string, rs []Result, command string) error {
	f, err := os.Create(filepath.Join(dir, "latest.jsonl"))
	if err != nil {
		return err
	}
	if err := writeJSONL(f, rs); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	md := markdown(rs, command)
	if err := os.WriteFile(filepath.Join(dir, "latest.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprint(os.Stderr, "\n"+md)
	png, err := os.Create(filepath.Join(dir, "latest.png"))
	if err != nil {
		return err
	}
	if err := writeChart(png, rs); err != nil {
		png.Close()
		return err
	}
	if err := png.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\nwrote %s/latest.{jsonl,md,png}\n", dir)
	return nil
}

// progressPrinter shows progress on one rewritten line when stderr is a
// terminal, and a line every few seconds otherwise.
func progressPrinter() func(string) {
	fi, err := os.Stderr.Stat()
	tty := err == nil && fi.Mode()&os.ModeCharDevice != 0
	var last time.Time
	return func(line string) {
		if tty {
			fmt.Fprintf(os.Stderr, "\r\033[K%s", line)
			return
		}
		if line != "" && time.Since(last) >= 5*time.Second {
			last = time.Now()
			fmt.Fprintln(os.Stderr, line)
		}
	}
}

// groupSpecs splits specs into groups that are compared with each other:
// the implementations of one scenario at one N and window, in order.
func groupSpecs(specs []Spec) [][]Spec {
	var groups [][]Spec
	index := map[string]int{}
	for _, s := range specs {
		key := fmt.Sprintf("%s/%d/%d", s.Scenario, s.N, s.Window)
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], s)
	}
	return groups
}

// median returns the run with the median throughput, recording every
// round's throughput in it. A failed run counts as the slowest.
func median(runs []Result) Result {
	sorted := append([]Result(nil), runs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].OK != sorted[j].OK {
			return !sorted[i].OK
		}
		return sorted[i].MsgsPerSec < sorted[j].MsgsPerSec
	})
	m := sorted[len(sorted)/2]
	if len(runs) > 1 {
		m.Rounds = make([]float64, len(runs))
		for i, r := range runs {
			m.Rounds[i] = r.MsgsPerSec
		}
	}
	return m
}

// replot rewrites latest.md and latest.png from latest.jsonl, keeping the
// command line the results were made with.
func replot(root, out string) error {
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	rs, err := readJSONL(filepath.Join(out, "latest.jsonl"))
	if err != nil {
		return err
	}
	command := "go run ./bench"
	if md, err := os.ReadFile(filepath.Join(out, "latest.md")); err == nil {
		first, _, _ := strings.Cut(string(md), "\n")
		if c, ok := strings.CutPrefix(first, "Command: `"); ok {
			command = strings.TrimSuffix(c, "`")
		} else if strings.HasPrefix(first, "Commands: ") {
			command = ""
			defer func() { _ = prependLine(filepath.Join(out, "latest.md"), first) }()
		}
	}
	return writeResults(out, rs, command)
}

// prependLine puts line and a blank line at the top of the file at path.
func prependLine(path, line string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(line+"\n\n"), b...), 0o644)
}
