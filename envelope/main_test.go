package envelope_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The stage tests run pipelines; none may leave a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
