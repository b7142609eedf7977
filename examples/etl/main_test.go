package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The example runs to the end by itself and its summary adds up: of 400
// orders the filter policy lets the EUR and USD half through, and of those
// the paid ones (i%3 != 2 for the i-th order) become invoices, each collected
// exactly once.
func TestRunSummary(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var out bytes.Buffer
	cfg := Config{Env: exampletest.Env(t), Orders: 400, Progress: 20 * time.Millisecond}
	is.NoErr(run(exampletest.Context(t, time.Minute), cfg, &out))
	t.Log("\n" + out.String())

	want := []string{
		"  orders published           400",
		"  delivered to billing       200  (filter policy: currency in [EUR USD])",
		"  invoices published         134  (paid orders only)",
		"  invoices collected         134  in ",
	}
	// The totals are those of every paid EUR and USD order, invoiced once.
	net, vat := map[string]int64{}, map[string]int64{}
	for _, o := range shopOrders(cfg.Orders) {
		if inv, err := enrich(context.Background(), o); err == nil && o.Paid && (o.Currency == "EUR" || o.Currency == "USD") {
			net[o.Currency] += inv.NetCents
			vat[o.Currency] += inv.VATCents
		}
	}
	for _, cur := range []string{"EUR", "USD"} {
		want = append(want, fmt.Sprintf("  total %s                %9s net  %9s VAT  %9s gross", cur, money(net[cur]), money(vat[cur]), money(net[cur]+vat[cur])))
	}
	for _, line := range want {
		if !strings.Contains(out.String(), line) {
			t.Errorf("missing from the output: %q", line)
		}
	}
	is.Equal(strings.Count(out.String(), "  collected invoice for order "), 3) // the first three are printed
}

// Interrupted before it is done, the example stops and says so rather than
// printing a summary of half the work.
func TestRunInterrupted(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := run(ctx, Config{Env: exampletest.Env(t), Orders: 10, Progress: time.Second}, &out)
	is.True(err != nil)
	is.True(!strings.Contains(out.String(), "summary"))
}
