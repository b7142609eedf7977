package flow_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/stage"
)

// A pipeline reads left to right; Run returns nil once the finite test
// source is exhausted and every message is finished.
func Example() {
	p := flow.New()
	words := flowtest.Slice(p, []string{"ack", "", "retry", "poison"}, flowtest.Options{})
	checked := stage.Map(words.Stream(), 2, func(_ context.Context, w string) (string, error) {
		switch w {
		case "":
			return "", flow.Skip // done, nothing to pass on
		case "retry":
			return "", errors.New("downstream unavailable") // retried by the source
		case "poison":
			return "", flow.Permanent(errors.New("cannot parse")) // dead-lettered by the source
		}
		return strings.ToUpper(w), nil
	})
	got := flowtest.Collect(checked)

	if err := p.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println(got.Values())
	for i := range 4 {
		fmt.Println(i, words.Outcome(i), flow.IsPermanent(words.Err(i)))
	}
	// Output:
	// [ACK]
	// 0 acked false
	// 1 acked false
	// 2 failed false
	// 3 failed true
}

// Transform gives a stage the whole message, so it can read and add metadata.
func ExampleTransform() {
	p := flow.New()
	src := flowtest.Slice(p, []string{"x"}, flowtest.Options{
		Meta: func(i int) *flow.Meta { return &flow.Meta{ID: "m-1", Topic: "orders"} },
	})
	described := flow.Transform(src.Stream(), "describe", func(_ context.Context, m *flow.Msg[string]) (string, error) {
		m.Meta.UUID = "uuid-1"
		return fmt.Sprintf("%s from %s (%s)", m.Value, m.Meta.Topic, m.Meta.ID), nil
	})
	got := flowtest.Collect(described)
	_ = p.Run(context.Background())
	fmt.Println(got.Values()[0], got.Metas()[0].UUID)
	// Output: x from orders (m-1) uuid-1
}
