package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/flow"
)

// columnWidth is the width of each account's column in the output.
const columnWidth = 20

// book applies ledger entries and checks how they were applied: in each
// account's order, never two of one account at once.
type book struct {
	pr       *exampleenv.Printer
	accounts []string
	column   map[string]int

	mu         sync.Mutex
	balance    map[string]int
	last       map[string]int // the highest seq applied per account
	count      map[string]int // entries applied per account
	busy       map[string]int // entries being applied per account
	applied    map[Entry]bool
	running    int // entries being applied
	peak       int // the most entries applied at once
	outOfOrder map[string]int
	overlaps   int // times an entry started while another of its account ran
}

func newBook(accounts []string, pr *exampleenv.Printer) *book {
	b := &book{
		pr: pr, accounts: accounts, column: map[string]int{},
		balance: map[string]int{}, last: map[string]int{}, count: map[string]int{},
		busy: map[string]int{}, applied: map[Entry]bool{}, outOfOrder: map[string]int{},
	}
	for i, a := range accounts {
		b.column[a] = i
	}
	return b
}

func (b *book) printf(format string, args ...any) { b.pr.Printf(format, args...) }

// header prints the column titles.
func (b *book) header() {
	var line strings.Builder
	for _, a := range b.accounts {
		fmt.Fprintf(&line, "  %-*s", columnWidth-2, a)
	}
	b.printf("%s", strings.TrimRight(line.String(), " "))
}

// apply applies one entry, taking work(e) to do it, and prints it in its
// account's column. A redelivered entry (delivery is at least once) is
// skipped: flow.Skip drops it as done.
func (b *book) apply(ctx context.Context, e Entry) (Entry, error) {
	b.mu.Lock()
	if b.applied[e] {
		b.mu.Unlock()
		return e, flow.Skip
	}
	if b.busy[e.Account] > 0 {
		b.overlaps++
	}
	b.busy[e.Account]++
	b.running++
	b.peak = max(b.peak, b.running)
	b.mu.Unlock()

	select {
	case <-time.After(work(e)):
	case <-ctx.Done():
		return e, ctx.Err()
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	b.busy[e.Account]--
	b.running--
	b.applied[e] = true
	b.count[e.Account]++
	b.balance[e.Account] += e.Amount
	note := ""
	if e.Seq != b.last[e.Account]+1 {
		b.outOfOrder[e.Account]++
		note = " <- out of order"
	}
	if b.balance[e.Account] < 0 {
		note += ", overdrawn"
	}
	b.last[e.Account] = max(b.last[e.Account], e.Seq)
	b.printf("%*s#%-2d %+5d = %4d%s", 2+b.column[e.Account]*columnWidth, "", e.Seq, e.Amount, b.balance[e.Account], note)
	return e, nil
}

// summary prints how each account's entries were applied, checking the
// balances against the entries published, and returns the number of
// mistakes: entries out of order and entries applied while another entry of
// their account was.
func (b *book) summary(published []Entry) (mistakes int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	want := map[string]int{}
	for _, e := range published {
		want[e.Account] += e.Amount
	}
	b.printf("summary")
	for _, a := range b.accounts {
		order := "in order"
		if n := b.outOfOrder[a]; n > 0 {
			order = fmt.Sprintf("%d OUT OF ORDER", n)
		}
		check := "as published"
		if b.balance[a] != want[a] {
			check = fmt.Sprintf("WRONG: the entries add up to %d", want[a])
		}
		b.printf("  %-8s %d entries, %s, balance %d (%s)", a, b.count[a], order, b.balance[a], check)
		mistakes += b.outOfOrder[a]
	}
	together := "never two of one account at once"
	if b.overlaps > 0 {
		together = fmt.Sprintf("%d TIMES TWO OF ONE ACCOUNT AT ONCE", b.overlaps)
	}
	b.printf("  applied %d entries, up to %d at once, %s", len(b.applied), b.peak, together)
	return mistakes + b.overlaps
}
