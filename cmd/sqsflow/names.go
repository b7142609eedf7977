package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/sqsflow/sqsflow/internal/naming"
)

func init() {
	register(&command{
		Name:    "names",
		Short:   "print the SNS topic and SQS queue names sqsflow and tomodachi derive from a topic",
		Example: "sqsflow names -topic-prefix dev- -queue-prefix dev- order-created",
		Args:    "TOPIC",
		Setup:   setupNames,
	})
}

// derivedNames is what `sqsflow names` prints, and its JSON form.
type derivedNames struct {
	Topic string `json:"topic"`
	// SNSTopic is the name sqsflow and tomodachi create and publish to (or,
	// for a pattern, match against existing topics).
	SNSTopic string `json:"sns_topic"`
	Pattern  bool   `json:"pattern,omitempty"`
	// Queue is the automatic name of the queue a subscriber consumes from.
	Queue     string `json:"queue"`
	Competing bool   `json:"competing"`
}

func setupNames(fs *flag.FlagSet) runFunc {
	topicPrefix := fs.String("topic-prefix", "", "topic name `prefix` (tomodachi's aws_sns_sqs.topic_prefix)")
	queuePrefix := fs.String("queue-prefix", "", "queue name `prefix` (tomodachi's aws_sns_sqs.queue_name_prefix)")
	fifo := fs.Bool("fifo", false, "FIFO topic and queue (\".fifo\" is appended)")
	competing := fs.Bool("competing", true, "name the queue every consumer of the topic shares (sqsflow's default); -competing=false names a queue per handler and service, as tomodachi does by default, and needs -handler and -service-uuid")
	handler := fs.String("handler", "", "`name` of the handler function, for -competing=false")
	serviceUUID := fs.String("service-uuid", "", "the service's stable `uuid`, for -competing=false")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	return func(_ context.Context, args []string, stdout io.Writer) error {
		if len(args) != 1 {
			return usagef("want one TOPIC, got %d arguments", len(args))
		}
		topic := args[0]
		n := derivedNames{Topic: topic, Pattern: naming.IsWildcard(topic), Competing: *competing}
		check := naming.ValidateTopic
		if n.Pattern {
			check = naming.ValidateTopicPattern
		}
		if err := check(topic); err != nil {
			return usagef("%v", err)
		}
		switch {
		case *competing && (*handler != "" || *serviceUUID != ""):
			return usagef("-handler and -service-uuid name a non-competing queue: add -competing=false")
		case !*competing && (*handler == "" || *serviceUUID == ""):
			return usagef("-competing=false needs -handler and -service-uuid (tomodachi hashes both into the queue name)")
		}
		n.SNSTopic = naming.TopicName(*topicPrefix, topic, *fifo)
		n.Queue = naming.QueueName(*queuePrefix, topic, *competing, *handler, *serviceUUID, *fifo)
		if l := len([]rune(n.SNSTopic)); l > naming.MaxTopicLength {
			return usagef("SNS topic name %q (prefix and encoding included) is %d characters long; at most %d are allowed", n.SNSTopic, l, naming.MaxTopicLength)
		}
		if err := naming.ValidateQueueName(n.Queue); err != nil {
			return usagef("-queue-prefix %q: %v", *queuePrefix, err)
		}
		if *asJSON {
			return json.NewEncoder(stdout).Encode(n)
		}
		kind := "SNS topic"
		if n.Pattern {
			kind = "SNS pattern"
		}
		which := "competing: every consumer of the topic shares it"
		if !*competing {
			which = fmt.Sprintf("non-competing: handler %q of service %s", *handler, *serviceUUID)
		}
		_, err := fmt.Fprintf(stdout, "topic      %s\n%-10s %s\nqueue      %s  (%s)\n", n.Topic, kind, n.SNSTopic, n.Queue, which)
		return err
	}
}
