// Package emulator is an in-process SNS+SQS server for tests and local
// runs. It speaks the protocols the current AWS SDKs speak (SQS over AWS
// JSON 1.0, SNS and STS over the query protocol), so unmodified SDK clients
// in any language work against it, and it needs nothing but Go: no AWS
// account, no Docker, no Node.
//
// Start serves on a loopback port and hands back the endpoint and a ready
// aws.Config:
//
//	srv, err := emulator.Start(ctx, emulator.Options{})
//	defer srv.Close()
//	client := sqs.NewFromConfig(srv.Config())
//
// Each Server has its own State (queues, messages, topics, subscriptions);
// there is no package-level state, so parallel tests each start their own.
// A State can outlive its Server and be served again (Options.State), which
// lets a test restart the "cloud" under a running program. `sqsflow local`
// serves the same thing to other processes.
//
// SQS: queues standard and FIFO with the attributes AWS documents; send,
// receive and delete, single and batched; long polling that returns as soon
// as a message arrives; visibility timeouts and redelivery; queue and
// message delays; retention; redrive to a dead-letter queue after
// maxReceiveCount receives; FIFO ordering per message group, with the group
// locked while one of its messages is in flight, 5-minute deduplication by
// id or content hash and sequence numbers; MD5 digests of bodies and
// attributes as the SDKs check them; size limits, name rules and the error
// codes, HTTP statuses and x-amzn-query-error headers AWS uses. Policy and
// KMS attributes are stored and returned, not enforced.
//
// SNS: standard and FIFO topics, subscriptions of SQS queues with filter
// policies (attribute or body scope) and raw message delivery, Publish and
// PublishBatch delivering to the subscribed queues as AWS does (the JSON
// notification, or the raw message). STS: GetCallerIdentity.
//
// It is a local default, not a production engine: everything is in
// memory, signatures are not checked and nothing is authorised. Fidelity is
// checked by a conformance suite that also runs against other emulators
// (see conformance_test.go).
package emulator
