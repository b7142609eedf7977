package exampleenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsflow/sqsflow/emulator"
	"github.com/sqsflow/sqsflow/provision"
)

// Env is where an example runs.
type Env struct {
	// AWS is the SDK configuration for sources, sinks and publishers.
	AWS aws.Config
	// Naming holds the prefixes of this run's topics and queues: none on the
	// embedded emulator, a random one elsewhere, so that runs sharing an
	// endpoint or an account never see each other's messages.
	Naming provision.Naming
	// Logger is for the library's own log lines: errors only, or everything
	// with -v. What the examples print for people goes to their io.Writer.
	Logger *slog.Logger
	// Where says in words where the example runs.
	Where string
}

// Options says where an example runs; Main fills it in from the flags.
type Options struct {
	// Endpoint is the URL of another SNS+SQS endpoint, such as `sqsflow
	// local` or fauxqs ("" for the embedded emulator).
	Endpoint string
	// AWS runs against real AWS with the default credential chain
	// (environment, shared files, instance role) and its region.
	AWS bool
	// Verbose logs what the library does (provisioning, retries).
	Verbose bool
	// Keep leaves the run's topics and queues in place on an external
	// endpoint or AWS; by default they are deleted at the end.
	Keep bool
	// Timeout bounds the run (0: no bound), so that an example that waits
	// for messages that never come fails instead of hanging.
	Timeout time.Duration
}

// DefaultTimeout is the -timeout flag's default.
const DefaultTimeout = 5 * time.Minute

// Open returns the environment o describes and a function that releases it:
// it stops the embedded emulator, or deletes the run's topics and queues
// from an external endpoint (unless o.Keep).
func Open(ctx context.Context, o Options) (Env, func(context.Context) error, error) {
	level := slog.LevelError
	if o.Verbose {
		level = slog.LevelInfo
	}
	env := Env{Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))}
	switch {
	case o.AWS && o.Endpoint != "":
		return env, nil, errors.New("give -aws or -endpoint, not both")
	case o.AWS:
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return env, nil, fmt.Errorf("load the AWS configuration: %w", err)
		}
		if cfg.Region == "" {
			return env, nil, errors.New("no AWS region: set AWS_REGION or a region in ~/.aws/config")
		}
		env.AWS, env.Where = cfg, "AWS ("+cfg.Region+")"
	case o.Endpoint != "":
		ep := strings.TrimRight(o.Endpoint, "/")
		if !strings.Contains(ep, "://") {
			ep = "http://" + ep
		}
		env.AWS = aws.Config{
			Region:       orDefault(os.Getenv("AWS_REGION"), "us-east-1"),
			Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
			BaseEndpoint: aws.String(ep),
			HTTPClient:   &http.Client{Transport: emulator.RoundTripper(http.DefaultTransport.(*http.Transport).Clone())},
		}
		env.Where = ep
	default:
		srv, err := emulator.Start(ctx, emulator.Options{})
		if err != nil {
			return env, nil, err
		}
		env.AWS, env.Where = srv.Config(), "the embedded emulator at "+srv.Endpoint()
		return env, func(context.Context) error {
			// Drop the client's idle connections first: one the client
			// dialled but never used would hold up the server's graceful
			// shutdown for 5 seconds (net/http waits that long for it).
			if c, ok := env.AWS.HTTPClient.(interface{ CloseIdleConnections() }); ok {
				c.CloseIdleConnections()
			}
			return srv.Close()
		}, nil
	}
	prefix := RunPrefix()
	env.Naming = provision.Naming{TopicPrefix: prefix, QueuePrefix: prefix}
	release := func(ctx context.Context) error {
		if o.Keep {
			return nil
		}
		return DeleteAll(ctx, env.AWS, prefix)
	}
	return env, release, nil
}

// RunPrefix returns a new prefix for the names of one run's topics and
// queues: "sqsflow-", six random hex digits and a hyphen. It is short
// because tomodachi's automatic queue names are 64 characters of hash, and
// SQS allows 80.
func RunPrefix() string {
	var b [3]byte
	rand.Read(b[:])
	return "sqsflow-" + hex.EncodeToString(b[:]) + "-"
}

