package reliability_test

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/flow"
	"github.com/sqsflow/sqsflow/internal/reliability"
	"github.com/sqsflow/sqsflow/source"
)

// outcome is what must become of a hostile body.
type outcome int

const (
	// dead: it fails permanently, so it is dead-lettered (or discarded).
	dead outcome = iota
	// either: it is handled, or fails permanently; what matters is that
	// it is not lost and nothing panics. The case's id is its data's id.
	either
)

// hostile is one hostile body.
type hostile struct {
	name string
	body string
	want outcome
	id   string // for either: the id a result would carry
	// attrs are SQS message attributes sent with the body.
	attrs map[string]types.MessageAttributeValue
}

const jobsTopicARN = "arn:aws:sns:us-east-1:000000000000:jobs"

// envelopeWith returns a JSON base envelope whose data is data (JSON text)
// with the given data_encoding.
func envelopeWith(data, encoding string) string {
	return `{"service": {"name": "hostile", "uuid": "` + reliability.Service.UUID + `"}, "metadata": {"message_uuid": "` +
		reliability.Service.UUID + `.00000000-0000-4000-8000-000000000000", "protocol_version": "tomodachi-json-base--1.0.0", ` +
		`"compatible_protocol_versions": ["json_base-wip"], "timestamp": 1712345678.123456, "topic": "jobs", "data_encoding": "` +
		encoding + `"}, "data": ` + data + `}`
}

// notification wraps message in an SNS notification with the given
// MessageAttributes (JSON text, or "" for none).
func notification(message, attrs string) string {
	m, _ := json.Marshal(message)
	s := `{"Type": "Notification", "MessageId": "2461d3d0-e07b-4c84-8b16-9dca759ee6a0", "TopicArn": "` + jobsTopicARN +
		`", "Message": ` + string(m) + `, "Timestamp": "2024-04-05T19:34:38.123Z", "SignatureVersion": "1"`
	if attrs != "" {
		s += `, "MessageAttributes": ` + attrs
	}
	return s + `}`
}

