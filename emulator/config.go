package emulator

import (
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Static test credentials every client of the emulator may use; the
// emulator does not check signatures.
const (
	TestAccessKeyID     = "test"
	TestSecretAccessKey = "test"
)

// Config returns an aws.Config for SDK clients of this server: its region,
// static test credentials, BaseEndpoint set to Endpoint, three attempts per
// call, and an HTTP client whose idle connections Close releases.
//
//	sqsClient := sqs.NewFromConfig(srv.Config())
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:           s.opts.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(TestAccessKeyID, TestSecretAccessKey, ""),
		BaseEndpoint:     aws.String(s.endpoint),
		HTTPClient:       s.client,
		RetryMode:        aws.RetryModeStandard,
		RetryMaxAttempts: 3,
	}
}

// newClient returns the HTTP client Config hands out: enough idle
// connections per host for concurrent tests and benchmarks (the default of
// two would make every extra concurrent caller open a new connection).
func newClient() (*http.Client, *http.Transport) {
	t := &http.Transport{
		Proxy:               nil, // loopback only: never route through a proxy from the environment
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{Transport: t}, t
}
