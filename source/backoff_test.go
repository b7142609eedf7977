package source

import (
	"testing"
	"time"

	"github.com/matryer/is"
)

func TestBackoff(t *testing.T) {
	is := is.New(t)
	b := Backoff{Base: time.Second, Max: 10 * time.Second, Jitter: NoJitter}
	is.NoErr(b.validate())
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		is.Equal(b.Delay(n), want)
	}
	var d Backoff
	d.setDefaults()
	is.Equal(d, Backoff{Base: time.Second, Max: 10 * time.Minute, Jitter: 0.2})
	for range 100 {
		got := d.Delay(2)
		is.True(got >= 1600*time.Millisecond && got <= 2400*time.Millisecond) // ±20%
	}
	for _, bad := range []Backoff{{Base: -1, Max: 1}, {Base: 2, Max: 1}, {Base: 1, Max: 13 * time.Hour}, {Base: 1, Max: 2, Jitter: 1.5}, {Base: 1, Max: 2, Jitter: -0.5}} {
		is.True(bad.validate() != nil)
	}
}

func TestEntryIndex(t *testing.T) {
	is := is.New(t)
	id := func(s string) *string { return &s }
	i, ok := entryIndex(id("3"), 10)
	is.True(ok)
	is.Equal(i, 3)
	for _, bad := range []*string{nil, id(""), id("x"), id("-1"), id("10")} {
		_, ok := entryIndex(bad, 10)
		is.True(!ok) // a malformed Id never names entry 0
	}
}
