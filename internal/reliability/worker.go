package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// WorkerVariable names the environment variable that makes a test binary
// run [WorkerMain] instead of its tests. Its value is a [WorkerSpec] as JSON.
const WorkerVariable = "SQSFLOW_RELIABILITY_WORKER"

// WorkerSpec is what a worker process is told: where the endpoint and the
// queues are, and how to run the pipeline.
type WorkerSpec struct {
	Endpoint     string        `json:"endpoint"`
	Input        string        `json:"input"`
	Output       string        `json:"output"`
	InputTopic   string        `json:"input_topic,omitempty"`
	OutputTopic  string        `json:"output_topic,omitempty"`
	FIFO         bool          `json:"fifo,omitempty"`
	Name         string        `json:"name"`
	Visibility   time.Duration `json:"visibility"`
	DrainTimeout time.Duration `json:"drain_timeout"`
	Workers      int           `json:"workers"`
	Window       int           `json:"window"`
}

// Env returns the environment entry that hands spec to a worker process.
func (s WorkerSpec) Env() (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return WorkerVariable + "=" + string(b), nil
}

// WorkerMain runs the pipeline [Build] makes, as the WorkerVariable
// environment variable describes, until SIGTERM or SIGINT, then drains it.
// It returns the process's exit code: 0 after a clean drain, 1 when the
// pipeline failed or the drain deadline passed, 2 for a bad spec. Log
// lines (warnings and errors) go to stderr. A test binary calls it from
// TestMain when the variable is set.
func WorkerMain() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var spec WorkerSpec
	if err := json.Unmarshal([]byte(os.Getenv(WorkerVariable)), &spec); err != nil {
		log.Error("reliability worker: bad spec", "err", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	p := Build(Config{
		AWS:          ClientConfig(spec.Endpoint, 0),
		Input:        spec.Input,
		Output:       spec.Output,
		InputTopic:   spec.InputTopic,
		OutputTopic:  spec.OutputTopic,
		FIFO:         spec.FIFO,
		Visibility:   spec.Visibility,
		DrainTimeout: spec.DrainTimeout,
		Workers:      spec.Workers,
		Window:       spec.Window,
		Worker:       spec.Name,
		Logger:       log,
	})
	// The parent waits for this line before it counts the worker as started.
	fmt.Fprintln(os.Stdout, "worker: running")
	if err := p.Run(ctx); err != nil {
		log.Error("reliability worker: pipeline failed", "err", err)
		return 1
	}
	fmt.Fprintln(os.Stdout, "worker: drained")
	return 0
}
