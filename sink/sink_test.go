package sink_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
	"github.com/matryer/is"
	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/flow/flowtest"
	"github.com/sqsflow/sqsflow/internal/awsiface"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/sink"
	"github.com/sqsflow/sqsflow/source"
	"github.com/sqsflow/sqsflow/stage"
)

func invoice(_ context.Context, o Order) (Invoice, error) {
	return Invoice{OrderID: o.ID, Total: o.Amount * 125 / 100}, nil
}

// consumeTransformPublish builds: queue -> decode -> map -> PublishSNS(topic).
func consumeTransformPublish(p *flow.Pipeline, env *testenv.Env, in, topic string, stats *source.Stats, opts ...sink.Option) {
	orders := envelope.DecodeJSON[Order](source.SQS(p, in, source.Options{AWS: env.Config, Logger: quiet, Stats: stats}))
	invoices := stage.Map(orders, 8, invoice)
	opts = append([]sink.Option{sink.WithAWS(env.Config), sink.WithEnvelope(envelope.JSON(svc))}, opts...)
	sink.PublishSNS(invoices, topic, opts...)
}

// With nothing failing, every message reaches the downstream queue exactly
// once and the source queue ends empty.
func TestConsumeTransformPublishExactlyOnce(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	in, topic, out := env.Name(t, "orders"), env.Name(t, "invoices"), env.Name(t, "invoices-audit")
	inURL, _ := createQueue(t, env, in, nil)
	outURL := subscribedQueue(t, env, topic, out, false)
	const n = 300
	sendOrders(t, env, inURL, n)

	var stats source.Stats
	var sinkStats sink.Stats
	p := flow.New(flow.WithLogger(quiet))
	consumeTransformPublish(p, env, in, topic, &stats, sink.WithStats(&sinkStats))
	got := make(chan []string, 1)
	go func() {
		var ids []string
		for _, m := range drain(t, env, outURL, n) {
			ids = append(ids, invoiceID(t, aws.ToString(m.Body)))
		}
		got <- ids
	}()
	done := make(chan struct{})
	go func() {
		for stats.Deleted.Load() < n { // no signal for "all deleted" besides the counter
			time.Sleep(5 * time.Millisecond)
		}
		close(done)
	}()
	is.NoErr(flowtest.RunUntil(p, done, time.Minute))
	ids := <-got
	is.Equal(len(ids), n)
	seen := map[string]bool{}
	for _, id := range ids {
		is.True(!seen[id]) // no duplicates
		seen[id] = true
	}
	is.Equal(sinkStats.Sent.Load(), int64(n))
	// 10 messages a request: at most a few partial batches.
	is.True(sinkStats.Requests.Load() < n/10+10)
}

// invoiceID reads an SNS notification body the way a Python consumer would,
// following tomodachi's spec alone: body JSON -> "Message" string -> JsonBase
// envelope -> data.
func invoiceID(t *testing.T, body string) string {
	t.Helper()
	var note struct {
		Type, TopicArn, Message, MessageId, Timestamp string
	}
	if err := json.Unmarshal([]byte(body), &note); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if note.Type != "Notification" || note.Message == "" || note.TopicArn == "" {
		t.Fatalf("not an SNS notification: %s", body)
	}
	var env struct {
		Service  struct{ Name, UUID string }
		Metadata struct {
			MessageUUID     string   `json:"message_uuid"`
			ProtocolVersion string   `json:"protocol_version"`
			Compatible      []string `json:"compatible_protocol_versions"`
			Timestamp       float64  `json:"timestamp"`
			Topic           string   `json:"topic"`
			DataEncoding    string   `json:"data_encoding"`
		}
		Data Invoice
	}
	if err := json.Unmarshal([]byte(note.Message), &env); err != nil {
		t.Fatalf("envelope is not JSON: %v", err)
	}
	m := env.Metadata
	if m.ProtocolVersion != "tomodachi-json-base--1.0.0" || m.DataEncoding != "raw" || len(m.MessageUUID) != 73 ||
		!strings.HasPrefix(m.MessageUUID, svc.UUID+".") || m.Timestamp < 1.7e9 || env.Service.Name != svc.Name ||
		len(m.Compatible) != 1 || m.Compatible[0] != "json_base-wip" {
		t.Fatalf("not a tomodachi JsonBase envelope: %s", note.Message)
	}
	// Python's json.dumps separators, as tomodachi writes them.
	if !strings.HasPrefix(note.Message, `{"service": {"name": "billing", "uuid": "`) {
		t.Fatalf("not written as tomodachi writes it: %s", note.Message)
	}
	return jsonInt(env.Data.OrderID)
}

