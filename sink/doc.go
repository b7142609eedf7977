// Package sink ends pipelines: it publishes values to SNS topics
// ([PublishSNS], tomodachi's aws_sns_sqs_publish) and sends them to SQS
// queues ([SendSQS], tomodachi's sqs_send_message), or just acknowledges
// them ([Ack], [Discard]).
//
// A message is acknowledged on its source queue only after what was made
// from it has been published, which keeps a consume-transform-publish
// pipeline at-least-once. Values are sealed with an envelope (tomodachi's
// JSON base by default) and go out through PublishBatch and
// SendMessageBatch, ten to a request, flushed when a batch is full or after
// a short linger, several requests in flight. Entries AWS fails for its own
// reasons (or throttling) are retried; entries it rejects as the sender's
// fault fail their message permanently, so the source dead-letters it. An
// error that makes every request fail (not authorised, topic gone) stops the
// pipeline.
//
// The Then forms ([PublishSNSThen], [SendSQSThen]) pass each value on once
// it is sent, so one pipeline can publish to several places before it
// acknowledges. A [Publisher] does the same for single messages outside
// pipelines.
package sink
