package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"
	"golang.org/x/time/rate"

	"github.com/sqsflow/sqsflow/internal/testenv"
)

// withDLQ creates a queue whose dead-letter queue (also created) takes
// messages after one receive. FIFO when fifo. Its visibility timeout is 0,
// so a received message is visible again at once.
func withDLQ(t *testing.T, env *testenv.Env, fifo bool) (srcURL, dlqURL string) {
	t.Helper()
	suffix := ""
	if fifo {
		suffix = ".fifo"
	}
	_, dlqURL = env.CreateQueue(t, "dlq"+suffix, nil)
	policy := fmt.Sprintf(`{"deadLetterTargetArn": %q, "maxReceiveCount": "1"}`, env.QueueARN(t, dlqURL))
	_, srcURL = env.CreateQueue(t, "source"+suffix, map[string]string{"RedrivePolicy": policy, "VisibilityTimeout": "0"})
	return srcURL, dlqURL
}

// sendAll sends bodies to a queue, each with an attribute "n" holding its
// index; to a FIFO queue in two groups, "g-0" and "g-1".
func sendAll(t *testing.T, env *testenv.Env, url string, bodies ...string) {
	t.Helper()
	for i, b := range bodies {
		in := &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(i))}}}
		if strings.HasSuffix(url, ".fifo") {
			in.MessageGroupId = aws.String("g-" + strconv.Itoa(i%2))
			in.MessageDeduplicationId = aws.String("d-" + strconv.Itoa(i))
		}
		if _, err := env.SQS.SendMessage(context.Background(), in); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
}

// deadLetter receives from a queue made by withDLQ until SQS has moved its
// n messages to the dead-letter queue (AWS moves a message when a receive
// finds it over its maxReceiveCount; a FIFO queue hands out a group's next
// message only once the one before has moved).
func deadLetter(t *testing.T, env *testenv.Env, srcURL, dlqURL string, n int) {
	t.Helper()
	for i := 0; i < 10*n+10; i++ {
		if _, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(srcURL), MaxNumberOfMessages: 10,
		}); err != nil {
			t.Fatalf("receive: %v", err)
		}
		out, err := env.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl: aws.String(dlqURL), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
		})
		if err != nil {
			t.Fatalf("attributes: %v", err)
		}
		if out.Attributes["ApproximateNumberOfMessages"] == strconv.Itoa(n) {
			return
		}
	}
	t.Fatalf("the messages of %s did not move to its dead-letter queue", srcURL)
}

// bodiesOn takes every message off a queue (deleting each, so that a FIFO
// queue hands out the rest of its groups) and returns the bodies, sorted,
// and the message attribute "n" and group id of each body.
func bodiesOn(t *testing.T, env *testenv.Env, url string) (bodies []string, n, groups map[string]string) {
	t.Helper()
	n, groups = map[string]string{}, map[string]string{}
	for {
		got := receiveAll(t, env, url, 60)
		if len(got) == 0 {
			break
		}
		for _, m := range got {
			b := aws.ToString(m.msg.Body)
			bodies = append(bodies, b)
			n[b] = aws.ToString(m.msg.MessageAttributes["n"].StringValue)
			groups[b] = m.msg.Attributes["MessageGroupId"]
			if _, err := env.SQS.DeleteMessage(context.Background(), deleteInput(url, m)); err != nil {
				t.Fatalf("delete: %v", err)
			}
		}
	}
	sort.Strings(bodies)
	return bodies, n, groups
}

// numbered returns prefix0, prefix1, ... in order.
func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// sorted returns a sorted copy of s.
func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func TestRedriveToSource(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	src, dlq := withDLQ(t, env, false)
	want := numbered("m", 13) // more than one batch
	sendAll(t, env, src, want...)
	deadLetter(t, env, src, dlq, len(want))

	r := cli(t, env, "", "redrive", "-wait", "0s", dlq).ok(t)
	is.Equal(r.stdout, fmt.Sprintf("moved 13 messages from %s to %s\n", dlq, src))
	got, n, _ := bodiesOn(t, env, src)
	is.Equal(got, sorted(want))
	for _, b := range got {
		is.Equal(n[b], strings.TrimPrefix(b, "m")) // attributes travel along
	}
	is.Equal(len(receiveAll(t, env, dlq, 30)), 0)

	r = cli(t, env, "", "redrive", "-wait", "0s", dlq).ok(t)
	is.Equal(r.stdout, "no messages moved from "+dlq+"\n")
}

func TestRedriveMaxAndTo(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	src, dlq := withDLQ(t, env, false)
	otherName, other := env.CreateQueue(t, "other", nil)
	sendAll(t, env, src, numbered("m", 5)...)
	deadLetter(t, env, src, dlq, 5)

	r := cli(t, env, "", "redrive", "-wait", "0s", "-max", "2", "-to", otherName, dlq).ok(t)
	is.Equal(r.stdout, fmt.Sprintf("moved 2 messages from %s to %s\n", dlq, other))
	moved, _, _ := bodiesOn(t, env, other)
	is.Equal(len(moved), 2)
	left, _, _ := bodiesOn(t, env, dlq)
	is.Equal(len(left), 3)
	is.Equal(len(receiveAll(t, env, src, 30)), 0)
}