// zlibBase64 compresses b with zlib and encodes it with base64, as the
// JSON base envelope's base64_gzip_json encoding does.
func zlibBase64(b []byte) string {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	w.Write(b)
	w.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// bomb returns a zlib stream of mib MiB of spaces (JSON whitespace),
// base64-encoded: about 1 KiB per MiB. It repeats one compressed,
// byte-aligned MiB rather than compressing the whole, which takes seconds
// under the race detector.
func bomb(mib int) string {
	const block = 1 << 20
	var one bytes.Buffer
	fw, _ := flate.NewWriter(&one, flate.BestCompression)
	fw.Write(bytes.Repeat([]byte(" "), block))
	fw.Flush() // ends on a byte boundary, with the window's history unused
	var z bytes.Buffer
	z.Write([]byte{0x78, 0xda}) // zlib header: deflate, 32 KiB window, best compression
	for range mib {
		z.Write(one.Bytes())
	}
	var final bytes.Buffer
	fw, _ = flate.NewWriter(&final, flate.BestCompression)
	fw.Close() // an empty final block
	z.Write(final.Bytes())
	// Adler-32 of n bytes of value c: A = 1 + n·c, B = n + c·n(n+1)/2.
	const mod = 65521
	n := uint64(mib) * block
	a := (1 + n*' ') % mod
	b := (n + ' '*(n*(n+1)/2%mod)) % mod
	binary.Write(&z, binary.BigEndian, uint32(b<<16|a))
	return base64.StdEncoding.EncodeToString(z.Bytes())
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// hostileBodies returns the corpus: every malformed case of the envelope
// issue, plus huge attribute counts, invalid UTF-8, deep nesting, a
// decompression bomb and data of the wrong type for the Job struct.
func hostileBodies() []hostile {
	goodData := func(id string) string { return `{"id": "` + id + `", "n": 3}` }
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	manyAttrs := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, `"attr%d": {"Type": "String", "Value": "v%d"}`, i, i)
		}
		b.WriteString("}")
		return b.String()
	}
	valid := zlibBase64([]byte(goodData("zlib-ok")))
	rawZlib, _ := base64.StdEncoding.DecodeString(valid)
	truncated := base64.StdEncoding.EncodeToString(rawZlib[:len(rawZlib)/2])

	return []hostile{
		// The body itself.
		{name: "not JSON", body: "this is not JSON {", want: dead},
		{name: "whitespace", body: "   ", want: dead},
		{name: "JSON array", body: `[1, 2, 3]`, want: dead},
		{name: "JSON string", body: `"a string"`, want: dead},
		{name: "JSON number", body: `42`, want: dead},
		{name: "JSON null", body: `null`, want: dead},
		{name: "empty object", body: `{}`, want: dead},
		{name: "truncated envelope", body: envelopeWith(goodData("trunc"), "raw")[:120], want: dead},
		// SNS notifications and sqs_send_message bodies.
		{name: "notification without Message", body: `{"Type": "Notification", "TopicArn": "` + jobsTopicARN + `", "MessageId": "x"}`, want: dead},
		{name: "notification with empty Message", body: notification("", ""), want: dead},
		{name: "notification Message not a string", body: `{"Type": "Notification", "TopicArn": "` + jobsTopicARN + `", "Message": {"data": 1}}`, want: dead},
		{name: "sqs_send_message body without Message", body: `{"Type": "Message", "QueueUrl": "http://x/000000000000/q", "Version": "0"}`, want: dead},
		// Envelope encodings.
		{name: "unknown data_encoding", body: envelopeWith(quote("abc"), "rot13"), want: dead},
		{name: "bad base64", body: envelopeWith(quote("!!!not base64!!!"), "base64_gzip_json"), want: dead},
		{name: "bad zlib", body: envelopeWith(quote(base64.StdEncoding.EncodeToString([]byte("not zlib at all"))), "base64_gzip_json"), want: dead},
		{name: "truncated zlib", body: envelopeWith(quote(truncated), "base64_gzip_json"), want: dead},
		{name: "decompression bomb", body: envelopeWith(quote(bomb(180)), "base64_gzip_json"), want: dead},
		{name: "protobuf envelope", body: "ChQKEGh0dHBzOi8vZXhhbXBsZS5jb20SABoA", want: dead},
		// Message attributes.
		{name: "unknown attribute type", body: notification(envelopeWith(goodData("attr-type"), "raw"), `{"a": {"Type": "Weird", "Value": "x"}}`), want: dead},
		{name: "unparsable Number attribute", body: notification(envelopeWith(goodData("attr-number"), "raw"), `{"a": {"Type": "Number", "Value": "12abc"}}`), want: dead},
		{name: "deeply nested String.Array attribute", body: notification(envelopeWith(goodData("attr-deep"), "raw"), `{"a": {"Type": "String.Array", "Value": `+quote(deep(50000))+`}}`), want: dead},
		{name: "SQS String.Array attribute that is not JSON", body: envelopeWith(goodData("sqs-attr-array"), "raw"), want: dead,
			attrs: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String.Array"), StringValue: aws.String("[not json")}}},
		{name: "SQS String.Array attribute deeply nested", body: envelopeWith(goodData("sqs-attr-deep"), "raw"), want: dead,
			attrs: map[string]types.MessageAttributeValue{"a": {DataType: aws.String("String.Array"), StringValue: aws.String(deep(50000))}}},
		{name: "SQS attributes of custom types", body: envelopeWith(goodData("sqs-attr-custom"), "raw"), want: either, id: "sqs-attr-custom",
			attrs: map[string]types.MessageAttributeValue{
				"n": {DataType: aws.String("Number.int"), StringValue: aws.String("3.5")},
				"b": {DataType: aws.String("Binary.gz"), BinaryValue: []byte{0xff, 0x00, 0xfe}},
				"s": {DataType: aws.String("String.x"), StringValue: aws.String("\ufffd")},
				"e": {DataType: aws.String("Number"), StringValue: aws.String("99999999999999999999999999")},
			}},
		{name: "huge attribute count", body: notification(envelopeWith(goodData("many-attrs"), "raw"), manyAttrs(5000)), want: either, id: "many-attrs"},
		// Invalid UTF-8 (SQS carries only valid characters, so it comes as
		// lone surrogate escapes or inside compressed data).
		{name: "lone surrogate in data", body: envelopeWith(`{"id": "utf8-surrogate-\ud800", "n": 1}`, "raw"), want: either, id: "utf8-surrogate-\ufffd"},
		{name: "lone surrogate in attribute", body: notification(envelopeWith(goodData("utf8-attr"), "raw"), `{"a": {"Type": "String", "Value": "\udc00"}}`), want: either, id: "utf8-attr"},
		{name: "invalid UTF-8 in compressed string", body: envelopeWith(quote(zlibBase64([]byte("{\"id\": \"utf8-zlib-\xff\xfe\", \"n\": 2}"))), "base64_gzip_json"), want: either, id: "utf8-zlib-\ufffd\ufffd"},
		{name: "invalid UTF-8 in compressed structure", body: envelopeWith(quote(zlibBase64([]byte("{\"id\": \xff\xfe}"))), "base64_gzip_json"), want: dead},
		// Deep nesting.
		{name: "deeply nested data", body: envelopeWith(deep(100000), "raw"), want: dead},
		{name: "deeply nested field of data", body: envelopeWith(`{"id": "deep-field", "n": 1, "extra": `+deep(100000)+`}`, "raw"), want: dead},
		{name: "deeply nested metadata", body: strings.Replace(envelopeWith(goodData("deep-meta"), "raw"), `"topic": "jobs"`, `"topic": `+deep(100000), 1), want: dead},
		{name: "deeply nested body", body: `{"x": ` + deep(100000) + `}`, want: dead},
		// Valid JSON of the wrong type for the Job struct.
		{name: "id is a number", body: envelopeWith(`{"id": 123, "n": 1}`, "raw"), want: dead},
		{name: "n is a string", body: envelopeWith(`{"id": "wrong-n", "n": "seven"}`, "raw"), want: dead},
		{name: "n overflows int64", body: envelopeWith(`{"id": "big-n", "n": 1e400}`, "raw"), want: dead},
		{name: "data is a string", body: envelopeWith(`"hello"`, "raw"), want: dead},
		{name: "data is an array", body: envelopeWith(`[1, 2]`, "raw"), want: dead},
		{name: "data is missing", body: strings.Replace(envelopeWith(`{}`, "raw"), `, "data": {}`, ``, 1), want: dead},
		{name: "compressed data of the wrong type", body: envelopeWith(quote(zlibBase64([]byte(`[true]`))), "base64_gzip_json"), want: dead},
	}
}

// TestReliabilityBadInput mixes hostile bodies into good traffic: good jobs
// must all be processed, hostile ones dead-lettered or discarded as the
// policy says, nothing may panic and memory must stay bounded.
func TestReliabilityBadInput(t *testing.T) {
	// Not parallel: it measures the process's heap.
	copies := 1 // the quick run
	if sz, ok := configs[os.Getenv(ModeVariable)]; ok {
		copies = sz.badCopies
	}
	for _, policy := range []source.PoisonPolicy{source.DeadLetter, source.Discard} {
		name := map[source.PoisonPolicy]string{source.DeadLetter: "dead-letter", source.Discard: "discard"}[policy]
		// One after the other: each measures the heap.
		t.Run(name, func(t *testing.T) {
			badInput(t, policy, copies)
		})
	}
}

func badInput(t *testing.T, policy source.PoisonPolicy, copies int) {
	is := is.New(t)
	r := newRig(t, emulator.Options{})
	corpus := hostileBodies()
	const good = 300
	js, goodBodies := jobs(t, good, 0)
	var bodies []string
	var withAttrs []hostile
	for _, h := range corpus {
		for range copies {
			if h.attrs != nil {
				withAttrs = append(withAttrs, h)
			} else {
				bodies = append(bodies, h.body)
			}
		}
	}
	bodies = append(bodies, goodBodies...)
	rng := newRand(t)
	rng.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := reliability.Send(ctx, r.sqs, r.Input, bodies); err != nil {
		t.Fatalf("send the corpus: %v", err)
	}
	for _, h := range withAttrs {
		if _, err := r.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(r.Input), MessageBody: aws.String(h.body), MessageAttributes: h.attrs}); err != nil {
			t.Fatalf("send %s: %v", h.name, err)
		}
	}

	// Memory: the heap in use, sampled while the pipeline runs.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapInuse
	var peak uint64
	sampling, stopSampling := context.WithCancel(context.Background())
	var sampler sync.WaitGroup
	sampler.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-tick.C:
			case <-sampling.Done():
				return
			}
		}
	})

	var mu sync.Mutex
	var panics []error
	stats := &source.Stats{}
	p := reliability.Build(reliability.Config{
		AWS:         reliability.ClientConfig(r.srv.Endpoint(), 0),
		Input:       r.Input,
		Output:      r.Output,
		OnPermanent: policy,
		SourceStats: stats,
		OnError: func(e *flow.StageError) {
			var pe *flow.PanicError
			if errors.As(e.Err, &pe) {
				mu.Lock()
				panics = append(panics, e)
				mu.Unlock()
			}
		},
	})
	run := start(t, p)
	out := reliability.NewLedger(0)
	dlq := reliability.NewLedger(0)
	byBody := func(body string) (string, error) { return body, nil }
	drainCtx, stopDrain := context.WithCancel(ctx)
	var drains sync.WaitGroup
	drains.Go(func() { reliability.Drain(drainCtx, r.sqs, r.Output, 2, reliability.ResultID, out) })
	drains.Go(func() { reliability.Drain(drainCtx, r.sqs, r.DLQ, 1, byBody, dlq) })
	if err := r.waitEmpty(ctx, r.Input); err != nil {
		t.Errorf("the input queue did not empty: %v", err)
	}
	run.alive(t, "after the corpus")
	is.NoErr(run.stop(t))
	stopSampling()
	sampler.Wait()
	stopDrain()
	drains.Wait()
	is.NoErr(reliability.DrainAll(ctx, r.sqs, r.Output, reliability.ResultID, out))
	is.NoErr(reliability.DrainAll(ctx, r.sqs, r.DLQ, byBody, dlq))

	for _, j := range js {
		if out.Count(j.ID) == 0 {
			t.Errorf("good job %s was not processed", j.ID)
		}
	}
	deadWant := 0
	for _, h := range corpus {
		inDLQ := dlq.Count(h.body)
		switch {
		case h.want == dead && policy == source.DeadLetter && inDLQ != copies:
			t.Errorf("%s: %d of %d copies dead-lettered", h.name, inDLQ, copies)
		case h.want == dead && policy == source.Discard && inDLQ != 0:
			t.Errorf("%s: dead-lettered, though the policy is to discard", h.name)
		case h.want == either && policy == source.DeadLetter && inDLQ+out.Count(h.id) < copies:
			t.Errorf("%s: lost: %d handled, %d dead-lettered of %d", h.name, out.Count(h.id), inDLQ, copies)
		}
		if h.want == dead {
			deadWant += copies
		} else if out.Count(h.id) == 0 {
			deadWant += copies
		}
		if h.want == either {
			t.Logf("%s: handled=%d dead-lettered=%d", h.name, out.Count(h.id), inDLQ)
		}
	}
	mu.Lock()
	for _, e := range panics {
		t.Errorf("a stage panicked: %v", e)
	}
	mu.Unlock()
	growth := int64(peak) - int64(baseline)
	t.Logf("bad-input (%s): messages=%d hostile=%d good=%d lost=0 poisoned=%d dead-lettered=%d heap-growth=%dMiB",
		map[source.PoisonPolicy]string{source.DeadLetter: "dead-letter", source.Discard: "discard"}[policy],
		len(bodies)+len(withAttrs), len(corpus)*copies, good, stats.Poisoned.Load(), dlq.Total(), growth>>20)
	is.Equal(stats.Poisoned.Load(), int64(deadWant)) // every hostile body took the poison path once
	// A 180 MiB decompression bomb must not be inflated: the heap grows by
	// a bounded amount (the in-flight window, and envelope.MaxDecompressed
	// per message being decoded, with the garbage the collector has not yet
	// reclaimed), not by the bombs' size. Inflating one bomb whole would
	// take 180 MiB, and twice that while the buffer grows.
	is.True(growth < 200<<20)
}

