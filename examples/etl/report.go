package main

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
)

// stats are the counters the progress lines and the summary show.
type stats struct {
	orders                 idSet
	billingIn, reportingIn source.Stats
	billingOut             sink.Stats
}

// progress prints one progress line.
func (st *stats) progress(pr *exampleenv.Printer, start time.Time, report *report) {
	secs := time.Since(start).Seconds()
	pr.Printf("  %5.1fs  orders in %5d (%4.0f/s)  invoices out %5d  collected %5d (%4.0f/s)",
		secs, st.orders.len(), float64(st.orders.len())/secs, st.billingOut.Sent.Load(),
		report.len(), float64(report.len())/secs)
}

// idSet is a set of order ids, safe for concurrent use.
type idSet struct {
	mu  sync.Mutex
	ids map[int]bool
	n   atomic.Int64
}

// add reports whether id is new.
func (s *idSet) add(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	if s.ids == nil {
		s.ids = map[int]bool{}
	}
	s.ids[id] = true
	s.n.Add(1)
	return true
}

func (s *idSet) len() int { return int(s.n.Load()) }

// report is what the reporting service collects: each invoice once, with
// totals per currency.
type report struct {
	mu       sync.Mutex
	seen     map[int]bool
	n        atomic.Int64
	net, vat map[string]int64
}

func newReport() *report {
	return &report{seen: map[int]bool{}, net: map[string]int64{}, vat: map[string]int64{}}
}

// add records inv and returns how many invoices there are now, and whether
// inv was new (delivery is at least once, so an invoice may come twice).
func (r *report) add(inv Invoice) (int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[inv.OrderID] {
		return len(r.seen), false
	}
	r.seen[inv.OrderID] = true
	r.net[inv.Currency] += inv.NetCents
	r.vat[inv.Currency] += inv.VATCents
	r.n.Add(1)
	return len(r.seen), true
}

func (r *report) len() int { return int(r.n.Load()) }

// summary prints what happened.
func (st *stats) summary(pr *exampleenv.Printer, published int, report *report, elapsed time.Duration) {
	requests := st.billingIn.Requests.Load() + st.billingOut.Requests.Load() + st.reportingIn.Requests.Load()
	pr.Printf("summary")
	pr.Printf("  orders published        %6d", published)
	pr.Printf("  delivered to billing    %6d  (filter policy: currency in %v)", st.orders.len(), accepted)
	pr.Printf("  invoices published      %6d  (paid orders only)", st.billingOut.Sent.Load())
	pr.Printf("  invoices collected      %6d  in %v (%.0f/s)", report.len(), elapsed.Round(time.Millisecond), float64(report.len())/elapsed.Seconds())
	for _, cur := range accepted {
		pr.Printf("  total %s                %9s net  %9s VAT  %9s gross", cur, money(report.net[cur]), money(report.vat[cur]), money(report.net[cur]+report.vat[cur]))
	}
	pr.Printf("  SQS and SNS requests    %6d  (%.2f per order delivered)", requests, float64(requests)/float64(st.orders.len()))
}
