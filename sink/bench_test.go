package sink_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

// prefill sends n copies of one tomodachi-style order message.
func prefill(b *testing.B, env *testenv.Env, url string, n int) {
	b.Helper()
	body := orderBody(b, url, Order{ID: 1, Amount: 100})
	env.Fill(b, url, 0, n, func(int) string { return body })
}

// BenchmarkTransform runs the consume -> decode -> map -> PublishSNS -> ack
// pipeline over b.N queued messages against the embedded emulator and
// reports messages/s and AWS requests per message (receive, publish and
// delete, counted by the server). Run with -benchtime=100000x for the
// issue's figure; the limit with batches of ten is 0.3. It runs with the
// default linger and with none.
func BenchmarkTransform(b *testing.B) {
	for _, linger := range []time.Duration{5 * time.Millisecond, 0} {
		b.Run("linger="+linger.String(), func(b *testing.B) { benchmarkTransform(b, linger) })
	}
}

func benchmarkTransform(b *testing.B, linger time.Duration) {
	env := testenv.New(b)
	in, topic := env.Name(b, "orders"), env.Name(b, "invoices")
	inURL, _ := createQueue(&testing.T{}, env, in, nil)
	prefill(b, env, inURL, b.N)
	var stats source.Stats
	var sinkStats sink.Stats
	p := flow.New(flow.WithLogger(quiet))
	orders := envelope.DecodeJSON[Order](source.SQS(p, in, source.Options{AWS: env.Config, Logger: quiet, Stats: &stats, Receivers: 4, Window: 400}))
	sink.PublishSNS(stage.Map(orders, 8, invoice), topic, sink.WithAWS(env.Config), sink.WithStats(&sinkStats), sink.WithLinger(linger))
	p.OnStart("baseline", func(context.Context) error { return nil })
	before, _ := env.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	for stats.Acked.Load() < int64(b.N) { // the counter is the signal; the benchmark polls it
		select {
		case err := <-errc:
			b.Fatal(err)
		case <-time.After(2 * time.Millisecond):
		}
	}
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	after, _ := env.Stats()
	n := float64(b.N)
	// Provisioning (CreateQueue, CreateTopic...) is a handful of requests;
	// count only the steady-state ones.
	steady := 0.0
	for _, action := range []string{"sqs:ReceiveMessage", "sqs:DeleteMessageBatch", "sns:PublishBatch", "sqs:ChangeMessageVisibilityBatch"} {
		steady += float64(after.Requests[action] - before.Requests[action])
	}
	b.ReportMetric(n/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(steady/n, "req/msg")
	b.ReportMetric(float64(sinkStats.Requests.Load())/n, "publish-req/msg")
}

// BenchmarkLatency publishes one message at a time at a low rate through
// queue -> map -> PublishSNS -> queue and reports the median and 99th
// percentile of the time from send to arrival downstream: what the batching
// linger costs a lone message.
func BenchmarkLatency(b *testing.B) {
	for _, linger := range []time.Duration{5 * time.Millisecond, 0} {
		b.Run("linger="+linger.String(), func(b *testing.B) { benchmarkLatency(b, linger) })
	}
}

func benchmarkLatency(b *testing.B, linger time.Duration) {
	env := testenv.New(b)
	in, topic, out := env.Name(b, "orders"), env.Name(b, "invoices"), env.Name(b, "invoices-q")
	inURL, _ := createQueue(&testing.T{}, env, in, nil)
	outURL := subscribedQueue(&testing.T{}, env, topic, out, true)
	p := flow.New(flow.WithLogger(quiet))
	orders := envelope.DecodeJSON[Order](source.SQS(p, in, source.Options{AWS: env.Config, Logger: quiet}))
	sink.PublishSNS(stage.Map(orders, 1, invoice), topic, sink.WithAWS(env.Config), sink.WithLinger(linger))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-errc; err != nil {
			b.Error(err)
		}
	}()
	jb := envelope.JSON(svc)
	var lat []time.Duration
	b.ResetTimer()
	for i := range b.N {
		payload, _ := jb.Seal("", Order{ID: i}, nil)
		body, _ := envelope.SQSBody(inURL, payload, nil, time.Now())
		start := time.Now()
		if _, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(inURL), MessageBody: aws.String(body)}); err != nil {
			b.Fatal(err)
		}
		for got := false; !got; {
			r, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(outURL), WaitTimeSeconds: 5})
			if err != nil {
				b.Fatal(err)
			}
			for _, m := range r.Messages {
				got = true
				lat = append(lat, time.Since(start))
				env.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(outURL), ReceiptHandle: m.ReceiptHandle})
			}
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
