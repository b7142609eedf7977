package sink

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/batcher"
)

// PublishSNS ends a pipeline by publishing each value to topic (tomodachi's
// aws_sns_sqs_publish): sealed with the envelope (JSON base by default),
// through PublishBatch, ten to a request, several requests in flight. A
// message is acknowledged only once what was made from it is published; one
// AWS rejects fails with an [*EntryError] (permanent for the sender's faults,
// so the source dead-letters it). The topic's ARN is resolved, and the topic
// created unless WithLookupOnly, before the pipeline starts; topic is named
// as the user names it (prefixes and tomodachi's encoding are applied).
func PublishSNS[T any](in flow.Stream[T], topic string, opts ...Option) {
	newSink[T](in, "publish-sns", snsTarget(topic, opts), opts, false)
}

// PublishSNSThen is PublishSNS that passes each value on once it is
// published, so one pipeline can publish to several topics (or send to
// queues) before it acknowledges.
func PublishSNSThen[T any](in flow.Stream[T], topic string, opts ...Option) flow.Stream[T] {
	return newSink[T](in, "publish-sns", snsTarget(topic, opts), opts, true)
}

// SendSQS ends a pipeline by sending each value to a queue (tomodachi's
// sqs_send_message) through SendMessageBatch. queue is a name (the queue
// prefix is prepended), a URL or an ARN; the queue must exist. The body is
// the {"Type": "Message", ...} body tomodachi's consumers expect, holding the
// sealed envelope, unless WithBareBody; message attributes travel in the body
// and as SQS attributes. A FIFO queue (name ending ".fifo") needs group ids.
func SendSQS[T any](in flow.Stream[T], queue string, opts ...Option) {
	newSink[T](in, "send-sqs", sqsTarget(queue, opts), opts, false)
}

// SendSQSThen is SendSQS that passes each value on once it is sent.
func SendSQSThen[T any](in flow.Stream[T], queue string, opts ...Option) flow.Stream[T] {
	return newSink[T](in, "send-sqs", sqsTarget(queue, opts), opts, true)
}

func snsTarget(topic string, opts []Option) func(*config) target {
	return func(c *config) target { return &topicTarget{cfg: c, topic: topic, isFIFO: c.fifoWanted()} }
}

func sqsTarget(queue string, opts []Option) func(*config) target {
	return func(c *config) target { return &queueTarget{cfg: c, queue: queue} }
}

// pending is a message in a sink, from the stream to its batch's outcome.
type pending[T any] struct {
	m   flow.Msg[T]
	out outgoing
}

type sinkStage[T any] struct {
	st    *flow.Stage
	cfg   *config
	tgt   target
	funcs valueFuncs[T]
	then  chan<- flow.Msg[T] // nil for a terminal sink

	mu      sync.Mutex
	fatal   error
	stopped chan struct{} // closed when fatal is set
}

func newSink[T any](in flow.Stream[T], kind string, mk func(*config) target, opts []Option, then bool) flow.Stream[T] {
	p := in.Pipeline()
	s := &sinkStage[T]{st: p.Stage(kind), cfg: newConfig(opts), stopped: make(chan struct{})}
	src := in.Take(s.st)
	s.tgt = mk(s.cfg)
	var out flow.Stream[T]
	if then {
		out, s.then = flow.NewStream[T](s.st)
	}
	funcs, err := funcsFor[T](s.cfg)
	s.funcs = funcs
	for _, e := range append(s.cfg.errs, err) {
		if e != nil {
			p.Errorf("%s: %w", s.st.Name(), e)
		}
	}
	p.OnStart(s.st.Name(), func(ctx context.Context) error {
		clients, err := clientsFor(ctx, s.cfg)
		if err != nil {
			return err
		}
		setClients(s.tgt, clients)
		return s.tgt.resolve(ctx)
	})
	s.st.Go(func(ctx context.Context) error { return s.run(ctx, src) })
	return out
}

func (s *sinkStage[T]) run(ctx context.Context, src <-chan flow.Msg[T]) error {
	if s.then != nil {
		defer close(s.then)
	}
	inFlight := s.cfg.inFlight
	if s.tgt.fifo() {
		inFlight = 1 // concurrent batches could reorder a group
	}
	b, err := batcher.New(batcher.Options{Linger: s.cfg.linger, MaxInFlight: inFlight, MaxWeight: maxBatchBytes},
		func(ctx context.Context, batch []*pending[T]) { s.flush(ctx, batch) })
	if err != nil {
		return err
	}
	b.Weigh(func(p *pending[T]) int { return p.out.size() })
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Run(ctx)
	}()
