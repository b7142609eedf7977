package flow

import "fmt"

// A Stream is a typed edge of a pipeline: the output of one stage and the
// input of exactly one other. Streams are values; copies refer to the same
// edge. The zero Stream is not usable.
type Stream[T any] struct {
	e *edge[T]
}

type edge[T any] struct {
	ch       chan Msg[T]
	from     *Stage
	consumer string
}

func (e *edge[T]) taken() bool      { return e.consumer != "" }
func (e *edge[T]) producer() string { return e.from.name }

// NewStream returns a stream produced by stage from, and the channel the stage
// sends on. The producer must close the channel when it has nothing more to
// send; that is how the end of the input reaches the next stage.
func NewStream[T any](from *Stage) (Stream[T], chan<- Msg[T]) {
	e := &edge[T]{ch: make(chan Msg[T], from.p.opts.buffer), from: from}
	from.p.addStream(e)
	return Stream[T]{e: e}, e.ch
}

// Pipeline returns the pipeline the stream belongs to.
func (s Stream[T]) Pipeline() *Pipeline {
	s.mustBeValid()
	return s.e.from.p
}

// Named sets the name of the stage that produces s (as shown in logs and
// errors) and returns s, so that it reads at the call site:
//
//	invoices := stage.Map(paid, 16, invoice).Named("invoice")
func (s Stream[T]) Named(name string) Stream[T] {
	s.mustBeValid()
	if name != "" {
		s.e.from.name = name
	}
	return s
}

// Take returns the channel to receive s's messages from, for consumer stage
// by. A stream has exactly one consumer: taking it again records a build
// error that Run returns.
func (s Stream[T]) Take(by *Stage) <-chan Msg[T] {
	s.mustBeValid()
	p := s.e.from.p
	switch {
	case by.p != p:
		by.p.Errorf("flow: %s consumes a stream of another pipeline (%s)", by.name, s.e.from.name)
	case s.e.consumer != "":
		p.Errorf("flow: the output of %s is consumed twice, by %s and %s; use stage.Tee to split a stream", s.e.from.name, s.e.consumer, by.name)
	default:
		s.e.consumer = by.name
	}
	return s.e.ch
}

func (s Stream[T]) mustBeValid() {
	if s.e == nil {
		panic(fmt.Sprintf("flow: use of a zero Stream[%T]", *new(T)))
	}
}