// DeleteAll deletes every queue and topic whose name starts with prefix
// (deleting a topic deletes its subscriptions). It carries on past a failed
// deletion and returns the errors together.
func DeleteAll(ctx context.Context, cfg aws.Config, prefix string) error {
	if prefix == "" {
		return errors.New("exampleenv: DeleteAll with an empty prefix would delete everything")
	}
	var errs []error
	sqsClient, snsClient := sqs.NewFromConfig(cfg), sns.NewFromConfig(cfg)
	queues := sqs.NewListQueuesPaginator(sqsClient, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(prefix)})
	for queues.HasMorePages() {
		page, err := queues.NextPage(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("list queues: %w", err))
			break
		}
		for _, url := range page.QueueUrls {
			if _, err := sqsClient.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
				errs = append(errs, fmt.Errorf("delete queue %s: %w", url, err))
			}
		}
	}
	topics := sns.NewListTopicsPaginator(snsClient, &sns.ListTopicsInput{})
	for topics.HasMorePages() {
		page, err := topics.NextPage(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("list topics: %w", err))
			break
		}
		for _, t := range page.Topics {
			arn := aws.ToString(t.TopicArn)
			if name := arn[strings.LastIndex(arn, ":")+1:]; !strings.HasPrefix(name, prefix) {
				continue
			}
			if _, err := snsClient.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
				errs = append(errs, fmt.Errorf("delete topic %s: %w", arn, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Flags defines the flags -endpoint, -aws, -v, -keep and -timeout on fs and returns
// the Options they set once fs is parsed.
func Flags(fs *flag.FlagSet) *Options {
	var o Options
	fs.StringVar(&o.Endpoint, "endpoint", "", "run against this SNS+SQS endpoint (sqsflow local, fauxqs) instead of the embedded emulator")
	fs.BoolVar(&o.AWS, "aws", false, "run against real AWS, with the default credential chain and region")
	fs.BoolVar(&o.Verbose, "v", false, "log what the library does (provisioning, retries)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the run's topics and queues on an external endpoint or AWS")
	fs.DurationVar(&o.Timeout, "timeout", DefaultTimeout, "fail if the example takes longer than this (0: no limit)")
	return &o
}

// Args returns the command-line flags that set o, for running an example
// as a command.
func (o Options) Args() []string {
	var args []string
	if o.Endpoint != "" {
		args = append(args, "-endpoint", o.Endpoint)
	}
	for _, f := range []struct {
		set  bool
		flag string
	}{{o.AWS, "-aws"}, {o.Verbose, "-v"}, {o.Keep, "-keep"}} {
		if f.set {
			args = append(args, f.flag)
		}
	}
	if o.Timeout != DefaultTimeout {
		args = append(args, "-timeout", o.Timeout.String())
	}
	return args
}

// Main is the main function of every example. It defines the flags of
// [Flags] beside any the example defined on flag.CommandLine, parses them,
// opens the environment, and calls run with a context that SIGINT and
// SIGTERM cancel. It releases the environment afterwards and exits with
// status 1 if anything failed, 2 on a bad command line.
func Main(run func(ctx context.Context, env Env) error) {
	o := Flags(flag.CommandLine)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "unexpected arguments: %q\n", flag.Args())
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := openAndRun(ctx, *o, run)
	interrupted := ctx.Err() != nil
	stop() // which cancels ctx
	switch {
	case interrupted:
		fmt.Fprintln(os.Stderr, "interrupted")
		os.Exit(130)
	case err != nil:
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func openAndRun(ctx context.Context, o Options, run func(ctx context.Context, env Env) error) error {
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	env, release, err := Open(ctx, o)
	if err != nil {
		return err
	}
	err = run(ctx, env)
	// Release even after an interrupt, with a little time of its own.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if rerr := release(rctx); rerr != nil {
		err = errors.Join(err, fmt.Errorf("clean up: %w", rerr))
	}
	return err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
