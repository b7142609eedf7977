package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/internal/testenv"
)

// queueURL returns the URL of a queue, failing the test when it does not
// exist.
func queueURL(t *testing.T, env *testenv.Env, name string) string {
	t.Helper()
	out, err := env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("queue %s: %v", name, err)
	}
	return aws.ToString(out.QueueUrl)
}

// queueExists reports whether a queue exists.
func queueExists(env *testenv.Env, name string) bool {
	_, err := env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	return err == nil
}

// cleanupQueues deletes queues a command created, when the test ends.
func cleanupQueues(t *testing.T, env *testenv.Env, names ...string) {
	t.Cleanup(func() {
		for _, n := range names {
			if out, err := env.SQS.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(n)}); err == nil {
				env.SQS.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
			}
		}
	})
}

// topicARN returns the ARN of the topic named name, or "".
func topicARN(t *testing.T, env *testenv.Env, name string) string {
	t.Helper()
	p := sns.NewListTopicsPaginator(env.SNS, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("list topics: %v", err)
		}
		for _, tp := range out.Topics {
			if arn := aws.ToString(tp.TopicArn); strings.HasSuffix(arn, ":"+name) {
				return arn
			}
		}
	}
	return ""
}

// cleanupTopics deletes topics a command created, when the test ends.
func cleanupTopics(t *testing.T, env *testenv.Env, names ...string) {
	t.Cleanup(func() {
		for _, n := range names {
			if arn := topicARN(t, env, n); arn != "" {
				env.SNS.DeleteTopic(context.Background(), &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
			}
		}
	})
}

// queueAttrs returns all attributes of a queue.
func queueAttrs(t *testing.T, env *testenv.Env, url string) map[string]string {
	t.Helper()
	out, err := env.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("attributes of %s: %v", url, err)
	}
	return out.Attributes
}

// subscriptionAttrs returns the attributes of the one subscription of a
// topic.
func subscriptionAttrs(t *testing.T, env *testenv.Env, topicARN string) map[string]string {
	t.Helper()
	subs, err := env.SNS.ListSubscriptionsByTopic(context.Background(), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	if err != nil {
		t.Fatalf("subscriptions of %s: %v", topicARN, err)
	}
	if len(subs.Subscriptions) != 1 {
		t.Fatalf("topic %s has %d subscriptions, want 1", topicARN, len(subs.Subscriptions))
	}
	out, err := env.SNS.GetSubscriptionAttributes(context.Background(), &sns.GetSubscriptionAttributesInput{SubscriptionArn: subs.Subscriptions[0].SubscriptionArn})
	if err != nil {
		t.Fatalf("subscription attributes: %v", err)
	}
	return out.Attributes
}

func TestProvisionDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue, dlq := env.Name(t, "orders"), env.Name(t, "billing"), env.Name(t, "billing-dlq")
	cleanupQueues(t, env, queue, dlq)
	cleanupTopics(t, env, topic)

	r := cli(t, env, "", "provision", "-dry-run", "-topic", topic, "-queue", queue, "-dlq", dlq, "-max-receives", "5",
		"-visibility", "1m", "-filter-policy", `{"currency": ["EUR"]}`).ok(t)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	is.Equal(lines[0], "would call CreateQueue "+queue)
	is.Equal(lines[1], "would call CreateQueue "+dlq+" MessageRetentionPeriod=1209600")
	is.Equal(lines[2], "would call CreateTopic "+topic)
	is.True(strings.HasPrefix(lines[3], "would call SetQueueAttributes "+queue+" Policy="))
	is.True(strings.HasSuffix(lines[3], " VisibilityTimeout=60"))
	is.True(strings.Contains(lines[3], `"maxReceiveCount": 5`))
	is.True(strings.Contains(lines[3], `"aws:SourceArn":"<ARN of topic `+topic+`>"`)) // readable, not \u003c
	is.Equal(lines[4], "would call Subscribe <ARN of topic "+topic+"> Protocol=sqs Endpoint=<ARN of queue "+queue+`> FilterPolicy={"currency":["EUR"]}`)
	is.Equal(lines[len(lines)-1], "dry run: 5 changes would be made, none was")

	is.True(!queueExists(env, queue))
	is.True(!queueExists(env, dlq))
	is.Equal(topicARN(t, env, topic), "")
}

