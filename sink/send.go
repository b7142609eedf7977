package sink

import (
	"context"
	"errors"
	"time"
)

// maxAttempts bounds how often a batch entry is tried before its message
// fails (and, in a pipeline, is retried by its source).
const maxAttempts = 5

// errAbandoned is the outcome of an entry whose sending was abandoned because
// its context ended (in a pipeline: the drain deadline passed).
var errAbandoned = errors.New("sink: sending abandoned")

// sendAll sends a batch (at most ten, within AWS's size limit) to tgt,
// trying again what fails for AWS's reasons: the whole request, or entries
// AWS failed as its own fault or throttled. It reports each entry's outcome
// exactly once, as soon as it is known: its message id; an *EntryError for an
// entry AWS rejected (or kept failing); the request's own error when it can
// never succeed (see fatal) or kept failing; errAbandoned when ctx ended
// first. stats counts requests, retried entries, sent and failed messages.
func sendAll(ctx context.Context, tgt target, stats *Stats, batch []*outgoing, report func(i int, id string, err error)) {
	left := make([]int, len(batch)) // indexes into batch of the entries still to send
	for i := range left {
		left[i] = i
	}
	finish := func(i int, id string, err error) {
		switch {
		case err == nil:
			stats.Sent.Add(1)
		case !errors.Is(err, errAbandoned):
			stats.Failed.Add(1)
		}
		report(i, id, err)
	}
	abandon := func() {
		for _, i := range left {
			finish(i, "", errAbandoned)
		}
	}
	for attempt := 1; len(left) > 0; attempt++ {
		outs := make([]*outgoing, len(left))
		for k, i := range left {
			outs[k] = batch[i]
		}
		stats.Requests.Add(1)
		ids, failures, err := tgt.sendBatch(ctx, outs)
		if err != nil {
			switch {
			case ctx.Err() != nil:
				abandon()
				return
			case fatal(err) || attempt == maxAttempts:
				for _, i := range left {
					finish(i, "", err)
				}
				return
			}
			stats.Retried.Add(int64(len(left)))
			if !sleep(ctx, retryDelay(attempt)) {
				abandon()
				return
			}
			continue
		}
		bad := make(map[int]*EntryError, len(failures))
		for _, f := range failures {
			bad[f.index] = f.err
		}
		var again []int
		for k, i := range left {
			e, failed := bad[k]
			switch {
			case !failed:
				finish(i, ids[k], nil)
			case !e.Permanent && attempt < maxAttempts:
				again = append(again, i)
			default:
				finish(i, "", e)
			}
		}
		left = again
		if len(left) > 0 {
			stats.Retried.Add(int64(len(left)))
			if !sleep(ctx, retryDelay(attempt)) {
				abandon()
				return
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryDelay is the wait before the k-th retry: 50ms doubling to 2s.
func retryDelay(k int) time.Duration {
	return min(50*time.Millisecond<<(k-1), 2*time.Second)
}
