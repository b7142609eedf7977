package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/internal/testenv"
	"github.com/sqsflow/sqsflow/provision"
)

// subscribed provisions a queue subscribed to a new topic (FIFO when fifo)
// and returns the topic and the queue's URL.
func subscribed(t *testing.T, env *testenv.Env, fifo bool) (topic, url string) {
	t.Helper()
	topic, queue := env.Name(t, "topic"), env.Name(t, "queue")
	if fifo {
		queue += ".fifo"
	}
	cleanupTopics(t, env, provision.Naming{}.TopicName(topic, fifo))
	res, err := provision.Ensure(context.Background(), provision.Clients{SQS: env.SQS, SNS: env.SNS, Region: env.Config.Region},
		provision.Spec{Queue: provision.Queue{Name: queue, FIFO: fifo}, Subscription: provision.Subscription{Topic: topic}}, provision.Options{})
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	cleanupQueues(t, env, queue)
	return topic, res.QueueURL
}

func TestPublishJSONWithAttributes(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, url := subscribed(t, env, false)

	r := cli(t, env, "", "publish", "-subject", "greeting", "-service", "billing", "-service-uuid", "svc-1",
		"-attr", "currency=EUR", "-attr", "amount:Number=5", "-attr", "rate:Number=0.5", "-attr", "tags:JSON=[\"a\", 1]",
		"-attr", "blob:Binary=AAEC", "-attr", "label:String=x=y", topic, `{"id": 7, "name": "Ada"}`).ok(t)
	id := strings.TrimSpace(r.stdout)
	is.True(id != "")

	got := receiveAll(t, env, url, 30)
	is.Equal(len(got), 1)
	d := got[0].delivery
	is.Equal(d.Type, "Notification")
	is.Equal(d.Topic, topic)
	is.Equal(d.SNSMessageID, id) // the id printed is SNS's
	is.Equal(d.Subject, "greeting")
	is.Equal(d.Attributes, map[string]any{
		"currency": "EUR", "amount": int64(5), "rate": 0.5, "tags": []any{"a", int64(1)},
		"blob": []byte{0, 1, 2}, "label": "x=y",
	})
	data, meta := openJSON(t, d.Payload)
	is.Equal(data, `{"id": 7, "name": "Ada"}`)
	is.Equal(meta.Topic, topic)
	is.Equal(meta.ServiceName, "billing")
	is.Equal(meta.ServiceUUID, "svc-1")
	is.True(strings.HasPrefix(meta.MessageUUID, "svc-1."))
}

func TestPublishLinesFromStdin(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, url := subscribed(t, env, false)

	r := cli(t, env, "{\"n\": 1}\n\n  \n{\"n\": 2}\r\n[3]\n", "publish", topic).ok(t)
	is.Equal(len(strings.Fields(r.stdout)), 3) // one id a message; blank lines are skipped

	var data []string
	for _, m := range receiveAll(t, env, url, 30) {
		d, _ := openJSON(t, m.delivery.Payload)
		data = append(data, d)
	}
	is.Equal(len(data), 3)
	for _, want := range []string{`{"n": 1}`, `{"n": 2}`, `[3]`} {
		found := false
		for _, d := range data {
			found = found || d == want
		}
		is.True(found) // every line arrives
	}
}

func TestPublishEnvelopes(t *testing.T) {
	t.Parallel()
	// The serialized Person{id: "12", name: "John Doe"} of the protobuf vector.
	person, err := hex.DecodeString("0a02313212084a6f686e20446f65")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		envelope, message string
		open              func(payload string) ([]byte, error)
		want              []byte
	}{
		{"raw", "plain text, not JSON", func(p string) ([]byte, error) { return []byte(p), nil }, []byte("plain text, not JSON")},
		{"protobuf", base64.StdEncoding.EncodeToString(person), func(p string) ([]byte, error) {
			o, err := envelope.Protobuf(envelope.Service{}).Open(p)
			return o.Data, err
		}, person},
		{"json", `"a JSON string"`, func(p string) ([]byte, error) {
			o, err := envelope.JSON(envelope.Service{}).Open(p)
			return o.Data, err
		}, []byte(`"a JSON string"`)},
	}
	for _, tt := range tests {
		t.Run(tt.envelope, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			env := testenv.New(t)
			topic, url := subscribed(t, env, false)
			cli(t, env, "", "publish", "-envelope", tt.envelope, topic, tt.message).ok(t)
			got := receiveAll(t, env, url, 30)
			is.Equal(len(got), 1)
			data, err := tt.open(got[0].delivery.Payload)
			is.NoErr(err)
			is.True(bytes.Equal(data, tt.want))
		})
	}
}

