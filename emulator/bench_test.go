package emulator_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqsflow/sqsflow/emulator"
)

// Benchmarks of the emulator's speed and memory. The throughput benchmark
// runs side by side against fauxqs when SQSFLOW_BENCH_FAUXQS names a running
// fauxqs (e.g. http://127.0.0.1:4566), with the same Go client:
//
//	go test ./emulator/ -run '^$' -bench SendReceiveDelete -benchtime 100000x
//	SQSFLOW_BENCH_FAUXQS=http://127.0.0.1:4566 go test ./emulator/ -run '^$' -bench SendReceiveDelete -benchtime 100000x
//	SQSFLOW_BENCH_ROUND=10000 SQSFLOW_BENCH_FAUXQS=... go test ./emulator/ -run '^$' -bench SendReceiveDelete/side -benchtime 100000x
//	go test ./emulator/ -run '^$' -bench MemoryPerQueuedMessage -benchtime 1x

const benchClients = 8 // concurrent clients, as the issue asks

// benchConfig is an aws.Config for an endpoint with a connection pool big
// enough for the benchmark's clients.
func benchConfig(endpoint string) (aws.Config, func()) {
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		// Both servers get a client that owns its request bodies (see
		// emulator.RoundTripper): a lost response would stall a round.
		HTTPClient: &http.Client{Transport: emulator.RoundTripper(tr)},
	}, tr.CloseIdleConnections
}

func BenchmarkSendReceiveDelete(b *testing.B) {
	b.Run("embedded", func(b *testing.B) {
		srv, err := emulator.Start(context.Background(), emulator.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		t := newBenchTarget(b, "embedded", srv.Endpoint())
		defer t.close()
		before := srv.Stats().Total()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		sendTime := t.send(b, b.N)
		recvTime := t.receive(b, b.N)
		cpu = processCPU() - cpu
		b.StopTimer()
		b.ReportMetric(float64(b.N)/sendTime.Seconds(), "sends/s")
		b.ReportMetric(float64(b.N)/recvTime.Seconds(), "recv+del/s")
		b.ReportMetric(float64(srv.Stats().Total()-before)/float64(b.N), "req/msg")
		// CPU per message sent, received and deleted, client and server
		// together: a figure a loaded machine disturbs less than rates.
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/msg")
	})
	b.Run("fauxqs", func(b *testing.B) {
		ep := fauxqsEndpoint(b)
		t := newBenchTarget(b, "fauxqs", ep)
		defer t.close()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := processCPU()
		sendTime := t.send(b, b.N)
		recvTime := t.receive(b, b.N)
		cpu = processCPU() - cpu
		b.StopTimer()
		b.ReportMetric(float64(b.N)/sendTime.Seconds(), "sends/s")
		b.ReportMetric(float64(b.N)/recvTime.Seconds(), "recv+del/s")
		// Only the client's CPU: fauxqs's own runs in its Node process.
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "client-cpu-µs/msg")
	})
	// side-by-side alternates runs against the two servers in the order
	// A B B A, so that the drift of a shared machine's load weighs on both
	// alike, and reports the ratios. Each run is the workload the
	// sub-benchmarks above run: b.N messages sent, then received and
	// deleted, so the queue is b.N deep. SQSFLOW_BENCH_ROUND=10000 splits
	// the work into rounds of that many instead (shallow queues: fauxqs is
	// much faster with them).
	b.Run("side-by-side", func(b *testing.B) {
		ep := fauxqsEndpoint(b)
		srv, err := emulator.Start(context.Background(), emulator.Options{})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		targets := []*benchTarget{newBenchTarget(b, "embedded", srv.Endpoint()), newBenchTarget(b, "fauxqs", ep)}
		defer targets[0].close()
		defer targets[1].close()
		round := b.N
		if v := os.Getenv("SQSFLOW_BENCH_ROUND"); v != "" {
			if round, err = strconv.Atoi(v); err != nil || round < 10 {
				b.Fatalf("SQSFLOW_BENCH_ROUND=%q: want a number of messages, at least 10", v)
			}
		}
		var send, recv [2]time.Duration
		b.ResetTimer()
		// Each target does b.N messages in all, twice (A B B A).
		for pass := range 2 {
			for k := range 2 {
				i := k
				if pass == 1 {
					i = 1 - k
				}
				for left := b.N; left > 0; left -= round {
					n := min(round, left)
					send[i] += targets[i].send(b, n)
					recv[i] += targets[i].receive(b, n)
				}
			}
		}
		b.StopTimer()
		for i, t := range targets {
			b.ReportMetric(float64(2*b.N)/send[i].Seconds(), t.name+"-sends/s")
			b.ReportMetric(float64(2*b.N)/recv[i].Seconds(), t.name+"-recv+del/s")
		}
		b.ReportMetric(send[1].Seconds()/send[0].Seconds(), "send-x-fauxqs")
		b.ReportMetric(recv[1].Seconds()/recv[0].Seconds(), "recv+del-x-fauxqs")
	})
}

func fauxqsEndpoint(b *testing.B) string {
	ep := os.Getenv("SQSFLOW_BENCH_FAUXQS")
	if ep == "" {
		b.Skip("set SQSFLOW_BENCH_FAUXQS to a running fauxqs, e.g. http://127.0.0.1:4566")
	}
	return ep
}

