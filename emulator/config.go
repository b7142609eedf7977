package emulator

import (
	"bytes"
	"io"
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
	return &http.Client{Transport: ownBody{t}}, t
}

// ownBody is an http.RoundTripper that gives the transport a copy of each
// request body that nothing else can close. It works around a race between
// aws-sdk-go-v2 and net/http (aws/aws-sdk-go-v2#1825, #2737) that a loopback
// server, answering within microseconds, makes frequent: the transport's
// write loop fails on a body the SDK has already closed and closes the
// connection under the response being read. The SDK retries, but for
// ReceiveMessage the lost response's messages then stay invisible until
// their visibility timeout.
type ownBody struct{ next http.RoundTripper }

func (o ownBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return o.next.RoundTrip(req)
	}
	data, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	r.ContentLength = int64(len(data))
	return o.next.RoundTrip(r)
}

// CloseIdleConnections closes the wrapped transport's idle connections, so
// that http.Client.CloseIdleConnections reaches it.
func (o ownBody) CloseIdleConnections() {
	if c, ok := o.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTripper returns next wrapped in the work-around described on ownBody,
// for clients of loopback endpoints made outside Config.
func RoundTripper(next http.RoundTripper) http.RoundTripper { return ownBody{next} }
