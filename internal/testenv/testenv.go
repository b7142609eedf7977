package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqsflow/sqsflow/emulator"
)

// EndpointVariable names the environment variable that points tests at an
// external SNS+SQS endpoint instead of an embedded emulator.
const EndpointVariable = "SQSFLOW_TEST_ENDPOINT"

// Env is one test's SNS+SQS endpoint and clients for it.
type Env struct {
	// Endpoint is the base URL, "http://127.0.0.1:PORT".
	Endpoint string
	// Config is an aws.Config for the endpoint: region, static credentials
	// and BaseEndpoint.
	Config aws.Config
	// SQS and SNS are clients made from Config.
	SQS *sqs.Client
	SNS *sns.Client
	// Server is the embedded emulator, nil when the endpoint is external.
	Server *emulator.Server
	// Reference names what serves the endpoint: "embedded" for the
	// emulator New started, "sqsflow" for `sqsflow local`, "fauxqs",
	// "moto", or "unknown". Conformance tests use it to skip a check where a
	// reference is known to deviate from AWS's documented behaviour. Set
	// SQSFLOW_TEST_REFERENCE to override the detection.
	Reference string
	// Stats reports the emulator's request counts. For an external endpoint
	// it asks GET /_emulator/stats (answered by `sqsflow local`) and reports
	// false when the endpoint does not answer it (fauxqs, moto).
	Stats func() (emulator.Stats, bool)
}

// External reports whether SQSFLOW_TEST_ENDPOINT points the tests at an
// endpoint other than an embedded emulator.
func External() bool { return os.Getenv(EndpointVariable) != "" }

// New returns the environment for one test: a fresh embedded emulator
// closed in t.Cleanup, or the endpoint SQSFLOW_TEST_ENDPOINT names.
func New(t testing.TB) *Env {
	t.Helper()
	if ep := os.Getenv(EndpointVariable); ep != "" {
		return external(t, ep)
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	if err != nil {
		t.Fatalf("testenv: start emulator: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("testenv: close emulator: %v", err)
		}
	})
	cfg := srv.Config()
	return &Env{
		Endpoint:  srv.Endpoint(),
		Config:    cfg,
		SQS:       sqs.NewFromConfig(cfg),
		SNS:       sns.NewFromConfig(cfg),
		Server:    srv,
		Reference: "embedded",
		Stats:     func() (emulator.Stats, bool) { return srv.Stats(), true },
	}
}

func external(t testing.TB, ep string) *Env {
	if !strings.Contains(ep, "://") {
		ep = "http://" + ep
	}
	ep = strings.TrimRight(ep, "/")
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	client := &http.Client{Transport: emulator.RoundTripper(tr)}
	t.Cleanup(tr.CloseIdleConnections)
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(ep),
		HTTPClient:       client,
		RetryMode:        aws.RetryModeStandard,
		RetryMaxAttempts: 3,
	}
	env := &Env{
		Endpoint:  ep,
		Config:    cfg,
		SQS:       sqs.NewFromConfig(cfg),
		SNS:       sns.NewFromConfig(cfg),
		Reference: os.Getenv(ReferenceVariable),
		Stats: func() (emulator.Stats, bool) {
			resp, err := client.Get(ep + "/_emulator/stats")
			if err != nil {
				return emulator.Stats{}, false
			}
			defer resp.Body.Close()
			var st emulator.Stats
			if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
				return emulator.Stats{}, false
			}
			return st, true
		},
	}
	if env.Reference == "" {
		env.Reference = detect(client, ep)
	}
	return env
}

// ReferenceVariable names the environment variable that tells what serves
// SQSFLOW_TEST_ENDPOINT when detection is not wanted.
const ReferenceVariable = "SQSFLOW_TEST_REFERENCE"

