package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/sqsflow/sqsflow/emulator"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sqsflow/sqsflow/provision"
)

// awsFlags are the flags shared by the commands that call AWS. The
// configuration comes from the standard AWS chain (environment variables,
// shared config and credentials files, SSO, container and instance roles);
// the flags override its endpoint, region and profile.
type awsFlags struct {
	endpoint, region, profile string
}

// addAWSFlags defines -endpoint, -region and -profile on fs.
func addAWSFlags(fs *flag.FlagSet) *awsFlags {
	f := &awsFlags{}
	fs.StringVar(&f.endpoint, "endpoint", "", "`URL` of the SNS and SQS endpoint, e.g. http://127.0.0.1:4566 for 'sqsflow local' or fauxqs (default: AWS, or AWS_ENDPOINT_URL); without credentials, dummy ones are used")
	fs.StringVar(&f.region, "region", "", "AWS `region` (default: from the AWS configuration; us-east-1 with an endpoint)")
	fs.StringVar(&f.profile, "profile", "", "shared configuration `profile` (default: AWS_PROFILE, or the default profile)")
	return f
}

// dummyCredentials are used against an explicit endpoint when the AWS chain
// finds none: emulators accept any.
var dummyCredentials = credentials.NewStaticCredentialsProvider("sqsflow", "sqsflow", "")

// awsSession is the configuration and clients of one command run. Close
// releases its connections.
type awsSession struct {
	cfg  aws.Config
	sqs  *sqs.Client
	sns  *sns.Client
	sts  *sts.Client
	http *http.Client
}

// open loads the AWS configuration and makes the clients. A malformed
// -endpoint is a usage error.
func (f *awsFlags) open(ctx context.Context) (*awsSession, error) {
	endpoint := f.endpoint
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	} else if err := checkEndpoint(endpoint); err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if f.endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(f.endpoint))
	}
	if f.region != "" {
		opts = append(opts, config.WithRegion(f.region))
	}
	if f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(f.profile))
	}
	if isLoopback(endpoint) {
		// An emulator on this machine: an instance role cannot be meant, and
		// asking the instance metadata service for one only adds a delay
		// and a warning.
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration: %w", err)
	}
	// The session owns its HTTP transport, so that Close can drop idle
	// connections instead of leaving them to the process's end. The SDK's
	// buildable client hands out a copy of its transport, with the CA
	// bundle the configuration may have given it.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		tr = bc.GetTransport()
	}
	client := &http.Client{Transport: tr}
	if isLoopback(endpoint) {
		client.Transport = emulator.RoundTripper(tr) // see emulator.RoundTripper
	}
	cfg.HTTPClient = client
	if endpoint != "" {
		if cfg.Region == "" {
			cfg.Region = "us-east-1"
		}
		if !hasCredentials(ctx, cfg) {
			cfg.Credentials = dummyCredentials
		}
	}
	if cfg.Region == "" {
		client.CloseIdleConnections()
		return nil, errors.New("no AWS region: set -region, AWS_REGION or a region in the AWS config file")
	}
	return &awsSession{
		cfg:  cfg,
		sqs:  sqs.NewFromConfig(cfg),
		sns:  sns.NewFromConfig(cfg),
		sts:  sts.NewFromConfig(cfg),
		http: client,
	}, nil
}

// Close closes the session's idle connections.
func (s *awsSession) Close() { s.http.CloseIdleConnections() }

// clients returns the session's clients for the provision package.
func (s *awsSession) clients() provision.Clients {
	return provision.Clients{SQS: s.sqs, SNS: s.sns, STS: s.sts, Region: s.cfg.Region}
}

// checkEndpoint reports an -endpoint that is not an http or https URL with
// a host.
func checkEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("-endpoint %q: want an http:// or https:// URL, e.g. http://127.0.0.1:4566", endpoint)
	}
	return nil
}

// isLoopback reports whether endpoint is a URL whose host is this machine.
func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hasCredentials reports whether the AWS chain found credentials.
func hasCredentials(ctx context.Context, cfg aws.Config) bool {
	if cfg.Credentials == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := cfg.Credentials.Retrieve(ctx)
	return err == nil
}

// cliError is an error with a shorter, one-line message; errors.As and
// errors.Is still see the error it was made from.
type cliError struct {
	msg string
	err error
}

func (e *cliError) Error() string { return e.msg }
func (e *cliError) Unwrap() error { return e.err }

// concise shortens the SDK's error text, "operation error SQS: GetQueueUrl,
// https response error StatusCode: 400, RequestID: ..., QueueDoesNotExist:
// ...", to "SQS GetQueueUrl: QueueDoesNotExist: ...", and puts the message
// on one line. Usage errors are returned as they are.
func concise(err error) error {
	var ue usageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	msg := err.Error()
	var op *smithy.OperationError
	if errors.As(err, &op) {
		short := op.Service() + " " + op.Operation() + ": "
		var api smithy.APIError
		if errors.As(op.Err, &api) {
			short += api.ErrorCode()
			if m := api.ErrorMessage(); m != "" {
				short += ": " + m
			}
		} else {
			short += op.Err.Error()
		}
		msg = strings.Replace(msg, op.Error(), short, 1)
	}
	msg = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(msg)
	if msg == err.Error() {
		return err
	}
	return &cliError{msg: msg, err: err}
}

// concisely wraps a command's run function to make the errors it returns
// concise (see concise).
func concisely(run runFunc) runFunc {
	return func(ctx context.Context, args []string, stdout io.Writer) error {
		return concise(run(ctx, args, stdout))
	}
}
