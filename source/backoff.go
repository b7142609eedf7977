package source

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff is how long a failed message waits before it is delivered again:
// its visibility timeout is set to Base·2^(n-1) for its n-th receive, capped
// at Max, and spread by ±Jitter so that messages that failed together do not
// all return at once.
type Backoff struct {
	// Base is the delay after the first failure (default 1s). SQS counts
	// visibility in whole seconds; 0 after rounding returns the message at
	// once.
	Base time.Duration
	// Max caps the delay (default 10m; at most 12h, SQS's limit).
	Max time.Duration
	// Jitter is the relative spread, up to 1 (default 0.2: ±20%); NoJitter
	// turns it off.
	Jitter float64
}

// NoJitter, as Backoff.Jitter, makes the delays exact.
const NoJitter = -1.0

const maxVisibility = 12 * time.Hour

func (b *Backoff) setDefaults() {
	if b.Base == 0 {
		b.Base = time.Second
	}
	if b.Max == 0 {
		b.Max = 10 * time.Minute
	}
	if b.Jitter == 0 {
		b.Jitter = 0.2
	}
}

func (b Backoff) validate() error {
	switch {
	case b.Base < 0:
		return fmt.Errorf("Backoff.Base %v: must not be negative", b.Base)
	case b.Max < b.Base || b.Max > maxVisibility:
		return fmt.Errorf("Backoff.Max %v: must be between Base (%v) and 12h", b.Max, b.Base)
	case b.Jitter > 1 || (b.Jitter < 0 && b.Jitter != NoJitter):
		return fmt.Errorf("Backoff.Jitter %v: must be between 0 and 1, or NoJitter", b.Jitter)
	}
	return nil
}

// Delay returns the delay before the next delivery of a message that failed
// on its n-th receive (n >= 1).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	if b.Jitter > 0 && d > 0 {
		spread := float64(d) * b.Jitter
		d += time.Duration((rand.Float64()*2 - 1) * spread)
	}
	return min(max(d, 0), maxVisibility)
}

// retryDelay is the wait before the k-th retry (k >= 1) of a failed AWS call
// made by the source itself: 100ms doubling to 10s, with jitter.
func retryDelay(k int) time.Duration {
	b := Backoff{Base: 100 * time.Millisecond, Max: 10 * time.Second, Jitter: 0.5}
	return b.Delay(k)
}
