package stage

import (
	"context"
	"time"

	"github.com/sqsflow/sqsflow/flow"
)

// Batch returns a stream of batches of the items of in, in order: a batch is
// passed on when it has size items, or when wait has passed since its first
// item arrived, whichever comes first (size >= 1, wait > 0). A batch holds
// the references of its members: when it is finished they all are, and when
// it fails they all fail with its error. Batches have fresh, empty metadata.
func Batch[T any](in flow.Stream[T], size int, wait time.Duration) flow.Stream[[]T] {
	st, src, out, send := attach[T, []T](in, "batch")
	if size < 1 {
		st.Pipeline().Errorf("stage: %s: size %d: must be at least 1", st.Name(), size)
		size = 1
	}
	if wait <= 0 {
		st.Pipeline().Errorf("stage: %s: wait %v: must be positive", st.Name(), wait)
		wait = time.Millisecond
	}
	st.Go(func(ctx context.Context) error {
		defer close(send)
		var members []flow.Msg[T]
		timer := time.NewTimer(wait)
		timer.Stop()
		flush := func() bool {
			if len(members) == 0 {
				return true
			}
			timer.Stop()
			b := members
			members = make([]flow.Msg[T], 0, size)
			values := make([]T, len(b))
			for i, m := range b {
				values[i] = m.Value
			}
			tok := flow.NewToken(func(err error) {
				for _, m := range b {
					m.Token().Done(err)
				}
			})
			return flow.Send(ctx, send, flow.NewMsg(values, nil, tok))
		}
		for {
			select {
			case m, ok := <-src:
				if !ok {
					flush()
					return nil
				}
				members = append(members, m)
				if len(members) == 1 {
					timer.Reset(wait)
				}
				if len(members) >= size && !flush() {
					return nil
				}
			case <-timer.C:
				if !flush() {
					return nil
				}
			case <-ctx.Done():
				return nil
			}
		}
	})
	return out
}
