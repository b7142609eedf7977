package main

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Tracker records what an implementation handled, for the correctness
// check (every message handled, duplicates, order within FIFO groups) and
// the latency distribution, and tells the worker when the job is done: all
// N messages handled and deleted (and, in the transform scenario,
// published).
type Tracker struct {
	n        int64
	fifo     bool
	latency  bool
	publish  bool
	counter  *Counter
	unique   atomic.Int64
	finished chan struct{}
	once     sync.Once
	startOne sync.Once

	mu              sync.Mutex
	seen            []uint8 // times each sequence number was handled (saturating)
	handled         int64
	duplicates      int64
	foreign         int64 // sequence numbers outside [0, N)
	orderViolations int64
	lastByGroup     map[string]int64
	latencies       []time.Duration
	started         time.Time
	doneAt          time.Time
}

func newTracker(j Job, c *Counter) *Tracker {
	return &Tracker{
		n:           int64(j.N),
		fifo:        j.Scenario == ScenarioFIFO,
		latency:     j.Scenario == ScenarioLatency,
		publish:     j.Scenario == ScenarioTransform,
		counter:     c,
		finished:    make(chan struct{}),
		seen:        make([]uint8, j.N),
		lastByGroup: map[string]int64{},
	}
}

// start marks the moment the implementation began consuming (its first
// ReceiveMessage); throughput is counted from there.
func (t *Tracker) start() {
	t.startOne.Do(func() {
		t.mu.Lock()
		t.started = time.Now()
		t.mu.Unlock()
	})
}

// Handle records that the implementation's handler processed o. It is safe
// for concurrent use.
func (t *Tracker) Handle(o Order) {
	now := time.Now()
	t.mu.Lock()
	t.handled++
	switch {
	case o.Seq < 0 || o.Seq >= t.n:
		t.foreign++
	case t.seen[o.Seq] > 0:
		t.duplicates++
		if t.seen[o.Seq] < 255 {
			t.seen[o.Seq]++
		}
	default:
		t.seen[o.Seq] = 1
		t.unique.Add(1)
	}
	if t.fifo {
		if last, ok := t.lastByGroup[o.Group]; ok && o.Seq < last {
			t.orderViolations++
		} else {
			t.lastByGroup[o.Group] = o.Seq
		}
	}
	if t.latency && o.Sent > 0 {
		t.latencies = append(t.latencies, now.Sub(time.Unix(0, o.Sent)))
	}
	t.mu.Unlock()
	t.check()
}

// check closes Done once every message is handled and acknowledged.
func (t *Tracker) check() {
	if t.unique.Load() < t.n || t.counter.deleted.Load() < t.n {
		return
	}
	if t.publish && t.counter.published.Load() < t.n {
		return
	}
	t.once.Do(func() {
		t.mu.Lock()
		t.doneAt = time.Now()
		t.mu.Unlock()
		close(t.finished)
	})
}

// Done is closed when the job is complete.
func (t *Tracker) Done() <-chan struct{} { return t.finished }

// Unique returns the number of distinct messages handled so far.
func (t *Tracker) Unique() int64 { return t.unique.Load() }

// summary fills the tracker's part of a result.
func (t *Tracker) summary(r *Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r.Handled = t.handled
	r.Unique = t.unique.Load()
	r.Duplicates = t.duplicates
	r.Missing = t.n - r.Unique
	r.Foreign = t.foreign
	if t.fifo {
		v := t.orderViolations
		r.OrderViolations = &v
	}
	end := t.doneAt
	if end.IsZero() {
		end = time.Now()
	}
	if !t.started.IsZero() {
		r.ElapsedSec = end.Sub(t.started).Seconds()
		if r.ElapsedSec > 0 {
			r.MsgsPerSec = float64(r.Unique) / r.ElapsedSec
		}
	}
	if t.latency && len(t.latencies) > 0 {
		lat := slices.Clone(t.latencies)
		slices.Sort(lat)
		p50 := ms(percentile(lat, 0.50))
		p99 := ms(percentile(lat, 0.99))
		r.P50Ms, r.P99Ms = &p50, &p99
	}
}

// percentile returns the q-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
