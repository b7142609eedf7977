package provision

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/matryer/is"
)

func TestClientsComplete(t *testing.T) {
	is := is.New(t)
	ctx := context.Background()

	made, err := Clients{}.Complete(ctx, aws.Config{Region: "eu-west-1"})
	is.NoErr(err)
	is.True(made.SQS != nil && made.SNS != nil && made.STS != nil)
	is.Equal(made.Region, "eu-west-1")

	kept, err := Clients{SQS: made.SQS, SNS: made.SNS, STS: made.STS, Region: "x"}.Complete(ctx, aws.Config{})
	is.NoErr(err)
	is.Equal(kept.SQS, made.SQS) // given clients are kept, nothing is loaded
	is.Equal(kept.Region, "x")

	// No region anywhere: a clear error, not clients that fail later.
	dir := t.TempDir()
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	_, err = Clients{}.Complete(ctx, aws.Config{})
	is.True(err != nil && strings.Contains(err.Error(), "no AWS region"))
}
