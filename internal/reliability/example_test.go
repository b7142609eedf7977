package reliability_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/internal/reliability"
)

// A FaultProxy in front of the emulator fails the share of requests it is
// told to; here every one, with AWS's 500 InternalError.
func ExampleFaultProxy() {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	proxy, err := reliability.StartProxy(reliability.ProxyOptions{
		Target: srv.Endpoint(),
		Rate:   1,
		Faults: []reliability.Fault{reliability.ServerError},
	})
	if err != nil {
		panic(err)
	}
	defer proxy.Close()

	cfg := reliability.ClientConfig(proxy.URL(), 0)
	defer cfg.HTTPClient.(*http.Client).CloseIdleConnections()
	cfg.RetryMaxAttempts = 1 // show the fault rather than retry it
	_, err = sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{})
	var api smithy.APIError
	if errors.As(err, &api) {
		fmt.Println("error:", api.ErrorCode())
	}

	proxy.SetRate(0) // faults off: requests pass
	_, err = sqs.NewFromConfig(cfg).ListQueues(ctx, &sqs.ListQueuesInput{})
	fmt.Println("error:", err)
	fmt.Println(proxy.Counts())
	// Output:
	// error: InternalError
	// error: <nil>
	// server-error=1 throttle=0 partial-batch=0 reset-before=0 reset-after=0 latency=0 failed-entries=0
}
