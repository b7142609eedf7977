package sink

import "sync/atomic"

// Stats counts what a sink did. Pass one with WithStats; read the counters
// at any time.
type Stats struct {
	Sent     atomic.Int64 // messages published or sent
	Failed   atomic.Int64 // messages that failed (after retries)
	Retried  atomic.Int64 // batch entries tried again
	Requests atomic.Int64 // batch requests made
}