// TestReliabilityHandlerPanic feeds jobs that make the handler panic, as a
// bug triggered by bad input would: the process survives, each panic fails
// its message like an error (retried with a backoff), and SQS moves the
// message to the dead-letter queue after maxReceiveCount receives, while
// the good jobs around it are all processed.
func TestReliabilityHandlerPanic(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	is.NoErr(err)
	t.Cleanup(func() { srv.Close() })
	r := &rig{srv: srv, sqs: sqs.NewFromConfig(srv.Config()), maxReceives: 3}
	r.createQueues(t)

	js, bodies := jobs(t, 200, 0)
	for i := range js {
		if i%20 == 7 {
			js[i].Panic = true
			var err error
			bodies[i], err = reliability.SealJob(js[i])
			is.NoErr(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	is.NoErr(reliability.Send(ctx, r.sqs, r.Input, bodies))
	out, dlq, stopDrains := r.drains(t, 0)

	var mu sync.Mutex
	panics := map[string]int{}
	p := reliability.Build(reliability.Config{
		AWS:     reliability.ClientConfig(r.srv.Endpoint(), 0),
		Input:   r.Input,
		Output:  r.Output,
		Backoff: source.Backoff{Base: 100 * time.Millisecond, Max: 400 * time.Millisecond},
		OnError: func(e *flow.StageError) {
			var pe *flow.PanicError
			if errors.As(e.Err, &pe) {
				mu.Lock()
				panics[e.Meta.ID]++
				mu.Unlock()
			}
		},
	})
	run := start(t, p)
	is.NoErr(reliability.Wait(ctx, func() bool { return out.Unique()+dlq.Unique() >= len(js) }, out, dlq))
	is.NoErr(r.waitEmpty(ctx, r.Input))
	run.alive(t, "after the panics")
	is.NoErr(run.stop(t))
	stopDrains()
	r.finish(t, out, dlq)

	res := count(js, out, dlq)
	handled := 0
	for _, j := range js {
		switch {
		case j.Panic && dlq.Count(j.ID) == 0:
			t.Errorf("%s panicked and is not in the dead-letter queue", j.ID)
		case !j.Panic && out.Count(j.ID) == 0:
			t.Errorf("good job %s was not processed", j.ID)
		case j.Panic:
			handled++
		}
	}
	mu.Lock()
	recovered := 0
	for _, n := range panics {
		recovered += n
	}
	mu.Unlock()
	t.Logf("handler-panic: messages=%d panicking=%d panics-recovered=%d lost=%d duplicates=%d dead-lettered=%d",
		len(js), handled, recovered, res.lost, res.duplicates, res.deadLettered)
	is.Equal(res.lost, 0)
	is.Equal(recovered, handled*3) // each panicking job was tried maxReceiveCount times
}
