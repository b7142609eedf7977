package provision

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Complete returns c with the clients it lacks made from cfg, or, when cfg
// has no region, from the default configuration chain (environment, shared
// files, SSO, instance and task roles; AWS_ENDPOINT_URL is honoured). Clients
// already set, such as fakes in tests, are kept. Region is filled in too.
func (c Clients) Complete(ctx context.Context, cfg aws.Config) (Clients, error) {
	if c.SQS != nil && c.SNS != nil && c.STS != nil {
		return c, nil
	}
	if cfg.Region == "" {
		loaded, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return c, fmt.Errorf("load the AWS configuration: %w", err)
		}
		if loaded.Region == "" {
			return c, errors.New("no AWS region: set AWS_REGION, or give an aws.Config with a region")
		}
		cfg = loaded
	}
	if c.SQS == nil {
		c.SQS = sqs.NewFromConfig(cfg)
	}
	if c.SNS == nil {
		c.SNS = sns.NewFromConfig(cfg)
	}
	if c.STS == nil {
		c.STS = sts.NewFromConfig(cfg)
	}
	if c.Region == "" {
		c.Region = cfg.Region
	}
	return c, nil
}
