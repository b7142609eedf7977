// Command fifo shows per-group ordering under concurrency with a FIFO topic
// and queue.
//
// A bank publishes ledger entries for four accounts to the FIFO topic
// "ledger"; each account is a message group. The balances service applies
// them with stage.KeyedMap keyed by the message group: up to four entries are
// applied at once, never two of the same account, and each account's entries
// in the order they were published. The output has a column per account:
// the columns interleave (concurrency) while each column counts up (order).
//
//	go run ./examples/fifo
//	go run ./examples/fifo -unordered   # stage.Map instead: watch the order break
//	go run ./examples/fifo -endpoint http://127.0.0.1:4566
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// Config is one run of the example.
type Config struct {
	exampleenv.Env
	Accounts  []string // one message group each
	PerGroup  int      // entries per account
	Unordered bool     // apply with stage.Map, which does not keep groups in order
}

func main() {
	cfg := Config{Accounts: []string{"alice", "bob", "carol", "dave"}, PerGroup: 8}
	flag.IntVar(&cfg.PerGroup, "entries", cfg.PerGroup, "ledger entries per account")
	flag.BoolVar(&cfg.Unordered, "unordered", false, "apply entries with stage.Map instead of stage.KeyedMap")
	exampleenv.Main(func(ctx context.Context, env exampleenv.Env) error {
		cfg.Env = env
		return run(ctx, cfg, os.Stdout)
	})
}

func run(ctx context.Context, cfg Config, out io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	entries := ledger(cfg.Accounts, cfg.PerGroup)
	book := newBook(cfg.Accounts, exampleenv.NewPrinter(out))
	done := exampleenv.NewCountdown(len(entries), cancel) // stop once every entry is applied
	book.printf("fifo: %d ledger entries for %d accounts on %s", len(entries), len(cfg.Accounts), cfg.Where)
	book.header()

	// The balances service. The queue is FIFO: SQS hands out each group's
	// messages in order, one batch of a group at a time.
	p := flow.New(flow.WithLogger(cfg.Logger))
	delivered := source.SNSSQS(p, "ledger", source.Options{
		AWS: cfg.AWS, Naming: cfg.Naming, Logger: cfg.Logger,
		Queue: "balances.fifo", FIFO: true,
	})
	entriesIn := envelope.DecodeJSON[Entry](delivered)
	// KeyedMap with ByGroup applies up to len(Accounts) entries at once but
	// one account's entries one at a time, in order. stage.Map would apply
	// two entries of one account at once, in whatever order they finish.
	var applied flow.Stream[Entry]
	if cfg.Unordered {
		applied = stage.Map(entriesIn, len(cfg.Accounts), book.apply)
	} else {
		applied = stage.KeyedMap(entriesIn, len(cfg.Accounts), stage.ByGroup[Entry], book.apply)
	}
	stage.Each(applied, 1, func(context.Context, Entry) error {
		done.Count()
		return nil
	})

	// The bank publishes every entry with its account as the message group,
	// one at a time: publishing a group's entries concurrently would give
	// them no defined order in the first place.
	err := exampleenv.Run(ctx, func(ctx context.Context) error {
		bank := sink.NewPublisher(sink.WithAWS(cfg.AWS), sink.WithNaming(cfg.Naming),
			sink.WithEnvelope(envelope.JSON(envelope.Service{Name: "bank"})))
		for _, e := range entries {
			if _, err := bank.Publish(ctx, "ledger", e, sink.WithGroupID(e.Account)); err != nil {
				return fmt.Errorf("publish entry %s #%d: %w", e.Account, e.Seq, err)
			}
		}
		return nil
	}, p)
	if err != nil {
		return err
	}
	if left := done.Left(); left > 0 {
		return fmt.Errorf("stopped with %d entries still to apply: %w", left, context.Cause(ctx))
	}
	if mistakes := book.summary(entries); mistakes > 0 && !cfg.Unordered {
		return fmt.Errorf("%d entries were applied out of order", mistakes)
	}
	return nil
}

// Entry is one ledger entry: a deposit (positive) or withdrawal (negative),
// the Seq-th of its account.
type Entry struct {
	Account string `json:"account"`
	Seq     int    `json:"seq"`
	Amount  int    `json:"amount"`
}

// ledger returns perGroup entries for each account, interleaved across the
// accounts as a bank would publish them. In order, balances never go below
// zero; a withdrawal applied before the deposit ahead of it would overdraw.
func ledger(accounts []string, perGroup int) []Entry {
	var entries []Entry
	for seq := 1; seq <= perGroup; seq++ {
		for i, acct := range accounts {
			amount := 100 + 10*i
			if seq%2 == 0 {
				amount = -(amount - 20) // withdraw most of what the deposit before brought
			}
			entries = append(entries, Entry{Account: acct, Seq: seq, Amount: amount})
		}
	}
	return entries
}

// work stands in for the time applying an entry takes: it varies, so that
// entries finish in a different order than they start.
func work(e Entry) time.Duration {
	return time.Duration(5+(e.Seq*7+len(e.Account)*3)%20) * time.Millisecond
}
