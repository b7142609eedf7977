package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/flow"
)

// Order is what the shop publishes.
type Order struct {
	ID          int   `json:"order_id"`
	AmountCents int64 `json:"amount_cents"`
}

// errDeclined is a failure that may pass: the message is retried.
var errDeclined = errors.New("declined by the payment provider")

// payments is the service: it charges orders. Before the fix it cannot read
// the legacy format and the provider declines order 13.
type payments struct {
	pr    *exampleenv.Printer
	done  *exampleenv.Countdown
	fixed atomic.Bool

	// Used by charge only, which runs on one goroutine.
	seen        map[int]bool
	lastAttempt time.Time

	charged, afterFix, declined atomic.Int64
}

// parse decodes an order's data: a JSON object, or, once the fix is
// deployed, the legacy "id;amount" string. An error here is permanent.
func (s *payments) parse(data []byte) (Order, error) {
	var o Order
	if err := json.Unmarshal(data, &o); err == nil {
		return o, nil
	}
	var legacy string
	if json.Unmarshal(data, &legacy) != nil || !s.fixed.Load() {
		return o, fmt.Errorf("%s is not an order", data)
	}
	if _, err := fmt.Sscanf(legacy, "%d;%d", &o.ID, &o.AmountCents); err != nil {
		return o, fmt.Errorf("legacy order %q: %w", legacy, err)
	}
	return o, nil
}

// charge charges one order. It sees the whole message (flow.Transform), to
// print which receive of the message this is.
func (s *payments) charge(_ context.Context, m *flow.Msg[Order]) (Order, error) {
	o, attempt := m.Value, m.Meta.ReceiveCount
	if o.ID == declinedOrder && !s.fixed.Load() {
		s.declined.Add(1)
		switch attempt {
		case 1:
			s.pr.Printf("  order %d, receive 1: %v; it comes back after the backoff", o.ID, errDeclined)
		default:
			s.pr.Printf("  order %d, receive %d, %.1fs later: %v", o.ID, attempt, time.Since(s.lastAttempt).Seconds(), errDeclined)
		}
		if attempt >= maxReceiveCount {
			s.pr.Printf("  order %d has been received %d times: SQS moves it to the DLQ instead of delivering it again", o.ID, attempt)
		}
		s.lastAttempt = time.Now()
		return o, errDeclined
	}
	if s.seen == nil {
		s.seen = map[int]bool{}
	}
	if s.seen[o.ID] { // delivery is at least once: charge each order once
		return o, nil
	}
	s.seen[o.ID] = true
	s.charged.Add(1)
	if s.fixed.Load() {
		s.afterFix.Add(1)
		s.pr.Printf("  order %d charged after the redrive (%d.%02d)", o.ID, o.AmountCents/100, o.AmountCents%100)
	}
	s.done.Count()
	return o, nil
}