func jsonInt(i int) string { b, _ := json.Marshal(i); return string(b) }

// With publish calls and batch entries failing, every message is still
// delivered (at least once), and the source acknowledges only what was
// published: its queue ends empty only once all are downstream.
func TestPublishFailuresAreRetried(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	in, topic, out := env.Name(t, "orders"), env.Name(t, "invoices"), env.Name(t, "invoices-copy")
	inURL, _ := createQueue(t, env, in, nil)
	outURL := subscribedQueue(t, env, topic, out, false)
	const n = 200
	sendOrders(t, env, inURL, n)
	faulty := &faultySNS{SNS: env.SNS, failEvery: 4, dropEvery: 7}

	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	consumeTransformPublish(p, env, in, topic, &stats, sink.WithSNSClient(faulty))
	done := make(chan struct{})
	go func() {
		for stats.Deleted.Load() < n {
			time.Sleep(5 * time.Millisecond)
		}
		close(done)
	}()
	is.NoErr(flowtest.RunUntil(p, done, time.Minute))
	is.True(faulty.failedCalls.Load() > 0)
	is.True(faulty.dropped.Load() > 0)
	got := map[string]int{}
	for _, m := range drain(t, env, outURL, n) {
		got[invoiceID(t, aws.ToString(m.Body))]++
	}
	is.Equal(len(got), n) // every one arrived
	t.Logf("%d failed calls and %d dropped entries injected; %d distinct delivered", faulty.failedCalls.Load(), faulty.dropped.Load(), len(got))
}

// A message AWS rejects for the sender's fault fails permanently, so its
// source dead-letters it; the others are published. (The rejection is
// injected: fauxqs validates no attributes, so an invalid one is not a
// portable way to provoke it.)
func TestRejectedEntryIsPermanent(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	in, topic, out := env.Name(t, "orders"), env.Name(t, "invoices"), env.Name(t, "invoices-q")
	inURL, _ := createQueue(t, env, in, nil)
	subscribedQueue(t, env, topic, out, false)
	sendOrders(t, env, inURL, 3)
	var mu sync.Mutex
	var failures []error
	p := flow.New(flow.WithLogger(quiet), flow.WithErrorHandler(func(e *flow.StageError) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, e.Err)
	}))
	var sinkStats sink.Stats
	orders := envelope.DecodeJSON[Order](source.SQS(p, in, source.Options{AWS: env.Config, Logger: quiet}))
	rejecting := &rejectingSNS{SNS: env.SNS, reject: `"id": 1,`}
	sink.PublishSNS(orders, topic, sink.WithAWS(env.Config), sink.WithStats(&sinkStats), sink.WithSNSClient(rejecting))
	done := make(chan struct{})
	go func() {
		for sinkStats.Sent.Load()+sinkStats.Failed.Load() < 3 {
			time.Sleep(5 * time.Millisecond)
		}
		close(done)
	}()
	is.NoErr(flowtest.RunUntil(p, done, time.Minute))
	is.Equal(sinkStats.Sent.Load(), int64(2))
	is.Equal(sinkStats.Retried.Load(), int64(0)) // not worth retrying
	mu.Lock()
	defer mu.Unlock()
	is.Equal(len(failures), 1)
	is.True(flow.IsPermanent(failures[0]))
	var ee *sink.EntryError
	is.True(errors.As(failures[0], &ee))
	is.Equal(ee.Code, "InvalidParameter")
}

// rejectingSNS rejects, as the sender's fault, the entries whose message
// contains reject.
type rejectingSNS struct {
	awsiface.SNS
	reject string
}

