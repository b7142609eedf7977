package sink

import (
	"context"
	"errors"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/sqsflow/sqsflow/provision"
)

// clientsFor returns the configured clients, making the missing ones from
// the configuration (or the default chain).
func clientsFor(ctx context.Context, c *config) (provision.Clients, error) {
	cl := provision.Clients{SQS: c.sqs, SNS: c.sns, STS: c.sts}
	if cl.SQS != nil && cl.SNS != nil && cl.STS != nil {
		return cl, nil
	}
	cfg := c.aws
	if cfg.Region == "" {
		loaded, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return cl, fmt.Errorf("sink: load the AWS configuration: %w", err)
		}
		if loaded.Region == "" {
			return cl, errors.New("sink: no AWS region: set AWS_REGION or use WithAWS")
		}
		cfg = loaded
	}
	if cl.SQS == nil {
		cl.SQS = sqs.NewFromConfig(cfg)
	}
	if cl.SNS == nil {
		cl.SNS = sns.NewFromConfig(cfg)
	}
	if cl.STS == nil {
		cl.STS = sts.NewFromConfig(cfg)
	}
	if cl.Region == "" {
		cl.Region = cfg.Region
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
