package main

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matryer/is"
	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/examples/internal/exampletest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var accounts = []string{"alice", "bob", "carol", "dave"}

// With KeyedMap each account's column lists its entries 1, 2, 3, ... in
// order, every entry once, and the summary agrees.
func TestRunKeepsEachGroupInOrder(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var out bytes.Buffer
	cfg := Config{Env: exampletest.Env(t), Accounts: accounts, PerGroup: 6}
	is.NoErr(run(exampletest.Context(t, time.Minute), cfg, &out))
	t.Log("\n" + out.String())

	for i, seqs := range columns(t, out.String(), len(accounts)) {
		is.Equal(seqs, []int{1, 2, 3, 4, 5, 6}) // an account's entries, in the order applied
		is.True(strings.Contains(out.String(), "  "+accounts[i]))
	}
	for _, a := range accounts {
		line := a + strings.Repeat(" ", 9-len(a)) + "6 entries, in order, balance 60 (as published)"
		is.True(strings.Contains(out.String(), line)) // summary of an account
	}
	is.True(strings.Contains(out.String(), "  applied 24 entries, up to "))
	is.True(strings.Contains(out.String(), " at once, never two of one account at once"))
}

// With stage.Map the order is not kept, and the example says so rather than
// failing; every entry is still applied once, so the balances add up.
func TestRunUnorderedStillAppliesEverything(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	var out bytes.Buffer
	cfg := Config{Env: exampletest.Env(t), Accounts: accounts[:2], PerGroup: 6, Unordered: true}
	is.NoErr(run(exampletest.Context(t, time.Minute), cfg, &out))
	t.Log("\n" + out.String())
	for _, seqs := range columns(t, out.String(), 2) {
		is.Equal(len(seqs), 6)
	}
	is.Equal(strings.Count(out.String(), "balance 60 (as published)"), 2)
	is.True(strings.Contains(out.String(), "  applied 12 entries, up to "))
}

var row = regexp.MustCompile(`^( *)#(\d+) `)

// columns returns the entry numbers printed in each account's column, in
// the order printed.
func columns(t *testing.T, out string, n int) [][]int {
	t.Helper()
	cols := make([][]int, n)
	for _, line := range strings.Split(out, "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		col := (len(m[1]) - 2) / columnWidth
		if col < 0 || col >= n {
			t.Fatalf("row in no column: %q", line)
		}
		seq, _ := strconv.Atoi(m[2])
		cols[col] = append(cols[col], seq)
	}
	return cols
}