func (r *rejectingSNS) PublishBatch(ctx context.Context, in *sns.PublishBatchInput, opts ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	var keep []snstypes.PublishBatchRequestEntry
	var failed []snstypes.BatchResultErrorEntry
	for _, e := range in.PublishBatchRequestEntries {
		if strings.Contains(aws.ToString(e.Message), r.reject) {
			failed = append(failed, snstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InvalidParameter"), Message: aws.String("rejected"), SenderFault: true})
			continue
		}
		keep = append(keep, e)
	}
	out := &sns.PublishBatchOutput{Failed: failed}
	if len(keep) > 0 {
		cp := *in
		cp.PublishBatchRequestEntries = keep
		real, err := r.SNS.PublishBatch(ctx, &cp, opts...)
		if err != nil {
			return nil, err
		}
		out.Successful = real.Successful
	}
	return out, nil
}

// A sink that cannot publish at all (not authorised) stops the pipeline with
// an error that says so.
func TestFatalErrorStopsPipeline(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	in, topic := env.Name(t, "orders"), env.Name(t, "invoices")
	inURL, _ := createQueue(t, env, in, nil)
	sendOrders(t, env, inURL, 5)
	denied := &deniedSNS{SNS: env.SNS}
	p := flow.New(flow.WithLogger(quiet))
	consumeTransformPublish(p, env, in, topic, nil, sink.WithSNSClient(denied))
	err := p.Run(context.Background()) // never cancelled: the fatal error ends it
	is.True(err != nil)
	is.True(strings.Contains(err.Error(), "cannot be used"))
	var api smithy.APIError
	is.True(errors.As(err, &api))
	is.Equal(api.ErrorCode(), "AuthorizationError")
}

type deniedSNS struct{ awsiface.SNS }

func (d *deniedSNS) PublishBatch(context.Context, *sns.PublishBatchInput, ...func(*sns.Options)) (*sns.PublishBatchOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AuthorizationError", Message: "not authorised to publish", Fault: smithy.FaultClient}
}

// Chained sinks: a value is published to a topic, then sent to a queue,
// and its message is acknowledged only after both.
func TestChainedSinks(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	in, topic, viaTopic, direct := env.Name(t, "orders"), env.Name(t, "invoices"), env.Name(t, "via-topic"), env.Name(t, "direct")
	inURL, _ := createQueue(t, env, in, nil)
	topicQ := subscribedQueue(t, env, topic, viaTopic, true) // raw delivery: the envelope itself
	directURL, _ := createQueue(t, env, direct, nil)
	const n = 40
	sendOrders(t, env, inURL, n)
	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	orders := envelope.DecodeJSON[Order](source.SQS(p, in, source.Options{AWS: env.Config, Logger: quiet, Stats: &stats}))
	published := sink.PublishSNSThen(stage.Map(orders, 4, invoice), topic, sink.WithAWS(env.Config), sink.WithEnvelope(envelope.JSON(svc)))
	sent := sink.SendSQSThen(published, direct, sink.WithAWS(env.Config), sink.WithEnvelope(envelope.JSON(svc)),
		sink.WithAttributesFunc(func(i Invoice) map[string]any { return map[string]any{"total": i.Total, "big": i.Total > 150} }))
	sink.Ack(sent)
	done := make(chan struct{})
	go func() {
		for stats.Deleted.Load() < n {
			time.Sleep(5 * time.Millisecond)
		}
		close(done)
	}()
	is.NoErr(flowtest.RunUntil(p, done, time.Minute))
	is.Equal(len(drain(t, env, topicQ, n)), n)
	msgs := drain(t, env, directURL, n)
	is.Equal(len(msgs), n)
	checkSQSBody(t, aws.ToString(msgs[0].Body), directURL)
	attr := msgs[0].MessageAttributes["total"]
	is.Equal(aws.ToString(attr.DataType), "Number") // also sent as SQS attributes
}

// checkSQSBody checks a body against spec 4.2 alone.
func checkSQSBody(t *testing.T, body, queueURL string) {
	t.Helper()
	prefix := `{"Type": "Message", "QueueUrl": "` + queueURL + `", "Version": "0", "Message": "{\"service\": `
	if !strings.HasPrefix(body, prefix) {
		t.Fatalf("body does not start as tomodachi's formatter writes it:\n%s", body)
	}
	var b struct {
		Type, QueueUrl, Version, Message, Timestamp string
		MessageAttributes                           map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(b.Timestamp) {
		t.Fatalf("timestamp %q is not ISO 8601 UTC with milliseconds", b.Timestamp)
	}
	if b.MessageAttributes["total"].Type != "Number" || b.MessageAttributes["big"].Type != "String.Array" {
		t.Fatalf("attributes not encoded as tomodachi encodes them: %v", b.MessageAttributes)
	}
	if v := b.MessageAttributes["big"].Value; v != "true" && v != "false" {
		t.Fatalf("bool attribute %q", v)
	}
}

// Standalone Publish and Send, and a FIFO topic with group ids.
func TestStandalonePublishAndSend(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, viaTopic, direct := env.Name(t, "events"), env.Name(t, "events-q.fifo"), env.Name(t, "commands")
	viaURL := subscribedQueue(t, env, topic+".fifo", viaTopic, false)
	directURL, _ := createQueue(t, env, direct, nil)
	ctx := context.Background()
	pub := sink.NewPublisher(sink.WithAWS(env.Config), sink.WithEnvelope(envelope.JSON(svc)))
	for i := range 3 {
		id, err := pub.Publish(ctx, topic, Order{ID: i}, sink.WithGroupID("customer-7"), sink.WithSubject("order"))
		is.NoErr(err)
		is.True(id != "")
	}
	id, err := sink.Send(ctx, direct, map[string]any{"command": "refund"}, sink.WithAWS(env.Config),
		sink.WithAttributes(map[string]any{"blob": []byte{0, 1, 2}, "n": 1e20}))
	is.NoErr(err)
	is.True(id != "")

	got := drain(t, env, viaURL, 3)
	is.Equal(len(got), 3)
	for i, m := range got {
		is.Equal(m.Attributes["MessageGroupId"], "customer-7")
		var note struct{ Subject, Message string }
		is.NoErr(json.Unmarshal([]byte(aws.ToString(m.Body)), &note))
		is.Equal(note.Subject, "order")
		is.True(strings.Contains(note.Message, `"data": {"id": `+jsonInt(i)))
	}
	sent := drain(t, env, directURL, 1)
	is.Equal(len(sent), 1)
	var body struct {
		MessageAttributes map[string]struct{ Type, Value string }
	}
	is.NoErr(json.Unmarshal([]byte(aws.ToString(sent[0].Body)), &body))
	is.Equal(body.MessageAttributes["blob"].Value, base64.StdEncoding.EncodeToString([]byte{0, 1, 2}))
	is.Equal(body.MessageAttributes["n"].Value, "1e+20")

	_, err = sink.Send(ctx, "no-such-queue", "x", sink.WithAWS(env.Config))
	var nf *provision.QueueNotFoundError
	is.True(errors.As(err, &nf))
	_, err = sink.Send(ctx, direct, "x", sink.WithAWS(env.Config), sink.WithGroupID("g"))
	is.True(err != nil && strings.Contains(err.Error(), "not a FIFO queue"))
}

// Everything a sink accepted before cancellation is published before Run
// returns, even with a long linger.
func TestFlushOnShutdown(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	in, topic, out := env.Name(t, "orders"), env.Name(t, "invoices"), env.Name(t, "invoices-q")
	inURL, _ := createQueue(t, env, in, nil)
	outURL := subscribedQueue(t, env, topic, out, false)
	const n = 7 // fewer than a batch: only the linger or the shutdown flushes them
	sendOrders(t, env, inURL, n)
	var stats source.Stats
	p := flow.New(flow.WithLogger(quiet))
	orders := envelope.DecodeJSON[Order](source.SQS(p, in, source.Options{AWS: env.Config, Logger: quiet, Stats: &stats}))
	mapped := newCounter(n)
	invoices := stage.Map(orders, 1, func(ctx context.Context, o Order) (Invoice, error) {
		defer mapped.add()
		return invoice(ctx, o)
	})
	sink.PublishSNS(invoices, topic, sink.WithAWS(env.Config), sink.WithLinger(time.Second))
	is.NoErr(flowtest.RunUntil(p, mapped.reached, time.Minute)) // cancel as soon as all are in the sink
	is.Equal(stats.Acked.Load(), int64(n))
	is.Equal(len(drain(t, env, outURL, n)), n)
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New(flow.WithLogger(quiet))
	src := flowSource(p)
	sink.PublishSNS(src, "t", sink.WithLinger(-time.Second), sink.WithBatchesInFlight(0),
		sink.WithGroupIDFunc(func(s string) string { return s })) // the stream carries Orders
	err := p.Run(context.Background())
	is.True(err != nil)
	for _, want := range []string{"WithLinger(-1s)", "WithBatchesInFlight(0)", "WithGroupIDFunc takes a func(sink_test.Order) string"} {
		is.True(strings.Contains(err.Error(), want))
	}
}

func flowSource(p *flow.Pipeline) flow.Stream[Order] {
	return flowtest.Slice(p, []Order{{ID: 1}}, flowtest.Options{}).Stream()
}

// A fatal error stops the pipeline at once, even when no further input
// would come to the sink to notice it.
func TestFatalErrorWithIdleInput(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	p := flow.New(flow.WithLogger(quiet))
	st := p.Stage("one-then-idle")
	out, send := flow.NewStream[Order](st)
	st.Go(func(ctx context.Context) error {
		defer close(send)
		if !flow.Send(ctx, send, flow.NewMsg(Order{ID: 1}, nil, flow.NewToken(func(error) {}))) {
			return nil
		}
		<-ctx.Done() // an endless source with nothing more to give
		return nil
	})
	env := testenv.New(t)
	sink.PublishSNS(out, env.Name(t, "invoices"), sink.WithAWS(env.Config), sink.WithSNSClient(&deniedSNS{SNS: env.SNS}))
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	select {
	case err := <-done:
		var api smithy.APIError
		is.True(errors.As(err, &api))
		is.Equal(api.ErrorCode(), "AuthorizationError")
	case <-time.After(30 * time.Second):
		t.Fatal("the fatal error did not stop the pipeline")
	}
}
