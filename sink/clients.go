package sink

import (
	"context"
	"fmt"

	"github.com/sqsflow/sqsflow/provision"
)

// clientsFor returns the configured clients, making the missing ones from
// the configuration (or the default chain).
func clientsFor(ctx context.Context, c *config) (provision.Clients, error) {
	cl, err := provision.Clients{SQS: c.sqs, SNS: c.sns, STS: c.sts}.Complete(ctx, c.aws)
	if err != nil {
		return cl, fmt.Errorf("sink: %w", err)
	}
	return cl, nil
}

func setClients(t target, cl provision.Clients) {
	switch t := t.(type) {
	case *topicTarget:
		t.clients = cl
	case *queueTarget:
		t.clients = cl
	}
}
