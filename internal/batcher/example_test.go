package batcher_test

import (
	"context"
	"fmt"
	"time"

	"github.com/sqsflow/sqsflow/internal/batcher"
)

func Example() {
	b, _ := batcher.New(batcher.Options{Size: 10, Linger: time.Hour, MaxInFlight: 1}, func(_ context.Context, batch []string) {
		fmt.Println(len(batch), "in one request")
	})
	done := make(chan struct{})
	go func() { b.Run(context.Background()); close(done) }()
	for range 23 {
		b.Add("receipt-handle")
	}
	b.Close() // the last, partial batch is flushed
	<-done
	// Output:
	// 10 in one request
	// 10 in one request
	// 3 in one request
}
