package reliability_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/sqsflow/sqsflow/internal/reliability"
)

// TestMain runs the worker instead of the tests when the test binary is
// started as a worker process by the crash tests.
func TestMain(m *testing.M) {
	if os.Getenv(reliability.WorkerVariable) != "" {
		os.Exit(reliability.WorkerMain())
	}
	goleak.VerifyTestMain(m,
		// Idle keep-alive connections of the SDK clients' transports.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}
