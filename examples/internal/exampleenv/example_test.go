package exampleenv_test

import (
	"context"
	"fmt"

	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/stage"
)

// The shape of every example: a pipeline that knows how many messages to
// expect and cancels itself after the last, and a producer that starts once
// the pipeline has provisioned what it consumes.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := flow.New()
	items := flowtest.Slice(p, []string{"a", "b", "c"}, flowtest.Options{})
	done := exampleenv.NewCountdown(3, cancel)
	var handled []string
	stage.Each(items.Stream(), 1, func(_ context.Context, s string) error {
		handled = append(handled, s)
		done.Count()
		return nil
	})
	err := exampleenv.Run(ctx, func(context.Context) error {
		fmt.Println("the pipeline has started: publish")
		return nil
	}, p)
	fmt.Println(handled, err, done.Left())
	// Output:
	// the pipeline has started: publish
	// [a b c] <nil> 0
}
