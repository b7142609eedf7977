package flowtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunUntil(t *testing.T) {
	is := is.New(t)
	endless := func() (*flow.Pipeline, chan struct{}) {
		p := flow.New()
		src := flowtest.Generate(p, 1<<30, func(i int) int { return i }, flowtest.Options{})
		seen := make(chan struct{})
		n := 0
		flowtest.CollectFunc(src.Stream(), func(context.Context, int) error {
			if n++; n == 100 {
				close(seen)
			}
			return nil
		})
		return p, seen
	}
	p, seen := endless()
	is.NoErr(flowtest.RunUntil(p, seen, time.Minute)) // cancelled once done: a clean drain

	p, _ = endless()
	is.True(errors.Is(flowtest.RunUntil(p, make(chan struct{}), 10*time.Millisecond), flowtest.ErrTimeout))

	finite := flow.New()
	flowtest.Collect(flowtest.Slice(finite, []int{1}, flowtest.Options{}).Stream())
	is.True(flowtest.RunUntil(finite, make(chan struct{}), time.Minute) != nil) // ended before done
}