loop:
	for {
		var m flow.Msg[T]
		select {
		case next, ok := <-src:
			if !ok {
				break loop
			}
			m = next
		case <-s.stopped: // a fatal error: stop at once, even if no more input comes
			break loop
		case <-ctx.Done():
			break loop
		}
		p := &pending[T]{m: m}
		if err := s.prepare(&p.out, m); err != nil {
			flow.Fail(s.st, m, flow.Permanent(err))
			continue
		}
		b.Add(p)
	}
	b.Close()
	<-done
	return s.failed()
}

func (s *sinkStage[T]) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fatal
}

// prepare builds the message for m: its attributes, FIFO ids, subject, delay
// and sealed body.
func (s *sinkStage[T]) prepare(o *outgoing, m flow.Msg[T]) error {
	return prepare(s.cfg, s.tgt, &s.funcs, m.Value, m.Meta, o)
}

// prepare is shared by pipeline sinks and the standalone functions.
func prepare[T any](c *config, tgt target, f *valueFuncs[T], v T, meta *flow.Meta, o *outgoing) (err error) {
	defer func() {
		if r := recover(); r != nil { // a user function panicked
			err = fmt.Errorf("sink: preparing a message: panic: %v", r)
		}
	}()
	attrs := merge(c.attrs, nil)
	if f.attrs != nil {
		attrs = merge(attrs, f.attrs(v))
	}
	if sealed, ok := any(v).(envelope.Sealed); ok {
		attrs = merge(attrs, sealed.Attributes)
	}
	if o.body, err = tgt.seal(v, attrs); err != nil {
		return err
	}
	if o.attrs, err = envelope.EncodeAttributes(attrs); err != nil {
		return err
	}
	o.subject = c.subject
	if f.subject != nil {
		o.subject = f.subject(v)
	}
	o.delay = c.delay
	if f.delay != nil {
		if o.delay = f.delay(v); o.delay < 0 || o.delay > 15*time.Minute {
			return fmt.Errorf("sink: delay %v: must be between 0 and 15m", o.delay)
		}
	}
	if !tgt.fifo() {
		return nil
	}
	o.group, o.dedup = c.groupID, c.dedupID
	if c.carryFIFO && meta != nil {
		if meta.GroupID != "" {
			o.group = meta.GroupID
		}
		if meta.DedupID != "" {
			o.dedup = meta.DedupID
		}
	}
	if f.group != nil {
		o.group = f.group(v)
	}
	if f.dedup != nil {
		o.dedup = f.dedup(v)
	}
	if o.group == "" {
		return errNoGroup
	}
	if o.dedup == "" {
		o.dedup = newDedupID()
	}
	return nil
}

// merge returns a with b's entries added, copying only when both have some.
func merge(a, b map[string]any) map[string]any {
	switch {
	case len(b) == 0:
		return a
	case len(a) == 0:
		return b
	}
	m := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// flush sends one batch (see sendAll) and finishes each message with its
// outcome: passed on or acknowledged when sent; failed, permanently when AWS
// rejected it as the sender's fault; left unfinished (to be redelivered) when
// the drain deadline passed first. An error that makes every call fail stops
// the pipeline.
func (s *sinkStage[T]) flush(ctx context.Context, batch []*pending[T]) {
	outs := make([]*outgoing, len(batch))
	for i, p := range batch {
		outs[i] = &p.out
	}
	sendAll(ctx, s.tgt, s.cfg.stats, outs, func(i int, _ string, err error) {
		m := batch[i].m
		var entry *EntryError
		switch {
		case err == nil:
			s.done(ctx, m)
		case errors.Is(err, errAbandoned):
		case errors.As(err, &entry) && entry.Permanent:
			flow.Fail(s.st, m, flow.Permanent(entry))
		case errors.As(err, &entry):
			flow.Fail(s.st, m, entry)
		case fatal(err):
			s.stop(fmt.Errorf("%s: %s cannot be used: %w", s.st.Name(), s.tgt, err))
			flow.Fail(s.st, m, err)
		default:
			flow.Fail(s.st, m, fmt.Errorf("sink: sending to %s: %w", s.tgt, err))
		}
	})
}

func (s *sinkStage[T]) done(ctx context.Context, m flow.Msg[T]) {
	if s.then == nil {
		m.Ack()
		return
	}
	flow.Send(ctx, s.then, m)
}

func (s *sinkStage[T]) stop(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fatal == nil {
		s.fatal = err
		close(s.stopped)
	}
}
