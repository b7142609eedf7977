package flow

import "sync/atomic"

// A Token is a message's acknowledgement: a reference count that completes
// exactly once, when the last reference is released. Sources create one per
// message; stages pass it along, add references when they fan a message out,
// and release them when an item is finished.
//
// A Token is safe for concurrent use. Releasing more references than were
// taken is harmless: completion still happens once, and the extra releases
// are ignored.
type Token struct {
	refs atomic.Int32
	err  atomic.Pointer[error] // first failure, if any
	done func(error)
}

// NewToken returns a token holding one reference. done is called once, on the
// goroutine that releases the last reference, with nil when every reference
// succeeded (ack) or the first failure (nack). done must not block for long:
// it runs inside stages.
func NewToken(done func(err error)) *Token {
	t := &Token{done: done}
	t.refs.Store(1)
	return t
}

// Add takes n more references (n >= 0). It must be called by a holder of a
// reference, before releasing it, so the count cannot reach zero early.
func (t *Token) Add(n int) {
	if t == nil || n <= 0 {
		return
	}
	t.refs.Add(int32(n))
}

// Done releases one reference. A non-nil err fails the message: the first
// failure recorded is the one the token completes with. Done reports whether
// this call completed the token.
func (t *Token) Done(err error) bool {
	if t == nil {
		return false
	}
	if err != nil {
		t.err.CompareAndSwap(nil, &err)
	}
	for {
		n := t.refs.Load()
		if n <= 0 {
			return false // already complete: extra releases are ignored
		}
		if t.refs.CompareAndSwap(n, n-1) {
			if n != 1 {
				return false
			}
			var final error
			if p := t.err.Load(); p != nil {
				final = *p
			}
			if t.done != nil {
				t.done(final)
			}
			return true
		}
	}
}

// Completed reports whether every reference has been released.
func (t *Token) Completed() bool { return t == nil || t.refs.Load() <= 0 }