func TestPublishFIFO(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, url := subscribed(t, env, true)

	cli(t, env, "{\"n\": 1}\n{\"n\": 2}\n", "publish", "-group", "customer-7", topic).ok(t)
	cli(t, env, "", "publish", "-group", "customer-8", "-dedup", "d-1", topic, `{"n": 3}`).ok(t)
	cli(t, env, "", "publish", "-group", "customer-8", "-dedup", "d-1", topic, `{"n": 3}`).ok(t) // a duplicate

	var order []string
	groups := map[string]string{}
	for {
		got := receiveAll(t, env, url, 30)
		if len(got) == 0 {
			break
		}
		for _, m := range got {
			data, _ := openJSON(t, m.delivery.Payload)
			order = append(order, data)
			groups[data] = m.msg.Attributes["MessageGroupId"]
			_, err := env.SQS.DeleteMessage(context.Background(), deleteInput(url, m))
			is.NoErr(err)
		}
	}
	is.Equal(len(order), 3) // the duplicate is dropped
	is.Equal(groups, map[string]string{`{"n": 1}`: "customer-7", `{"n": 2}`: "customer-7", `{"n": 3}`: "customer-8"})
	first, second := -1, -1
	for i, d := range order {
		switch d {
		case `{"n": 1}`:
			first = i
		case `{"n": 2}`:
			second = i
		}
	}
	is.True(first < second) // in order within the group
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	topic, _ := subscribed(t, env, false)
	tests := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"no topic", "", nil, 2, "want TOPIC and an optional MESSAGE, got 0 arguments"},
		{"too many arguments", "", []string{topic, "{}", "{}"}, 2, "got 3 arguments"},
		{"message not JSON", "", []string{topic, "hello"}, 2, "MESSAGE: not JSON (quote text as a JSON string, or send it as it is with -envelope raw)"},
		{"message not base64", "", []string{"-envelope", "protobuf", topic, "%%"}, 2, "MESSAGE: not the base64 of a serialized protobuf message"},
		{"unknown envelope", "", []string{"-envelope", "xml", topic, "{}"}, 2, `-envelope "xml": want json, protobuf or raw`},
		{"attribute without value", "", []string{"-attr", "currency", topic, "{}"}, 2, `invalid value "currency" for flag -attr: "currency": want name=value`},
		{"attribute not a number", "", []string{"-attr", "n:Number=five", topic, "{}"}, 2, `attribute "n": "five" is not a number`},
		{"attribute type unknown", "", []string{"-attr", "n:Int=5", topic, "{}"}, 2, `unknown type "Int"`},
		{"attribute given twice", "", []string{"-attr", "a=1", "-attr", "a=2", topic, "{}"}, 2, `attribute "a" given twice`},
		{"binary attribute not base64", "", []string{"-attr", "b:Binary=%%", topic, "{}"}, 2, "Binary values are given in base64"},
		{"dedup without group", "", []string{"-dedup", "d", topic, "{}"}, 2, "-dedup is for FIFO targets: add -group"},
		{"bad stdin line", "{}\nnot json\n{}\n", []string{topic}, 1, "stdin line 2: not JSON"},
		{"missing topic with lookup-only", "", []string{"-lookup-only", env.Name(t, "missing"), "{}"}, 1, "does not exist"},
		{"invalid topic", "", []string{"a.b", "{}"}, 1, `invalid topic name "a.b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cli(t, env, tt.stdin, "publish", tt.args...)
			r.failed(t, tt.code, tt.want)
			if tt.name == "bad stdin line" && strings.Count(r.stdout, "\n") != 1 {
				t.Errorf("the line before the bad one is published and its id printed; stdout: %q", r.stdout)
			}
		})
	}
}

// deleteInput is the DeleteMessage request for a received message.
func deleteInput(url string, m received) *sqs.DeleteMessageInput {
	return &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.msg.ReceiptHandle}
}
