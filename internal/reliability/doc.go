// Package reliability is sqsflow's crash, fault and soak suite: tests that
// try hard to make a consume-transform-publish pipeline lose a message, and
// the tools they use to do it.
//
// The promise under test is at-least-once processing: every message
// published is handled, or is in the dead-letter queue, whatever happens to
// the process or the network. The tests kill a worker process with SIGKILL
// and SIGTERM, put a [FaultProxy] between the pipeline and the endpoint
// (500s, throttling, partial batch failures, connection resets, latency past
// the client timeout), take the endpoint away and bring it back, feed the
// pipeline hostile bodies and handlers that panic, make handlers slower
// than the visibility timeout and soak it at steady load. At the end every
// message id must be in the downstream queue or the dead-letter queue;
// duplicates are counted and reported.
//
// The pipeline under test is [Build]: a source reading [Job]s from a queue
// (or a topic through a queue), a transform, and a sink sending [Result]s to
// another queue (or publishing them to a topic); standard or FIFO. The crash
// tests run it in a child process (the test binary run again with
// [WorkerVariable] set, see [WorkerMain]); the other tests run it in the
// test process. [Drain] empties the downstream queue and the dead-letter
// queue into [Ledger]s that count every id they see.
//
// Plain `go test ./...` runs only a quick subset (the proxy's own tests, the
// queue policy, secrets, bad input and handler panics); the rest skip,
// saying how to run them. The whole suite runs with SQSFLOW_RELIABILITY
// set:
//
//	SQSFLOW_RELIABILITY=short go test -v -run Reliability ./internal/reliability/
//	SQSFLOW_RELIABILITY=full go test -v -timeout 30m -run Reliability ./internal/reliability/
//
// Every test prints its figures on one line, in a fixed format, such as
//
//	crash (sns): messages=20000 kills=6 lost=0 duplicates=141 delivered=19800 dead-lettered=200 reordered=0
package reliability
