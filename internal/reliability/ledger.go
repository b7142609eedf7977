package reliability

import (
	"context"
	"reflect"
	"slices"
	"sync"
)

// A Ledger counts the ids seen in a queue. It is safe for concurrent use.
type Ledger struct {
	mu       sync.Mutex
	counts   map[string]int
	order    []string // ids in the order first seen, when recorded
	ordered  bool
	total    int
	bad      int           // bodies whose id could not be read
	changed  chan struct{} // closed and replaced on every change
	lastBody string        // the last body whose id could not be read
}

// NewLedger returns an empty ledger with room for hint ids (0 for none),
// so that a test that measures the heap does not see the ledger grow.
func NewLedger(hint int) *Ledger {
	return &Ledger{counts: make(map[string]int, hint), changed: make(chan struct{})}
}

// RecordOrder makes the ledger keep the order in which ids are first seen
// (see Order). Call it before the first Add.
func (l *Ledger) RecordOrder() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ordered = true
}

// Order returns the ids in the order they were first seen, if RecordOrder
// was called.
func (l *Ledger) Order() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.order)
}

// Add records one sighting of id.
func (l *Ledger) Add(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ordered && l.counts[id] == 0 {
		l.order = append(l.order, id)
	}
	l.counts[id]++
	l.total++
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *Ledger) addBad(body string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bad++
	l.lastBody = body
	close(l.changed)
	l.changed = make(chan struct{})
}

// Count returns how often id was seen.
func (l *Ledger) Count(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[id]
}

// Unique returns the number of distinct ids seen.
func (l *Ledger) Unique() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.counts)
}

// Total returns the number of sightings.
func (l *Ledger) Total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Duplicates returns the sightings beyond the first of each id.
func (l *Ledger) Duplicates() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total - len(l.counts)
}

// Unreadable returns the number of bodies whose id could not be read, and
// the last such body.
func (l *Ledger) Unreadable() (int, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bad, l.lastBody
}

// Wait blocks until cond returns true, or ctx ends. cond is called at once
// and again after every change to any of the ledgers.
func Wait(ctx context.Context, cond func() bool, ledgers ...*Ledger) error {
	cases := make([]reflect.SelectCase, len(ledgers)+1)
	cases[0] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}
	for {
		for i, l := range ledgers {
			l.mu.Lock()
			cases[i+1] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(l.changed)}
			l.mu.Unlock()
		}
		if cond() {
			return nil
		}
		if chosen, _, _ := reflect.Select(cases); chosen == 0 {
			return ctx.Err()
		}
	}
}

// Missing returns the ids of want that none of the ledgers has seen.
func Missing(want []string, ledgers ...*Ledger) []string {
	var missing []string
	for _, id := range want {
		seen := false
		for _, l := range ledgers {
			if l.Count(id) > 0 {
				seen = true
				break
			}
		}
		if !seen {
			missing = append(missing, id)
		}
	}
	return missing
}
