package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/matryer/is"
)

func TestConcise(t *testing.T) {
	t.Parallel()
	apiErr := &types.QueueDoesNotExist{Message: new("The specified queue does not exist.")}
	opErr := &smithy.OperationError{ServiceID: "SQS", OperationName: "GetQueueUrl",
		Err: fmt.Errorf("https response error StatusCode: 400, RequestID: 1234, %w", apiErr)}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"api error", fmt.Errorf("queue %q: %w", "q", opErr), `queue "q": SQS GetQueueUrl: QueueDoesNotExist: The specified queue does not exist.`},
		{"other error", &smithy.OperationError{ServiceID: "SNS", OperationName: "Publish", Err: errors.New("dial tcp: refused")}, "SNS Publish: dial tcp: refused"},
		{"newlines", errors.New("line one\nline two\r\nthree"), "line one line two three"},
		{"plain", errors.New("plain"), "plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			got := concise(tt.err)
			is.Equal(got.Error(), tt.want)
			is.True(errors.Is(got, tt.err)) // the chain is kept
		})
	}
	is := is.New(t)
	var qdne *types.QueueDoesNotExist
	is.True(errors.As(concise(fmt.Errorf("x: %w", opErr)), &qdne))
	ue := usagef("bad\nflag")
	is.Equal(concise(ue), ue) // usage errors are left alone
	is.Equal(concise(nil), nil)
}

// noAWSEnvironment makes the AWS configuration chain find no credentials,
// region or endpoint.
func noAWSEnvironment(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// open parses AWS flags and opens a session with them.
func openWith(t *testing.T, args ...string) (*awsSession, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := addAWSFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	s, err := f.open(context.Background())
	if err == nil {
		t.Cleanup(s.Close)
	}
	return s, err
}

// Not parallel: these tests set environment variables.

func TestOpenWithEndpointAndNoCredentials(t *testing.T) {
	noAWSEnvironment(t)
	is := is.New(t)
	s, err := openWith(t, "-endpoint", "http://127.0.0.1:4566")
	is.NoErr(err)
	is.Equal(s.cfg.Region, "us-east-1")
	is.Equal(*s.cfg.BaseEndpoint, "http://127.0.0.1:4566")
	creds, err := s.cfg.Credentials.Retrieve(context.Background())
	is.NoErr(err)
	is.Equal(creds.AccessKeyID, "sqsflow") // dummy credentials

	// Credentials from the chain win over the dummy ones.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	s, err = openWith(t, "-endpoint", "http://127.0.0.1:4566", "-region", "eu-west-1")
	is.NoErr(err)
	is.Equal(s.cfg.Region, "eu-west-1")
	creds, err = s.cfg.Credentials.Retrieve(context.Background())
	is.NoErr(err)
	is.Equal(creds.AccessKeyID, "AKIDEXAMPLE")
}

func TestOpenTakesEndpointFromEnvironment(t *testing.T) {
	noAWSEnvironment(t)
	is := is.New(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://localhost:4566")
	s, err := openWith(t)
	is.NoErr(err)
	is.Equal(*s.cfg.BaseEndpoint, "http://localhost:4566")
	is.Equal(s.cfg.Region, "us-east-1")
	creds, err := s.cfg.Credentials.Retrieve(context.Background())
	is.NoErr(err)
	is.Equal(creds.AccessKeyID, "sqsflow")
}

func TestOpenWithoutRegion(t *testing.T) {
	noAWSEnvironment(t)
	r := cliArgs(t, "", "tail", "q")
	r.failed(t, 1, "sqsflow tail: no AWS region: set -region, AWS_REGION or a region in the AWS config file")
}

func TestBadEndpoint(t *testing.T) {
	t.Parallel()
	for _, ep := range []string{"127.0.0.1:4566", "ftp://host", "http://", "://x"} {
		cliArgs(t, "", "send", "-endpoint", ep, "q", "{}").failed(t, 2, "want an http:// or https:// URL")
	}
}

func TestHelpHasExamples(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"provision", "publish", "send", "tail", "redrive", "names"} {
		t.Run(name, func(t *testing.T) {
			is := is.New(t)
			r := cliArgs(t, "", name, "-h").ok(t)
			is.True(strings.Contains(r.stdout, "Usage: sqsflow "+name))
			is.True(strings.Contains(r.stdout, "\nExample:\n  sqsflow "+name+" "))
			if name != "names" {
				is.True(strings.Contains(r.stdout, "-endpoint URL"))
			}
		})
	}
	is := is.New(t)
	r := cliArgs(t, "", "tail", "-h").ok(t)
	is.True(strings.Contains(r.stdout, "maxReceiveCount")) // receiving is not free
}
