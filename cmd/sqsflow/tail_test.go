package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/testenv"
)

// receiveCounts returns the ApproximateReceiveCount of every message
// visible on a queue, by message body, leaving them invisible.
func receiveCounts(t *testing.T, env *testenv.Env, url string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range receiveAll(t, env, url, 30) {
		out[m.delivery.Payload] = m.msg.Attributes["ApproximateReceiveCount"]
	}
	return out
}

func TestTailLeavesMessagesVisible(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "tail", nil)
	sendRaw(t, env, url, "one", "two", `{"three": 3}`)

	r := cli(t, env, "", "tail", "-wait", "0s", url).ok(t)
	is.Equal(strings.Count("\n"+r.stdout, "\nmessage "), 3)
	is.True(strings.Contains(r.stdout, "  data:       one\n"))
	is.True(strings.Contains(r.stdout, "  data:       {\"three\": 3}\n"))
	is.True(strings.Contains(r.stdout, "receive count 1"))
	is.True(strings.HasSuffix(r.stdout, "-- 3 messages printed and left on the queue\n"))

	// Visible again at once, each received once more.
	is.Equal(receiveCounts(t, env, url), map[string]string{"one": "2", "two": "2", `{"three": 3}`: "2"})
}

func TestTailDelete(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "tail", nil)
	sendRaw(t, env, url, "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")

	r := cli(t, env, "", "tail", "-wait", "0s", "-n", "5", "-delete", url).ok(t)
	is.True(strings.HasSuffix(r.stdout, "-- 5 messages printed and deleted\n"))
	r = cli(t, env, "", "tail", "-wait", "0s", "-delete", "-json", url).ok(t)
	is.Equal(strings.Count(r.stdout, "\n"), 7)
	is.Equal(len(receiveAll(t, env, url, 30)), 0)
}

func TestTailJSON(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, url := subscribed(t, env, false)
	cli(t, env, "", "publish", "-service", "billing", "-service-uuid", "svc-1", "-subject", "hi", "-attr", "currency=EUR", "-attr", "n:Number=5", topic, `{"id": 7}`).ok(t)

	r := cli(t, env, "", "tail", "-wait", "1s", "-json", url).ok(t)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	is.Equal(len(lines), 1) // one message, no summary line
	var got shown
	d := json.NewDecoder(strings.NewReader(lines[0]))
	d.DisallowUnknownFields()
	is.NoErr(d.Decode(&got))
	is.True(got.ID != "")
	is.Equal(got.ReceiveCount, 1)
	is.Equal(got.Topic, topic)
	is.True(strings.HasSuffix(got.TopicARN, ":"+topic))
	is.True(got.SNSMessageID != "")
	is.Equal(got.Subject, "hi")
	is.Equal(got.Attributes, map[string]any{"currency": "EUR", "n": float64(5)})
	is.Equal(string(got.Data), `{"id":7}`)
	is.Equal(got.Envelope.ProtocolVersion, "tomodachi-json-base--1.0.0")
	is.Equal(got.Envelope.ServiceName, "billing")
	is.Equal(got.Envelope.ServiceUUID, "svc-1")
	is.Equal(got.Envelope.Topic, topic)
	is.True(strings.HasPrefix(got.Envelope.MessageUUID, "svc-1."))
	is.True(got.Envelope.Timestamp > 0)
	is.True(got.Sent != "")
}

