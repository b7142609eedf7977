package flow_test

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/flow"
)

func TestTokenCompletesOnceWithFirstFailure(t *testing.T) {
	t.Parallel()
	errA, errB := errors.New("a"), errors.New("b")
	tests := []struct {
		name  string
		refs  int
		fails []error // one entry per reference; nil = success
		want  error
	}{
		{"one ref ack", 1, []error{nil}, nil},
		{"three refs ack", 3, []error{nil, nil, nil}, nil},
		{"one failure among three", 3, []error{nil, errA, nil}, errA},
		{"first failure wins", 3, []error{errA, errB, nil}, errA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			var calls int
			var got error
			tok := flow.NewToken(func(err error) { calls++; got = err })
			tok.Add(tt.refs - 1)
			for i, err := range tt.fails {
				completed := tok.Done(err)
				is.Equal(completed, i == len(tt.fails)-1) // only the last release completes
			}
			is.Equal(calls, 1)
			is.Equal(got, tt.want)
			is.True(tok.Completed())
			is.True(!tok.Done(nil)) // extra releases are ignored
			is.Equal(calls, 1)
		})
	}
}

func TestTokenConcurrentReleases(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	const refs = 1000
	var calls atomic.Int32
	tok := flow.NewToken(func(error) { calls.Add(1) })
	tok.Add(refs - 1)
	var wg sync.WaitGroup
	var completions atomic.Int32
	for range refs + 50 { // 50 extra releases must not complete it again
		wg.Go(func() {
			if tok.Done(nil) {
				completions.Add(1)
			}
		})
	}
	wg.Wait()
	is.Equal(calls.Load(), int32(1))
	is.Equal(completions.Load(), int32(1))
}

func TestNilTokenIsHarmless(t *testing.T) {
	is := is.New(t)
	m := flow.NewMsg(1, nil, nil)
	m.Ack()
	m.Fail(errors.New("x"))
	is.True(m.Meta != nil)
	is.True(m.Token().Completed())
}

func TestPermanent(t *testing.T) {
	is := is.New(t)
	base := errors.New("bad json")
	p := flow.Permanent(base)
	is.True(flow.IsPermanent(p))
	is.True(errors.Is(p, base))
	is.True(!flow.IsPermanent(base))
	is.Equal(flow.Permanent(nil), nil)
	is.Equal(flow.Permanent(p), p) // not wrapped twice
	wrapped := errors.Join(errors.New("context"), p)
	is.True(flow.IsPermanent(wrapped))
}
