package provision_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/provision"
)

// env is an SNS+SQS endpoint for one test (a fresh embedded emulator, or
// SQSFLOW_TEST_ENDPOINT), with names of its own.
type env struct {
	SQS     *sqs.Client
	SNS     *sns.Client
	STS     *sts.Client
	Clients provision.Clients
	// Prefix is unique to the test and used as both topic and queue prefix,
	// so tests can share an external endpoint.
	Prefix string
	Naming provision.Naming
}

func newEnv(t *testing.T) *env {
	t.Helper()
	te := testenv.New(t)
	e := &env{
		SQS:    te.SQS,
		SNS:    te.SNS,
		STS:    sts.NewFromConfig(te.Config),
		Prefix: strings.TrimPrefix(te.Name(t, "t"), "t-") + "-", // 8 hex digits and a hyphen
	}
	e.Clients = provision.Clients{SQS: e.SQS, SNS: e.SNS, STS: e.STS}
	e.Naming = provision.Naming{TopicPrefix: e.Prefix, QueuePrefix: e.Prefix}
	return e
}

var ctx = context.Background()
