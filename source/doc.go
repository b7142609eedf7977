// Package source consumes SQS queues into pipelines: [SNSSQS] for a queue
// subscribed to an SNS topic (what tomodachi's @aws_sns_sqs decorator does)
// and [SQS] for a queue that senders write to directly.
//
// Before the pipeline starts, a source provisions what it consumes, in
// tomodachi's order and idempotently: the queue, its dead-letter queue, the
// topic, the queue's policy and attributes, the subscription and its filter
// policy (see package provision). Every attribute is three-state, and
// provisioning can be switched off for infrastructure managed elsewhere.
//
// # The life of a message
//
// Receivers long-poll the queue, asking only for as many messages as the
// in-flight window has room for, so memory stays bounded and a slow pipeline
// slows the source. Each message is unwrapped (SNS notification, tomodachi's
// sqs_send_message body, or raw delivery) into an [envelope.Delivery] with
// its metadata in [flow.Meta], and carries a token through the pipeline.
//
// When the pipeline finishes a message it is deleted, in batches of up to
// ten (DeleteMessageBatch). When it fails, its visibility is set by the
// [Backoff] (ChangeMessageVisibilityBatch), so it comes back later and, past
// the redrive policy's maxReceiveCount, SQS moves it to the dead-letter
// queue. A permanent failure (flow.Permanent, such as a message that cannot
// be decoded) goes to the dead-letter queue at once, or is discarded, as
// [Options].OnPermanent says. A message in flight for more than half its
// visibility timeout has its visibility extended by the heartbeat.
//
// When the pipeline's context is cancelled, receivers stop at once (an
// abandoned long poll may leave messages invisible until their visibility
// timeout), messages received but not yet passed on are made visible again,
// in-flight messages finish, deletes are flushed, and Run returns. Messages
// still unfinished at the drain deadline are made visible again too.
package source