// detect tells the references apart by the endpoints only each of them
// answers.
func detect(client *http.Client, ep string) string {
	ok := func(path string) bool {
		resp, err := client.Get(ep + path)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	switch {
	case ok("/_emulator/stats"):
		return "sqsflow"
	case ok("/moto-api/data.json"):
		return "moto"
	case ok("/health"):
		return "fauxqs"
	}
	return "unknown"
}

// Name returns a unique, valid queue or topic name built from base: base,
// a hyphen and 8 random hex digits, with ".fifo" kept at the end when base
// has it. Characters SQS and SNS do not allow become hyphens and a long base
// is shortened to keep the name within 80 characters.
func (e *Env) Name(t testing.TB, base string) string {
	t.Helper()
	base, fifo := strings.CutSuffix(base, ".fifo")
	clean := []byte(base)
	for i, c := range clean {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			clean[i] = '-'
		}
	}
	if len(clean) > 60 {
		clean = clean[:60]
	}
	var r [4]byte
	rand.Read(r[:])
	name := string(clean) + "-" + hex.EncodeToString(r[:])
	if fifo {
		name += ".fifo"
	}
	return name
}

// CreateQueue creates a queue named from base (see Name) with the
// attributes, deletes it when the test ends, and returns its name and URL.
// A name ending in ".fifo" creates a FIFO queue.
func (e *Env) CreateQueue(t testing.TB, base string, attrs map[string]string) (name, url string) {
	t.Helper()
	name = e.Name(t, base)
	in := &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{}}
	for k, v := range attrs {
		in.Attributes[k] = v
	}
	if strings.HasSuffix(name, ".fifo") {
		in.Attributes["FifoQueue"] = "true"
	}
	out, err := e.SQS.CreateQueue(context.Background(), in)
	if err != nil {
		t.Fatalf("testenv: create queue %s: %v", name, err)
	}
	url = aws.ToString(out.QueueUrl)
	t.Cleanup(func() {
		e.SQS.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	})
	return name, url
}

// Fill sends the messages body(from) to body(from+n-1) to the queue at url,
// ten to a SendMessageBatch, eight batches at a time, and fails the test if
// any is not sent. Messages of one batch keep their order; batches may not.
func (e *Env) Fill(t testing.TB, url string, from, n int, body func(i int) string) {
	t.Helper()
	starts := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for start := range starts {
				var entries []sqstypes.SendMessageBatchRequestEntry
				for i := start; i < min(start+10, from+n); i++ {
					entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body(i))})
				}
				out, err := e.SQS.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				if err == nil && len(out.Failed) > 0 {
					err = fmt.Errorf("%d entries failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for start := from; start < from+n; start += 10 {
		starts <- start
	}
	close(starts)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("testenv: fill %s: %v", url, err)
	default:
	}
}

// QueueARN returns the QueueArn attribute of a queue.
func (e *Env) QueueARN(t testing.TB, url string) string {
	t.Helper()
	out, err := e.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("testenv: queue ARN of %s: %v", url, err)
	}
	return out.Attributes["QueueArn"]
}

// CreateTopic creates a topic named from base (see Name) with the
// attributes, deletes it when the test ends, and returns its name and ARN.
// A name ending in ".fifo" creates a FIFO topic.
func (e *Env) CreateTopic(t testing.TB, base string, attrs map[string]string) (name, arn string) {
	t.Helper()
	name = e.Name(t, base)
	in := &sns.CreateTopicInput{Name: aws.String(name), Attributes: map[string]string{}}
	for k, v := range attrs {
		in.Attributes[k] = v
	}
	if strings.HasSuffix(name, ".fifo") {
		in.Attributes["FifoTopic"] = "true"
	}
	out, err := e.SNS.CreateTopic(context.Background(), in)
	if err != nil {
		t.Fatalf("testenv: create topic %s: %v", name, err)
	}
	arn = aws.ToString(out.TopicArn)
	t.Cleanup(func() {
		e.SNS.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
	})
	return name, arn
}
