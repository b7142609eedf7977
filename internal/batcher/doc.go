// Package batcher groups entries into batches for AWS's batch APIs
// (DeleteMessageBatch, ChangeMessageVisibilityBatch, PublishBatch,
// SendMessageBatch): a batch is flushed when it is full or when the first
// entry in it has waited the linger time, and several flushes may be in
// flight at once. Adding blocks while all flush slots are busy, so a slow
// endpoint slows the producers instead of growing a queue.
package batcher
