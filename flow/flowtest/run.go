package flowtest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sqsflow/sqsflow/flow"
)

// ErrTimeout is returned by RunUntil when done was not closed in time.
var ErrTimeout = errors.New("flowtest: timed out waiting for the pipeline")

// RunUntil runs p until done is closed, then cancels it (so it drains) and
// returns what Run returned. It returns an error if Run returns before done
// is closed, or ErrTimeout (after cancelling p and waiting for it) if timeout
// passes first. It suits pipelines with endless sources, such as SQS.
func RunUntil(p *flow.Pipeline, done <-chan struct{}, timeout time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
	case err := <-errc:
		return fmt.Errorf("flowtest: the pipeline stopped early: %w", err)
	case <-timer.C:
		cancel()
		<-errc
		return ErrTimeout
	}
	cancel()
	return <-errc
}
