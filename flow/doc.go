// Package flow is the core of sqsflow: typed pipelines of stages connected by
// small bounded channels, in which every message carries an acknowledgement
// token from the source that produced it to the sink that finishes it.
//
// A [Pipeline] owns every goroutine of a pipeline. Sources, stages and sinks
// (packages source, stage, sink and envelope) attach themselves to it through
// typed [Stream] values; nothing runs until [Pipeline.Run] is called. Run
// runs the pre-start hooks (sources provision their queues there), starts
// everything, and returns when the pipeline has drained: after ctx is
// cancelled, sources stop asking for new messages, stages finish what they
// hold, and Run returns nil once every goroutine has returned. A pipeline whose
// sources are finite (as in tests) returns by itself when they are exhausted.
//
// # Acknowledgement
//
// A [Msg] pairs a value with its [Meta] and a reference-counted [Token]. The
// token completes exactly once: when every reference has been released it
// calls the source's completion function with nil (ack: the message is done
// and may be deleted) or with the first failure (nack: the message should be
// retried, or dead-lettered if the failure is [Permanent]). Stages keep the
// count right for the user:
//
//   - a stage function returning an error fails the message, and the error is
//     reported with the stage's name to the error handler and the logger;
//   - a panic in a stage function is recovered and fails the message;
//   - returning [Skip] drops the item as done, without an error;
//   - Filter completes what it drops, FlatMap adds a reference per child,
//     Batch holds the tokens of its members.
//
// # Draining
//
// When ctx is cancelled the pipeline drains for at most the drain timeout
// ([WithDrainTimeout]). Past it, the context given to stage functions is
// cancelled, whatever is still unfinished is abandoned without being
// acknowledged (so the source redelivers it), and Run returns an error that
// wraps [ErrDrainTimeout]. Nothing is ever acknowledged that was not finished.
//
// # Backpressure
//
// Channels between stages are small, and sources bound the number of messages
// in flight with a [Window], so memory does not grow with the backlog and a
// slow sink stalls the source.
//
// Package flow knows nothing of AWS; the flowtest package has an in-memory
// source and a collecting sink for testing stages without it.
package flow
