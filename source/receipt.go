package source

import (
	"time"

	"github.com/sqsflow/sqsflow/flow"
)

// Receipt is what the source knows about one delivery of an SQS message, in
// the Transport field of the message's [flow.Meta]. It is what a tomodachi
// handler receives as queue_url and receipt_handle.
type Receipt struct {
	// QueueURL is the queue the message was received from.
	QueueURL string
	// ReceiptHandle identifies this delivery for DeleteMessage and
	// ChangeMessageVisibility. The source deletes or returns the message
	// itself; use it only for inspection.
	ReceiptHandle string
	// MessageID is the SQS message id.
	MessageID string
	// ReceivedAt is when the source received it.
	ReceivedAt time.Time
	// SequenceNumber is the FIFO sequence number, "" for standard queues.
	SequenceNumber string
}

// ReceiptOf returns the SQS receipt of a message from this package's sources,
// and false for messages from elsewhere.
func ReceiptOf(meta *flow.Meta) (*Receipt, bool) {
	if meta == nil {
		return nil, false
	}
	r, ok := meta.Transport.(*Receipt)
	return r, ok
}
