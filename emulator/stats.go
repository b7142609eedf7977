package emulator

import (
	"sync"
	"sync/atomic"
)

// Stats is a snapshot of what a Server has answered since it started.
type Stats struct {
	// Requests counts requests by service and action, IAM style:
	// "sqs:SendMessageBatch", "sns:Publish", "sts:GetCallerIdentity".
	// Requests that named no known action count as "sqs:Unknown" or "sns:Unknown".
	Requests map[string]int64 `json:"requests"`
	// Errors counts requests answered with an error.
	Errors int64 `json:"errors"`
	// MessagesSent counts messages stored in queues by SendMessage,
	// SendMessageBatch and SNS deliveries (FIFO duplicates excluded).
	MessagesSent int64 `json:"messagesSent"`
	// MessagesReceived counts messages handed out by ReceiveMessage.
	MessagesReceived int64 `json:"messagesReceived"`
	// MessagesDeleted counts successful DeleteMessage and DeleteMessageBatch entries.
	MessagesDeleted int64 `json:"messagesDeleted"`
	// MessagesPublished counts messages accepted by Publish and PublishBatch.
	MessagesPublished int64 `json:"messagesPublished"`
}

// Total returns the number of requests of every action.
func (s Stats) Total() int64 {
	var n int64
	for _, c := range s.Requests {
		n += c
	}
	return n
}

// counters are the live, atomically updated counts behind Stats.
type counters struct {
	requests                                   sync.Map // string -> *atomic.Int64
	errors, sent, received, deleted, published atomic.Int64
}

func (c *counters) request(action string) {
	v, ok := c.requests.Load(action)
	if !ok {
		v, _ = c.requests.LoadOrStore(action, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Requests:          make(map[string]int64),
		Errors:            c.errors.Load(),
		MessagesSent:      c.sent.Load(),
		MessagesReceived:  c.received.Load(),
		MessagesDeleted:   c.deleted.Load(),
		MessagesPublished: c.published.Load(),
	}
	c.requests.Range(func(k, v any) bool {
		s.Requests[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return s
}