func TestProvisionCreatesThenIsUpToDate(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic, queue, dlq := env.Name(t, "orders"), env.Name(t, "billing"), env.Name(t, "billing-dlq")
	cleanupQueues(t, env, queue, dlq)
	cleanupTopics(t, env, topic)
	args := []string{"-topic", topic, "-queue", queue, "-dlq", dlq, "-max-receives", "3", "-visibility", "45s",
		"-filter-policy", `{"currency": ["EUR", "USD"]}`}

	r := cli(t, env, "", "provision", args...).ok(t)
	is.True(strings.Contains(r.stdout, "called CreateQueue "+queue+"\n"))
	is.True(strings.HasSuffix(r.stdout, "5 changes made\n"))

	url := queueURL(t, env, queue)
	attrs := queueAttrs(t, env, url)
	is.Equal(attrs["VisibilityTimeout"], "45")
	var redrive struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     any    `json:"maxReceiveCount"`
	}
	is.NoErr(json.Unmarshal([]byte(attrs["RedrivePolicy"]), &redrive))
	is.True(strings.HasSuffix(redrive.DeadLetterTargetArn, ":"+dlq))
	is.Equal(queueAttrs(t, env, queueURL(t, env, dlq))["MessageRetentionPeriod"], "1209600")
	arn := topicARN(t, env, topic)
	is.True(arn != "")
	is.True(strings.Contains(r.stdout, "  subscribed to "+arn+" "+arn+":"))
	var policy map[string][]string
	is.NoErr(json.Unmarshal([]byte(subscriptionAttrs(t, env, arn)["FilterPolicy"]), &policy))
	is.Equal(policy["currency"], []string{"EUR", "USD"})

	again := cli(t, env, "", "provision", args...).ok(t)
	is.True(!strings.Contains(again.stdout, "called"))
	is.True(strings.HasSuffix(again.stdout, "up to date: nothing changed\n"))
	is.True(strings.Contains(again.stdout, "queue "+queue+" "+url+"\n"))
}

func TestProvisionRemove(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	queue, dlq := env.Name(t, "work"), env.Name(t, "work-dlq")
	cleanupQueues(t, env, queue, dlq)

	cli(t, env, "", "provision", "-queue", queue, "-dlq", dlq, "-max-receives", "2", "-visibility", "2m").ok(t)
	url := queueURL(t, env, queue)
	is.Equal(queueAttrs(t, env, url)["VisibilityTimeout"], "120")

	// Neither given nor removed: left as it is.
	r := cli(t, env, "", "provision", "-queue", queue).ok(t)
	is.True(strings.HasSuffix(r.stdout, "up to date: nothing changed\n"))

	r = cli(t, env, "", "provision", "-queue", queue, "-remove", "visibility,dlq").ok(t)
	is.True(strings.Contains(r.stdout, "called SetQueueAttributes "+url+" RedrivePolicy= VisibilityTimeout=30\n"))
	attrs := queueAttrs(t, env, url)
	is.Equal(attrs["VisibilityTimeout"], "30") // AWS's default
	is.Equal(attrs["RedrivePolicy"], "")
}

func TestProvisionTopicOnly(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	topic := env.Name(t, "invoices")
	cleanupTopics(t, env, "dev-"+topic+".fifo")

	r := cli(t, env, "", "provision", "-topic-only", "-fifo", "-topic-prefix", "dev-", "-topic", topic).ok(t)
	arn := topicARN(t, env, "dev-"+topic+".fifo")
	is.True(arn != "")
	is.True(strings.Contains(r.stdout, "called CreateTopic dev-"+topic+".fifo"))
	is.True(strings.Contains(r.stdout, "topic dev-"+topic+".fifo "+arn+"\n"))
	r = cli(t, env, "", "provision", "-topic-only", "-fifo", "-topic-prefix", "dev-", "-topic", topic).ok(t)
	is.True(strings.HasSuffix(r.stdout, "up to date: nothing changed\n"))
}

func TestProvisionFile(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	env := testenv.New(t)
	publisherTopic, topic, named := env.Name(t, "invoices"), env.Name(t, "orders"), env.Name(t, "commands")
	// The prefix given as a flag overrides the file's.
	auto := "qa-" + autoQueueName(t, topic)
	cleanupQueues(t, env, auto, "qa-"+named, "qa-"+named+"-dlq")
	cleanupTopics(t, env, "qa-"+publisherTopic, "qa-"+topic)

	spec := `{
	  "topic_prefix": "qa-", "queue_prefix": "dev-",
	  "topics": [{"name": "` + publisherTopic + `"}],
	  "queues": [
	    {"topic": "` + topic + `", "visibility_timeout": "45s", "filter_policy": {"n": [{"numeric": [">", 5]}]}},
	    {"queue": "` + named + `", "visibility_timeout": 20, "dead_letter": {"queue": "` + named + `-dlq", "max_receive_count": 4}}
	  ]
	}`
	path := filepath.Join(t.TempDir(), "spec.json")
	is.NoErr(os.WriteFile(path, []byte(spec), 0o600))

	r := cli(t, env, "", "provision", "-file", path, "-queue-prefix", "qa-").ok(t)
	// The topic; the queue, its topic, attributes and subscription; the
	// queue, its DLQ and attributes.
	is.True(strings.HasSuffix(r.stdout, "8 changes made\n"))
	is.True(strings.Contains(r.stdout, "  dead-letter queue qa-"+named+"-dlq http"))
	is.True(topicARN(t, env, "qa-"+publisherTopic) != "")
	is.Equal(queueAttrs(t, env, queueURL(t, env, auto))["VisibilityTimeout"], "45")
	attrs := queueAttrs(t, env, queueURL(t, env, "qa-"+named))
	is.Equal(attrs["VisibilityTimeout"], "20")
	is.True(strings.Contains(attrs["RedrivePolicy"], ":qa-"+named+"-dlq"))
	is.True(strings.Contains(subscriptionAttrs(t, env, topicARN(t, env, "qa-"+topic))["FilterPolicy"], "numeric"))

	// null removes: the redrive policy goes, the visibility timeout is reset.
	remove := `{"queue_prefix": "qa-", "queues": [{"queue": "` + named + `", "visibility_timeout": null, "dead_letter": null}]}`
	is.NoErr(os.WriteFile(path, []byte(remove), 0o600))
	cli(t, env, "", "provision", "-file", path).ok(t)
	attrs = queueAttrs(t, env, queueURL(t, env, "qa-"+named))
	is.Equal(attrs["VisibilityTimeout"], "30")
	is.Equal(attrs["RedrivePolicy"], "")
}

