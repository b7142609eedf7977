package source

import (
	"sync/atomic"

	"github.com/sqsflow/sqsflow/flow"
)

// Stats counts what a source did. Pass a *Stats in [Options] to have the
// source keep it up to date; read the counters at any time.
type Stats struct {
	Received atomic.Int64 // messages received from SQS
	Acked    atomic.Int64 // messages finished and queued for deletion
	Deleted  atomic.Int64 // messages deleted from the queue
	Retried  atomic.Int64 // failed messages returned to the queue with a backoff
	Poisoned atomic.Int64 // permanently failed messages dead-lettered or discarded
	Released atomic.Int64 // messages made visible again unfinished: at shutdown, or held behind a retried one (StrictOrder)
	Held     atomic.Int64 // messages held back until an earlier one of their group finished (StrictOrder)
	Extended atomic.Int64 // visibility extensions by the heartbeat
	Requests atomic.Int64 // SQS requests the source made (receive, delete, visibility, send)

	window atomic.Pointer[flow.Window]
}

// InFlight returns the number of messages received and not yet finished.
func (s *Stats) InFlight() int {
	if w := s.window.Load(); w != nil {
		return w.InFlight()
	}
	return 0
}

// PeakInFlight returns the largest number of messages that were in flight
// at once. It never exceeds the source's window.
func (s *Stats) PeakInFlight() int {
	if w := s.window.Load(); w != nil {
		return w.Peak()
	}
	return 0
}
