// Package provision creates and reconciles the AWS resources an SNS+SQS
// consumer needs — queue, dead-letter queue, topic, queue policy, queue
// attributes and subscription — exactly as the Python framework tomodachi
// names and provisions them, so that Go and Python services can share topics
// and compete on the same queues. It knows nothing of pipelines: the source
// package calls it before its receivers start, the sqsflow command calls it
// for "sqsflow provision", and anyone can call it on its own.
//
// # Names
//
// Topic names are the prefixed topic encoded as tomodachi encodes it
// ("order.created" becomes "order___2e_created"), with ".fifo" for FIFO
// topics. Queues without an explicit name get tomodachi's generated name: the
// SHA-256 of the encoded topic for competing consumers (sqsflow's default), or
// of the topic, handler name and service uuid for a consumer that wants a
// queue of its own (Queue.NonCompeting). Names are checked before any call,
// with errors naming the field and the rule broken.
//
// # Order
//
// Ensure runs in tomodachi's order: queue, dead-letter queue, topic (or every
// topic a wildcard pattern matches, across all ListTopics pages), queue
// attributes, subscription(s). It reads first and writes only what differs,
// so a second run against unchanged infrastructure makes no mutating call.
// The queue policy it writes lets only the subscribed topics send
// (ArnEquals aws:SourceArn), one statement per topic, never an unconditional
// "*"; for a wildcard subscription that is one statement per matched topic,
// not tomodachi's common-prefix pattern. Policies are compared ignoring each
// statement's Sid, as tomodachi compares them. Unlike tomodachi, queue
// attributes are applied to queues without a topic as well, and every
// topic a pattern matches gets the filter policy.
//
// # Three states
//
// Every attribute is a Setting, which has three states that read
// differently at the call site:
//
//   - Leave (the zero value): whatever is on AWS stays, so infrastructure
//     managed elsewhere is not fought over;
//   - Remove: the attribute is removed or disabled, or reset to AWS's default
//     where it always has a value (each field documents which);
//   - Set(v): the attribute is made equal to v.
//
// Provisioning can also be skipped entirely: Lookup and LookupQueue resolve
// a queue without creating or changing anything.
//
// # Dry runs
//
// Every mutating call is recorded in Result.Calls ("CreateQueue dev-billing",
// "SetQueueAttributes <url> VisibilityTimeout=60"). With Options.DryRun the
// reads are still made but the mutating calls are only recorded, which is
// what "sqsflow provision -dry-run" prints.
package provision
