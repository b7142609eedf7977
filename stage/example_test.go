package stage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/stage"
)

type Order struct {
	ID     string
	Amount int
	Paid   bool
}

func orders(p *flow.Pipeline) flow.Stream[Order] {
	return flowtest.Slice(p, []Order{
		{"A-1", 100, true}, {"A-2", 250, false}, {"A-3", 75, true}, {"A-4", 30, true},
	}, flowtest.Options{}).Stream()
}

func ExampleMap() {
	p := flow.New()
	withVAT := stage.Map(orders(p), 4, func(_ context.Context, o Order) (int, error) {
		return o.Amount * 125 / 100, nil
	})
	got := flowtest.Collect(withVAT)
	_ = p.Run(context.Background())

	amounts := got.Values()
	slices.Sort(amounts) // Map passes results on as they are ready
	fmt.Println(amounts)
	// Output: [37 93 125 312]
}

func ExampleOrderedMap() {
	p := flow.New()
	ids := stage.OrderedMap(orders(p), 4, func(_ context.Context, o Order) (string, error) {
		return strings.ToLower(o.ID), nil
	})
	got := flowtest.Collect(ids)
	_ = p.Run(context.Background())
	fmt.Println(got.Values())
	// Output: [a-1 a-2 a-3 a-4]
}

func ExampleKeyedMap() {
	p := flow.New()
	// Events of one account are applied one at a time, in order; different
	// accounts in parallel.
	events := flowtest.Slice(p, []string{"alice+10", "bob+5", "alice-3", "bob+1", "alice+1"}, flowtest.Options{}).Stream()
	account := func(m flow.Msg[string]) string { return m.Value[:strings.IndexAny(m.Value, "+-")] }
	applied := stage.KeyedMap(events, 8, account, func(_ context.Context, e string) (string, error) {
		return e, nil
	})
	got := flowtest.Collect(applied)
	_ = p.Run(context.Background())

	var alice []string
	for _, e := range got.Values() {
		if strings.HasPrefix(e, "alice") {
			alice = append(alice, e)
		}
	}
	fmt.Println(alice)
	// Output: [alice+10 alice-3 alice+1]
}

func ExampleFilter() {
	p := flow.New()
	paid := stage.Filter(orders(p), func(o Order) bool { return o.Paid })
	got := flowtest.Collect(paid) // the unpaid order is acknowledged, not passed on
	_ = p.Run(context.Background())
	for _, o := range got.Values() {
		fmt.Println(o.ID)
	}
	// Output:
	// A-1
	// A-3
	// A-4
}

func ExampleFlatMap() {
	p := flow.New()
	lines := flowtest.Slice(p, []string{"a b", "", "c"}, flowtest.Options{}).Stream()
	words := stage.FlatMap(lines, 1, func(_ context.Context, line string) ([]string, error) {
		return strings.Fields(line), nil
	})
	got := flowtest.Collect(words)
	_ = p.Run(context.Background())
	fmt.Println(got.Values())
	// Output: [a b c]
}

func ExampleBatch() {
	p := flow.New()
	batches := stage.Batch(orders(p), 3, 10*time.Millisecond)
	got := flowtest.Collect(batches)
	_ = p.Run(context.Background())
	for _, b := range got.Values() {
		fmt.Println(len(b))
	}
	// Output:
	// 3
	// 1
}

func ExampleTap() {
	p := flow.New()
	total := 0
	counted := stage.Tap(orders(p), func(o Order) { total += o.Amount })
	flowtest.Collect(counted)
	_ = p.Run(context.Background())
	fmt.Println(total)
	// Output: 455
}

func ExampleEach() {
	p := flow.New(flow.WithErrorHandler(func(e *flow.StageError) { fmt.Println("failed:", e.Err) }))
	src := flowtest.Slice(p, []Order{{"A-1", 100, true}, {"A-2", 250, false}}, flowtest.Options{})
	stage.Each(src.Stream(), 1, func(_ context.Context, o Order) error {
		if !o.Paid {
			return errors.New("not paid") // fails the message: its source retries it
		}
		return nil
	})
	_ = p.Run(context.Background())
	fmt.Println(src.Outcome(0), src.Outcome(1))
	// Output:
	// failed: not paid
	// acked failed
}

func ExampleTee() {
	p := flow.New()
	branches := stage.Tee(orders(p), 2)
	ids := flowtest.Collect(stage.Map(branches[0], 1, func(_ context.Context, o Order) (string, error) { return o.ID, nil }))
	amounts := flowtest.Collect(stage.Map(branches[1], 1, func(_ context.Context, o Order) (int, error) { return o.Amount, nil }))
	_ = p.Run(context.Background())
	fmt.Println(ids.Values(), amounts.Values())
	// Output: [A-1 A-2 A-3 A-4] [100 250 75 30]
}

func ExampleMerge() {
	p := flow.New()
	eu := flowtest.Slice(p, []string{"eu-1", "eu-2"}, flowtest.Options{}).Stream()
	us := flowtest.Slice(p, []string{"us-1"}, flowtest.Options{}).Stream()
	got := flowtest.Collect(stage.Merge(eu, us))
	_ = p.Run(context.Background())
	all := got.Values()
	slices.Sort(all)
	fmt.Println(all)
	// Output: [eu-1 eu-2 us-1]
}
