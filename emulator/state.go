package emulator

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// State is everything an emulated account holds: its queues with their
// messages, its topics and subscriptions. It outlives the servers that serve
// it, so a test can stop a Server and start a new one on the same State (and
// the same address) to see the queues survive a restart:
//
//	st := emulator.NewState()
//	srv, _ := emulator.Start(ctx, emulator.Options{State: st})
//	addr := srv.Addr()
//	srv.Close()
//	srv, _ = emulator.Start(ctx, emulator.Options{State: st, Addr: addr})
//
// A State belongs to one region and account, fixed by the first Start that
// uses it. It is safe for concurrent use.
type State struct {
	mu      sync.RWMutex
	bound   bool
	region  string
	account string
	now     func() time.Time

	queues map[string]*queue // by name
	topics map[string]*topic // by name
	subs   map[string]*subscription
}

// NewState returns an empty State, ready to be passed in Options.
func NewState() *State {
	return &State{
		queues: make(map[string]*queue),
		topics: make(map[string]*topic),
		subs:   make(map[string]*subscription),
		now:    time.Now,
	}
}

// bind fixes the region, account and clock of the state on first use and
// checks later servers agree.
func (st *State) bind(region, account string, now func() time.Time) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.bound && (st.region != region || st.account != account) {
		return fmt.Errorf("emulator: state belongs to region %q account %q, not %q %q", st.region, st.account, region, account)
	}
	st.bound, st.region, st.account = true, region, account
	if now != nil {
		st.now = now
	}
	return nil
}

func (st *State) clock() time.Time {
	return st.now()
}

func (st *State) queueARN(name string) string {
	return "arn:aws:sqs:" + st.region + ":" + st.account + ":" + name
}

func (st *State) topicARN(name string) string {
	return "arn:aws:sns:" + st.region + ":" + st.account + ":" + name
}

func (st *State) queue(name string) *queue {
	st.mu.RLock()
	q := st.queues[name]
	st.mu.RUnlock()
	return q
}

// queueByARN finds a queue of this account by its ARN.
func (st *State) queueByARN(arn string) *queue {
	name, ok := strings.CutPrefix(arn, "arn:aws:sqs:"+st.region+":"+st.account+":")
	if !ok {
		return nil
	}
	return st.queue(name)
}

// queueNames returns the names of all queues with the prefix, sorted.
func (st *State) queueNames(prefix string) []string {
	st.mu.RLock()
	names := make([]string, 0, len(st.queues))
	for name := range st.queues {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	st.mu.RUnlock()
	sort.Strings(names)
	return names
}
