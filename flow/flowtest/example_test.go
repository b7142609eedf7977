package flowtest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/stage"
)

// Unit-testing a stage: feed it from an in-memory source, collect what comes
// out, and check how each message completed.
func Example() {
	p := flow.New()
	src := flowtest.Slice(p, []int{1, 2, 3}, flowtest.Options{})
	halves := stage.Map(src.Stream(), 1, func(_ context.Context, v int) (int, error) {
		if v%2 != 0 {
			return 0, errors.New("odd")
		}
		return v / 2, nil
	})
	got := flowtest.Collect(halves)
	_ = p.Run(context.Background())

	fmt.Println(got.Values())
	fmt.Println(src.Outcome(0), src.Outcome(1), src.Outcome(2))
	fmt.Println(src.Check(true)) // nothing completed twice, nothing left over
	// Output:
	// [1]
	// failed acked failed
	// <nil>
}