// autoQueueName is the competing queue name for topic, from `sqsflow names`.
func autoQueueName(t *testing.T, topic string) string {
	t.Helper()
	var n derivedNames
	if err := json.Unmarshal([]byte(cliArgs(t, "", "names", "-json", topic).ok(t).stdout), &n); err != nil {
		t.Fatal(err)
	}
	return n.Queue
}

func TestProvisionUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownField := write("unknown.json", `{"queues": [{"queue": "q", "visibilty_timeout": 5}]}`)
	badSpec := write("bad.json", `{"queues": [{"queue": "q", "visibility_timeout": "13h"}]}`)
	empty := write("empty.json", `{}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nothing to provision", nil, "give -queue, -topic or -file"},
		{"dlq without max receives", []string{"-queue", "q", "-dlq", "d"}, "-dlq and -max-receives go together"},
		{"max receives out of range", []string{"-queue", "q", "-dlq", "d", "-max-receives", "1001"}, "-max-receives is 1001; allowed: 1 to 1000"},
		{"visibility too long", []string{"-queue", "q", "-visibility", "13h"}, "-visibility is 13h0m0s; allowed: 0s to 12h0m0s"},
		{"fifo mismatch", []string{"-queue", "q.fifo"}, `queue "q.fifo" has a ".fifo" name`},
		{"bad filter policy", []string{"-topic", "t", "-filter-policy", "[1]"}, "-filter-policy: not a JSON object"},
		{"bad filter scope", []string{"-topic", "t", "-filter-scope", "Body"}, `-filter-scope is "Body"; allowed`},
		{"filter policy without topic", []string{"-queue", "q", "-filter-policy", `{"a": ["b"]}`}, "-filter-policy is set"},
		{"unknown remove", []string{"-queue", "q", "-remove", "visibility,colour"}, `unknown attribute "colour"`},
		{"set and removed", []string{"-queue", "q", "-visibility", "5s", "-remove", "visibility"}, "-visibility is both given and removed"},
		{"empty kms key", []string{"-queue", "q", "-kms-key", ""}, "empty key; use -remove"},
		{"topic-only with queue flags", []string{"-topic-only", "-topic", "t", "-dlq", "d"}, "-dlq is about queues or subscriptions"},
		{"topic-only without topic", []string{"-topic-only"}, "-topic-only needs -topic"},
		{"file with spec flags", []string{"-file", empty, "-queue", "q"}, "-queue cannot be used with it"},
		{"missing file", []string{"-file", filepath.Join(dir, "nope.json")}, "no such file"},
		{"unknown field in file", []string{"-file", unknownField}, `unknown field "visibilty_timeout"`},
		{"invalid spec in file", []string{"-file", badSpec}, "queues[0]: provision: invalid Queue.VisibilityTimeout"},
		{"empty file", []string{"-file", empty}, "no topics and no queues"},
		{"bad endpoint", []string{"-endpoint", "localhost:4566", "-queue", "q"}, `-endpoint "localhost:4566": want an http:// or https:// URL`},
		{"stray argument", []string{"-queue", "q", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cliArgs(t, "", append([]string{"provision"}, tt.args...)...).failed(t, 2, tt.want)
		})
	}
}

func TestProvisionRuntimeErrors(t *testing.T) {
	t.Parallel()
	env := testenv.New(t)
	missing := env.Name(t, "missing")
	// A queue given by URL must exist; it is never created.
	r := cli(t, env, "", "provision", "-queue", env.Endpoint+"/000000000000/"+missing, "-visibility", "5s")
	r.failed(t, 1, "does not exist")
	if queueExists(env, missing) {
		t.Error("a queue given by URL was created")
	}
}
