// Package naming computes SNS topic and SQS queue names exactly as the Python
// framework tomodachi does, so that a Go service and a tomodachi service agree on
// every name: they publish to the same topics and, when competing, consume from
// the same queues.
//
// Topic names are encoded for SNS with [EncodeTopic] (every character outside
// [A-Za-z0-9_*#-] becomes "___<hex of its UTF-8 bytes>_", a trailing ".fifo" is
// kept) and decoded with [DecodeTopic]. [TopicName] builds the name passed to
// CreateTopic: encode(prefix + topic [+ ".fifo"]). [TopicFromARN] recovers the
// topic a message was published to, as a tomodachi handler sees it.
//
// Queues without an explicit name get [QueueName]: the queue prefix followed by the
// SHA-256 of the encoded topic (competing consumers), or of the encoded topic, the
// handler name and the service id (non-competing ones), plus ".fifo" for FIFO queues.
//
// [ValidateTopic] and [ValidateQueueName] apply tomodachi's length and character
// rules, with one fix: the ".fifo" suffix is removed exactly, not with Python's
// rstrip(".fifo"), which strips any trailing run of '.', 'f', 'i' and 'o'. They
// return an [*InvalidNameError] naming the problem.
//
// [ParseQueueRef] tells queue names, URLs and ARNs apart, as tomodachi's
// sqs_send_message does, without its double-prefix quirk on ARNs.
//
// Everything here is a pure function over strings; the package depends on the
// standard library only.
package naming
