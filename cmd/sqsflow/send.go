package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/sink"
)

func init() {
	register(&command{
		Name:    "send",
		Short:   "send a message, or each line of stdin, straight to an SQS queue (as tomodachi's sqs_send_message)",
		Example: `sqsflow send -endpoint http://127.0.0.1:4566 -group customer-7 billing-commands.fifo '{"charge": 12}'`,
		Args:    "QUEUE [MESSAGE]",
		Setup:   setupSend,
	})
}

func setupSend(fs *flag.FlagSet) runFunc {
	aws := addAWSFlags(fs)
	msg := addMessageFlags(fs)
	queuePrefix := fs.String("queue-prefix", "", "queue name `prefix` (tomodachi's aws_sns_sqs.queue_name_prefix); not applied to URLs and ARNs")
	delay := fs.Duration("delay", 0, "delivery `delay` of every message, 0 to 15m (not for FIFO queues)")
	bare := fs.Bool("bare", false, "send the envelope as the message body, without the {\"Type\": \"Message\", ...} wrapper tomodachi's sqs_send_message writes")
	return concisely(func(ctx context.Context, args []string, stdout io.Writer) error {
		if len(args) == 0 || len(args) > 2 {
			return usagef("want QUEUE and an optional MESSAGE, got %d arguments", len(args))
		}
		queue := args[0]
		opts, err := msg.options()
		if err != nil {
			return err
		}
		src, err := msg.source(args[1:])
		if err != nil {
			return err
		}
		if *delay < 0 || *delay > 15*time.Minute || *delay%time.Second != 0 {
			return usagef("-delay %v: want whole seconds from 0 to 15m", *delay)
		}
		if *delay > 0 {
			opts = append(opts, sink.WithDelay(*delay))
		}
		if *bare {
			opts = append(opts, sink.WithBareBody())
		}
		s, err := aws.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		// Look the queue up here, to say which flag a FIFO queue needs.
		url, err := provision.LookupQueue(ctx, s.sqs, provision.Naming{QueuePrefix: *queuePrefix}, queue)
		if err != nil {
			return fmt.Errorf("queue %q: %w", queue, err)
		}
		switch fifo := strings.HasSuffix(url, ".fifo"); {
		case fifo && msg.group == "":
			return fmt.Errorf("queue %s is a FIFO queue: give a message group id with -group", url)
		case !fifo && msg.group != "":
			return fmt.Errorf("queue %s is a standard queue: -group and -dedup are for FIFO queues", url)
		case fifo && *delay > 0:
			return fmt.Errorf("queue %s is a FIFO queue: -delay is not allowed (set the queue's DelaySeconds)", url)
		}
		pub := s.publisher(opts...)
		return src.each(ctx, stdout, func(data any) (string, error) {
			return pub.Send(ctx, url, data) // its errors name the queue
		})
	})
}
