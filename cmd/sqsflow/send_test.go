package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/internal/testenv"
)

// TestSendWritesTomodachiBody checks that send writes what tomodachi's
// sqs_send_message writes: the envelope inside a {"Type": "Message", ...}
// body, with the attributes both in the body and on the message.
func TestSendWritesTomodachiBody(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	name, url := env.CreateQueue(t, "commands", nil)

	r := cli(t, env, "", "send", "-attr", "kind=charge", "-attr", "cents:Number=1250", name, `{"charge": 12.5}`).ok(t)
	got := receiveAll(t, env, url, 30)
	is.Equal(len(got), 1)
	is.Equal(aws.ToString(got[0].msg.MessageId), strings.TrimSpace(r.stdout))

	var body struct {
		Type, QueueUrl, Message string
		MessageAttributes       map[string]struct{ Type, Value string }
	}
	is.NoErr(json.Unmarshal([]byte(aws.ToString(got[0].msg.Body)), &body))
	is.Equal(body.Type, "Message")
	is.Equal(body.QueueUrl, url)
	is.Equal(body.MessageAttributes["kind"].Value, "charge")
	is.Equal(aws.ToString(got[0].msg.MessageAttributes["cents"].DataType), "Number")

	d := got[0].delivery
	is.Equal(d.Attributes, map[string]any{"kind": "charge", "cents": int64(1250)})
	data, meta := openJSON(t, d.Payload)
	is.Equal(data, `{"charge": 12.5}`)
	is.Equal(meta.Topic, "") // sent straight to a queue
}

func TestSendBareAndStdin(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	_, url := env.CreateQueue(t, "commands", nil)

	r := cli(t, env, "one\ntwo\n", "send", "-bare", "-envelope", "raw", url).ok(t)
	is.Equal(len(strings.Fields(r.stdout)), 2)
	bodies := map[string]bool{}
	for _, m := range receiveAll(t, env, url, 30) {
		bodies[aws.ToString(m.msg.Body)] = true
	}
	is.Equal(bodies, map[string]bool{"one": true, "two": true}) // no wrapper, no envelope
}

func TestSendPrefixAndDelay(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	name, url := env.CreateQueue(t, "dev-commands", nil)
	prefix, rest, _ := strings.Cut(name, "-")

	cli(t, env, "", "send", "-queue-prefix", prefix+"-", "-delay", "10s", rest, `{}`).ok(t)
	out, err := env.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed},
	})
	is.NoErr(err)
	is.Equal(out.Attributes["ApproximateNumberOfMessagesDelayed"], "1")
	is.Equal(len(receiveAll(t, env, url, 30)), 0) // not visible yet
}

func TestSendFIFO(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	name, url := env.CreateQueue(t, "commands.fifo", nil)

	cli(t, env, "", "send", "-group", "g-1", "-dedup", "d-1", name, `{"n": 1}`).ok(t)
	cli(t, env, "", "send", "-group", "g-1", "-dedup", "d-1", name, `{"n": 1}`).ok(t) // deduplicated
	cli(t, env, "", "send", "-group", "g-2", name, `{"n": 2}`).ok(t)

	got := receiveAll(t, env, url, 30)
	is.Equal(len(got), 2)
	ids := map[string]string{}
	for _, m := range got {
		ids[m.msg.Attributes["MessageGroupId"]] = m.msg.Attributes["MessageDeduplicationId"]
	}
	is.Equal(ids["g-1"], "d-1")
	is.True(ids["g-2"] != "") // a random one
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	standard, _ := env.CreateQueue(t, "standard", nil)
	fifo, _ := env.CreateQueue(t, "fifo.fifo", nil)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no queue", nil, 2, "want QUEUE and an optional MESSAGE, got 0 arguments"},
		{"bad delay", []string{"-delay", "1500ms", standard, "{}"}, 2, "-delay 1.5s: want whole seconds from 0 to 15m"},
		{"delay too long", []string{"-delay", "16m", standard, "{}"}, 2, "-delay 16m0s"},
		{"missing queue", []string{env.Name(t, "missing"), "{}"}, 1, "does not exist"},
		{"fifo without group", []string{fifo, "{}"}, 1, "is a FIFO queue: give a message group id with -group"},
		{"group on standard queue", []string{"-group", "g", standard, "{}"}, 1, "is a standard queue: -group and -dedup are for FIFO queues"},
		{"delay on fifo", []string{"-group", "g", "-delay", "1s", fifo, "{}"}, 1, "-delay is not allowed"},
		{"subject is for topics", []string{"-subject", "s", standard, "{}"}, 2, "flag provided but not defined: -subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cli(t, env, "", "send", tt.args...).failed(t, tt.code, tt.want)
		})
	}
}
