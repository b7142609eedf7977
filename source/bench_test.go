package source_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// prefill sends n copies of one tomodachi-style message.
func prefill(b *testing.B, env *testenv.Env, url string, n int) {
	b.Helper()
	body := sqsBody(&testing.T{}, Order{ID: 1, Currency: "EUR"})
	env.Fill(b, url, 0, n, func(int) string { return body })
}

// BenchmarkConsumeAck consumes b.N queued messages, decodes them and acks
// them, against the embedded emulator (or SQSFLOW_TEST_ENDPOINT). It reports
// messages/s, SQS requests per message (as counted by the source and, for
// the emulator, by the server) and the peak number of messages in flight.
// Run with -benchtime=100000x for the figure.
func BenchmarkConsumeAck(b *testing.B) {
	env := testenv.New(b)
	queue := env.Name(b, "bench")
	created, err := env.SQS.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String(queue)})
	if err != nil {
		b.Fatal(err)
	}
	prefill(b, env, aws.ToString(created.QueueUrl), b.N)
	before, _ := env.Stats()

	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	src := source.SQS(p, queue, source.Options{AWS: env.Config, Logger: quiet, Stats: &stats, Receivers: 4, Window: 400})
	done := make(chan struct{})
	var once sync.Once
	stage.Each(envelope.DecodeJSON[Order](src), 4, func(context.Context, Order) error {
		if stats.Acked.Load()+1 >= int64(b.N) { // this one completes the set
			once.Do(func() { close(done) })
		}
		return nil
	})
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	<-done
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(n/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(stats.Requests.Load())/n, "req/msg")
	if after, ok := env.Stats(); ok {
		b.ReportMetric(float64(after.Total()-before.Total())/n, "server-req/msg")
	}
	b.ReportMetric(float64(stats.PeakInFlight()), "peak-inflight")
}
