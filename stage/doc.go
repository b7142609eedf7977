// Package stage has the generic stages of a pipeline: plain functions that
// take a [flow.Stream] and return another, so a pipeline reads left to right,
// one call per step, with its types checked by the compiler:
//
//	paid := stage.Filter(orders, func(o Order) bool { return o.Paid })
//	invoices := stage.Map(paid, 16, billing.Invoice)
//
// Stage functions see values; acknowledgement is handled for them. A function
// that returns an error fails its message (the source retries it, or
// dead-letters it if the error is [flow.Permanent]); a panic is recovered and
// fails the message too; returning [flow.Skip] drops the item as done. Every
// failure is reported with the stage's name, which can be set with
// [flow.Stream.Named].
//
// Map-like stages run n calls at once in one of three modes:
//
//   - [Map]: unordered, the fastest: results go on as soon as they are ready.
//   - [OrderedMap]: results go on in input order, while up to n calls run.
//   - [KeyedMap]: items with the same key (for FIFO queues, the message group)
//     are processed one at a time and in order; different keys in parallel.
package stage
