package provision_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Provisioning starts no goroutines; the embedded emulators the tests start
// must all be stopped when the tests end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
