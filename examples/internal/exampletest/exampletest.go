package exampletest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/provision"
)

// Env returns an environment for one test: a fresh embedded emulator that
// is closed when the test ends, or the external test endpoint with a prefix
// unique to the test, whose topics and queues are deleted when it ends. The
// library's warnings go to the test's log.
func Env(t testing.TB) exampleenv.Env {
	t.Helper()
	te := testenv.New(t)
	env := exampleenv.Env{
		AWS:    te.Config,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
		Where:  te.Endpoint,
	}
	// Runs before testenv's cleanup closes the emulator: an idle client
	// connection that never carried a request would delay that by 5s.
	t.Cleanup(func() {
		if c, ok := te.Config.HTTPClient.(interface{ CloseIdleConnections() }); ok {
			c.CloseIdleConnections()
		}
	})
	if testenv.External() {
		prefix := exampleenv.RunPrefix()
		env.Naming = provision.Naming{TopicPrefix: prefix, QueuePrefix: prefix}
		t.Cleanup(func() {
			if err := exampleenv.DeleteAll(context.Background(), te.Config, prefix); err != nil {
				t.Errorf("clean up: %v", err)
			}
		})
	}
	return env
}

// Context returns a context for running one example, cancelled after
// timeout or when the test ends.
func Context(t testing.TB, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}
