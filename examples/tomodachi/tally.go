package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/sqsflow/sqsflow/examples/internal/exampleenv"
)

// tally counts messages once each, by a key, and calls done when it has
// counted the number it expects. It is safe for concurrent use.
type tally struct {
	*exampleenv.Countdown
	mu   sync.Mutex
	seen map[string]bool
}

func newTally(n int, done func()) *tally {
	return &tally{Countdown: exampleenv.NewCountdown(n, done), seen: map[string]bool{}}
}

// first reports whether key is new, and counts it if so.
func (t *tally) first(key string) bool {
	t.mu.Lock()
	isNew := !t.seen[key]
	t.seen[key] = true
	t.mu.Unlock()
	if isNew {
		t.Count()
	}
	return isNew
}

// show formats data as JSON, protobuf messages in protobuf's JSON mapping
// and a nil map as {}.
func show(data any) string {
	var b []byte
	var err error
	switch d := data.(type) {
	case proto.Message:
		b, err = protojson.Marshal(d)
	case map[string]any:
		b, err = json.Marshal(d)
		if d == nil {
			b = []byte("{}")
		}
	default:
		b, err = json.Marshal(d)
	}
	if err != nil {
		return fmt.Sprintf("%v", data)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, b) != nil {
		return string(b)
	}
	return compact.String()
}