func TestTailEnvelopes(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "tail", nil)
	proto := base64.StdEncoding.EncodeToString([]byte{0x0a, 0x02, 0x31, 0x32})
	kinds := map[string]string{ // by message id
		strings.TrimSpace(cli(t, env, "", "send", "-envelope", "protobuf", url, proto).ok(t).stdout): "proto",
		strings.TrimSpace(cli(t, env, "", "send", "-envelope", "raw", url, "text").ok(t).stdout):     "text",
	}
	out, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url),
		MessageBody: aws.String(`{"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:000000000000:t"}`)}) // no Message
	if err != nil {
		t.Fatal(err)
	}
	kinds[aws.ToString(out.MessageId)] = "error"

	tests := []struct {
		envelope string
		check    func(is *is.I, byData map[string]shown)
	}{
		{"auto", func(is *is.I, got map[string]shown) {
			p := got["proto"]
			is.Equal(p.DataBase64, "CgIxMg==")
			is.Equal(p.Envelope.ProtocolVersion, "tomodachi-protobuf-base--1.0.0")
			is.Equal(string(got["text"].Data), `"text"`)
			is.True(got["text"].Envelope == nil)
			is.True(strings.Contains(got["error"].Error, "missing or empty Message"))
			is.True(strings.Contains(got["error"].Body, `"Type": "Notification"`))
		}},
		{"raw", func(is *is.I, got map[string]shown) {
			is.Equal(got["proto"].Envelope, (*shownEnvelope)(nil)) // the payload itself is the data
			var payload string
			is.NoErr(json.Unmarshal(got["proto"].Data, &payload))
			o, err := envelope.Protobuf(envelope.Service{}).Open(payload)
			is.NoErr(err)
			is.Equal(o.Data, []byte{0x0a, 0x02, 0x31, 0x32})
		}},
		{"json", func(is *is.I, got map[string]shown) {
			is.True(strings.Contains(got["proto"].Error, "open json"))
			is.True(strings.Contains(got["text"].Error, "open json"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.envelope, func(t *testing.T) {
			is := is.New(t)
			r := cli(t, env, "", "tail", "-wait", "0s", "-json", "-envelope", tt.envelope, url).ok(t)
			got := map[string]shown{}
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				var s shown
				is.NoErr(json.Unmarshal([]byte(line), &s))
				got[kinds[s.ID]] = s
			}
			is.Equal(len(got), 3)
			tt.check(is, got)
		})
	}
}

// TestTailFollowUntilInterrupted follows a queue until its context is
// cancelled (SIGINT), then gives the messages back.
func TestTailFollowUntilInterrupted(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "tail", nil)
	sendRaw(t, env, url, "first")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		code <- run(ctx, []string{"tail", "-endpoint", env.Endpoint, "-follow", "-wait", "1s", url}, pw, &stderr)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	next := func(prefix string) {
		for lines.Scan() {
			if strings.HasPrefix(lines.Text(), prefix) {
				return
			}
		}
		t.Fatalf("no line starting with %q", prefix)
	}
	next("  data:       first")
	sendRaw(t, env, url, "second") // arrives while tail follows
	next("  data:       second")
	cancel()
	next("-- 2 messages printed and left on the queue")
	is.True(!lines.Scan())
	is.Equal(<-code, 0)
	is.Equal(stderr.String(), "")
	is.Equal(receiveCounts(t, env, url), map[string]string{"first": "2", "second": "2"})
}

func TestTailErrors(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	name, _ := env.CreateQueue(t, "tail", nil)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no queue", nil, 2, "want one QUEUE, got 0 arguments"},
		{"negative n", []string{"-n", "-1", name}, 2, "-n -1: want 0 (no limit) or more"},
		{"wait not whole seconds", []string{"-wait", "500ms", name}, 2, "-wait 500ms: want whole seconds from 0 to 20s"},
		{"wait too long", []string{"-wait", "21s", name}, 2, "-wait 21s"},
		{"hold too short", []string{"-hold", "0s", name}, 2, "-hold 0s: want whole seconds from 1s to 12h"},
		{"unknown envelope", []string{"-envelope", "xml", name}, 2, `-envelope "xml": want auto, json, protobuf or raw`},
		{"missing queue", []string{env.Name(t, "missing")}, 1, "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cli(t, env, "", "tail", tt.args...).failed(t, tt.code, tt.want)
		})
	}
}

func TestTailUnreachableEndpoint(t *testing.T) {
	t.Parallel()
	r := cliArgs(t, "", "tail", "-endpoint", "http://127.0.0.1:1", "q")
	r.failed(t, 1, "SQS GetQueueUrl: ")
	if !strings.Contains(r.stderr, "connection refused") || strings.Contains(r.stderr, "operation error") {
		t.Errorf("stderr: %q", r.stderr)
	}
}
