// Command bench measures sqsflow against its peers on the same SNS+SQS
// endpoint in one run, so the comparison holds even though absolute figures
// drift between machines:
//
//	go run ./bench                                   # all scenarios and implementations, against `sqsflow local`
//	go run ./bench -scenario transform -n 50000
//	go run ./bench -scenario drain -impl sqsflow -n 1000000 -append
//	go run ./bench -endpoint http://127.0.0.1:4566   # fauxqs or any SNS+SQS endpoint
//
// # Implementations
//
// Each does the same work against the same endpoint with the same
// aws.Config (see awsConfig), configured as its documentation recommends
// for throughput (see each runner's doc comment):
//
//   - sqsflow: the pipeline as a user writes it from the README
//     (impl_sqsflow.go);
//   - rawsdk: the best hand-written aws-sdk-go-v2 code: concurrent long
//     polls of 10, PublishBatch, DeleteMessageBatch (impl_rawsdk.go);
//   - tomodachi-pattern: tomodachi's request pattern (receive up to 10,
//     handle the batch concurrently, wait for all, DeleteMessage and
//     Publish one by one), standing in for a tomodachi service's AWS cost
//     (impl_tomodachi.go);
//   - watermill: github.com/ThreeDotsLabs/watermill with watermill-aws
//     v1.0.2 (impl_watermill.go);
//   - gocloud: gocloud.dev/pubsub/awssnssqs v0.47.0 (impl_gocloud.go).
//
// # Scenarios
//
// drain (a pre-filled queue, consumed and acked), transform (consume,
// decode the JSON envelope, map, publish to a second topic, ack; the
// downstream queue is checked to hold all N), slow (20 ms of simulated work
// per message, once per in-flight window), latency (a producer publishes
// at a steady rate; publish-to-handled latency) and fifo (a FIFO queue with
// 100 message groups; order checked per group).
//
// # Measurement
//
// The harness starts `sqsflow local` in a child process (unless -endpoint
// is given), creates fresh topics and queues for every run, fills the input
// queue with concurrent SendMessageBatch calls in the form the
// implementation's subscription delivers, and runs the implementation in a
// child process (this binary, re-executed with SQSFLOW_BENCH_WORKER set),
// so its CPU time and peak RSS (getrusage of the child) are its own.
// Throughput counts from the worker's first ReceiveMessage to the moment
// every message was handled and deleted (and, for transform, published).
// AWS requests are counted by SDK middleware on every client the
// implementation makes (every HTTP attempt, set-up included) and
// cross-checked with the emulator's GET /_emulator/stats. The server's CPU
// time per message comes from /proc (Linux).
//
// Output: a progress line on stderr while it runs, one JSON line per result
// on stdout, and bench/results/latest.jsonl, latest.md (a table, with the
// issue's targets checked) and latest.png (throughput and requests per
// message by implementation, and the slow handler's throughput by window,
// drawn with gonum.org/v1/plot).
package main