func TestRedriveFIFO(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	src, dlq := withDLQ(t, env, true)
	want := numbered("m", 4)
	sendAll(t, env, src, want...)
	deadLetter(t, env, src, dlq, 4)

	cli(t, env, "", "redrive", "-wait", "0s", dlq).ok(t)
	// Within 5 minutes of the first send: the redriven messages must not be
	// dropped as duplicates of the originals.
	got, n, groups := bodiesOn(t, env, src)
	is.Equal(got, sorted(want))
	for _, b := range got {
		i, _ := strconv.Atoi(n[b])
		is.Equal(groups[b], "g-"+strconv.Itoa(i%2)) // groups are kept
	}
}

func TestRedriveFindsSourceWithoutAttribute(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	src, dlq := withDLQ(t, env, false)
	sendAll(t, env, dlq, "a", "b") // straight to the DLQ: no DeadLetterQueueSourceArn

	r := cli(t, env, "", "redrive", "-wait", "0s", dlq).ok(t)
	is.Equal(r.stdout, fmt.Sprintf("moved 2 messages from %s to %s\n", dlq, src))
	got, _, _ := bodiesOn(t, env, src)
	is.Equal(got, []string{"a", "b"})
}

func TestRedriveAmbiguousSource(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	src, dlq := withDLQ(t, env, false)
	policy := fmt.Sprintf(`{"deadLetterTargetArn": %q, "maxReceiveCount": "3"}`, env.QueueARN(t, dlq))
	_, second := env.CreateQueue(t, "second-source", map[string]string{"RedrivePolicy": policy})
	sendAll(t, env, dlq, "a")

	r := cli(t, env, "", "redrive", "-wait", "0s", dlq)
	r.failed(t, 1, "1 message was not moved: message ")
	is.True(strings.Contains(r.stderr, "is the dead-letter queue of 2 queues"))
	is.True(strings.Contains(r.stderr, "give -to"))
	is.Equal(r.stdout, "no messages moved from "+dlq+"\n")
	is.Equal(len(receiveAll(t, env, src, 30)), 0)
	is.Equal(len(receiveAll(t, env, second, 30)), 0)
}

// fakePacer records what redrive asks of its pacer, and cancels the run
// after a number of calls.
type fakePacer struct {
	asked       []int
	cancelAfter int
	cancel      context.CancelFunc
}

func (p *fakePacer) WaitN(ctx context.Context, n int) error {
	p.asked = append(p.asked, n)
	if len(p.asked) == p.cancelAfter {
		p.cancel()
	}
	return ctx.Err()
}

func TestRedrivePacing(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	tests := []struct {
		name        string
		max         int
		cancelAfter int
		wantAsked   []int
		wantMoved   int
	}{
		{"takes what the pacer allows, up to -max", 7, 0, []int{3, 3, 1}, 7},
		{"stops when the queue is empty", 0, 0, []int{3, 3, 3, 3}, 9},
		{"stops when interrupted", 0, 2, []int{3, 3}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			src, dlq := withDLQ(t, env, false)
			sendAll(t, env, dlq, numbered("m", 9)...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r, err := newRedrive(ctx, env.SQS, &redriveFlags{max: tt.max, rate: 3}, dlq)
			is.NoErr(err)
			p := &fakePacer{cancelAfter: tt.cancelAfter, cancel: cancel}
			r.pace = p
			var out strings.Builder
			is.NoErr(r.run(ctx, &out))
			is.Equal(p.asked, tt.wantAsked)
			is.Equal(out.String(), fmt.Sprintf("moved %d messages from %s to %s\n", tt.wantMoved, dlq, src))
			got, _, _ := bodiesOn(t, env, src)
			is.Equal(len(got), tt.wantMoved)
		})
	}
}

func TestNewPacer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		perSecond float64
		burst     int
	}{
		{0, 10}, {0.5, 1}, {1, 1}, {2.5, 3}, {10, 10}, {250, 10},
	}
	for _, tt := range tests {
		is := is.New(t)
		p, burst := newPacer(tt.perSecond)
		is.Equal(burst, tt.burst)
		if tt.perSecond == 0 {
			is.Equal(p, nil)
			continue
		}
		l := p.(*rate.Limiter)
		is.Equal(l.Limit(), rate.Limit(tt.perSecond))
		is.Equal(l.Burst(), tt.burst)
	}
}

func TestRedriveErrors(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	_, dlq := withDLQ(t, env, false)
	fifoName, _ := env.CreateQueue(t, "other.fifo", nil)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no dlq", nil, 2, "want one DLQ, got 0 arguments"},
		{"negative max", []string{"-max", "-1", dlq}, 2, "-max -1: want 0 (no limit) or more"},
		{"negative rate", []string{"-rate", "-2", dlq}, 2, "-rate -2: want 0 (no limit) or more messages per second"},
		{"bad wait", []string{"-wait", "2h", dlq}, 2, "-wait 2h0m0s: want whole seconds from 0 to 20s"},
		{"missing dlq", []string{env.Name(t, "missing")}, 1, "does not exist"},
		{"to the dlq itself", []string{"-to", dlq, dlq}, 1, "is the dead-letter queue itself"},
		{"to a queue of the other kind", []string{"-to", fifoName, dlq}, 1, "cannot move messages from the standard queue"},
		{"missing destination", []string{"-to", env.Name(t, "missing"), dlq}, 1, "-to queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cli(t, env, "", "redrive", tt.args...).failed(t, tt.code, tt.want)
		})
	}
}