// benchTarget is one server under benchmark and a queue on it.
type benchTarget struct {
	name   string
	client *sqs.Client
	url    *string
	close  func()
}

func newBenchTarget(b *testing.B, name, endpoint string) *benchTarget {
	cfg, closeIdle := benchConfig(endpoint)
	client := sqs.NewFromConfig(cfg)
	ctx := context.Background()
	qname := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: &qname, Attributes: map[string]string{"VisibilityTimeout": "300"}})
	if err != nil {
		b.Fatal(err)
	}
	return &benchTarget{name: name, client: client, url: q.QueueUrl, close: func() {
		client.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl})
		closeIdle()
	}}
}

// send sends n 200-byte messages with SendMessageBatch, 10 a request, from
// 8 clients, and returns the time it took.
func (t *benchTarget) send(b *testing.B, n int) time.Duration {
	ctx := context.Background()
	body := strings.Repeat("x", 200)
	start := time.Now()
	batches := make(chan int, benchClients)
	go func() {
		for left := n; left > 0; left -= 10 {
			batches <- min(left, 10)
		}
		close(batches)
	}()
	var wg sync.WaitGroup
	for range benchClients {
		wg.Go(func() {
			entries := make([]types.SendMessageBatchRequestEntry, 10)
			for i := range entries {
				entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: &body}
			}
			for k := range batches {
				out, err := t.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: t.url, Entries: entries[:k]})
				if err != nil || len(out.Failed) > 0 {
					b.Errorf("%s: send batch: %v %v", t.name, err, out)
					for range batches {
					}
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// receive receives and deletes n messages in batches of 10 with 8 clients
// and returns the time it took.
func (t *benchTarget) receive(b *testing.B, n int) time.Duration {
	ctx := context.Background()
	start := time.Now()
	var received atomic.Int64
	var wg sync.WaitGroup
	for range benchClients {
		wg.Go(func() {
			for received.Load() < int64(n) {
				out, err := t.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: t.url, MaxNumberOfMessages: 10})
				if err != nil {
					b.Errorf("%s: receive: %v", t.name, err)
					return
				}
				if len(out.Messages) == 0 {
					continue
				}
				received.Add(int64(len(out.Messages)))
				entries := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
				for i, m := range out.Messages {
					entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), ReceiptHandle: m.ReceiptHandle}
				}
				del, err := t.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: t.url, Entries: entries})
				if err != nil || len(del.Failed) > 0 {
					b.Errorf("%s: delete batch: %v %v", t.name, err, del)
					return
				}
			}
		})
	}
	wg.Wait()
	if got := received.Load(); got < int64(n) {
		b.Fatalf("%s: received %d of %d messages", t.name, got, n)
	}
	return time.Since(start)
}

// BenchmarkMemoryPerQueuedMessage queues 1,000,000 messages of 200 bytes
// (through the SQS API, 10 a request from 8 clients) and reports the heap
// the queued messages take, per message.
func BenchmarkMemoryPerQueuedMessage(b *testing.B) {
	const total = 1_000_000
	body := strings.Repeat("m", 200)
	for range b.N {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)

		srv, err := emulator.Start(context.Background(), emulator.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cfg, closeIdle := benchConfig(srv.Endpoint())
		client := sqs.NewFromConfig(cfg)
		ctx := context.Background()
		q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("memory")})
		if err != nil {
			b.Fatal(err)
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for range benchClients {
			wg.Go(func() {
				entries := make([]types.SendMessageBatchRequestEntry, 10)
				for i := range entries {
					entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(fmt.Sprint(i)), MessageBody: &body}
				}
				for next.Add(10) <= total {
					if _, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries}); err != nil {
						b.Errorf("send: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		closeIdle()
		if st := srv.Stats(); st.MessagesSent != total {
			b.Fatalf("queued %d messages, want %d", st.MessagesSent, total)
		}

		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		perMsg := float64(int64(after.HeapAlloc)-int64(base.HeapAlloc)) / total
		b.ReportMetric(perMsg, "B/queued-msg")
		runtime.KeepAlive(srv)
		srv.Close()
	}
}

// BenchmarkServerSendMessageBatch measures the server alone: 8 clients
// post a prepared SendMessageBatch body (10 messages of 200 bytes) over
// plain HTTP, without an SDK's signing and serialisation.
func BenchmarkServerSendMessageBatch(b *testing.B) {
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	post := func(action, body string) error {
		req, err := http.NewRequest(http.MethodPost, srv.Endpoint()+"/", strings.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: status %d", action, resp.StatusCode)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := post("CreateQueue", `{"QueueName":"server"}`); err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString(`{"QueueUrl":"` + srv.Endpoint() + `/000000000000/server","Entries":[`)
	for i := range 10 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"Id":"%d","MessageBody":"%s"}`, i, strings.Repeat("x", 200))
	}
	sb.WriteString("]}")
	body := sb.String()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchClients {
		wg.Go(func() {
			for next.Add(10) <= int64(b.N) {
				if err := post("SendMessageBatch", body); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
}
