package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/sqsflow/sqsflow/envelope"
	"github.com/sqsflow/sqsflow/provision"
	"github.com/sqsflow/sqsflow/sink"
)

func init() {
	register(&command{
		Name:    "publish",
		Short:   "publish a message, or each line of stdin, to an SNS topic (created if missing)",
		Example: `sqsflow publish -endpoint http://127.0.0.1:4566 -attr currency=EUR -attr amount:Number=5 order-created '{"id": 1}'`,
		Args:    "TOPIC [MESSAGE]",
		Setup:   setupPublish,
	})
}

func setupPublish(fs *flag.FlagSet) runFunc {
	aws := addAWSFlags(fs)
	msg := addMessageFlags(fs)
	topicPrefix := fs.String("topic-prefix", "", "topic name `prefix` (tomodachi's aws_sns_sqs.topic_prefix)")
	fifo := fs.Bool("fifo", false, "publish to the FIFO topic (\".fifo\" is appended); -group implies it")
	subject := fs.String("subject", "", "SNS `subject` of the messages")
	lookupOnly := fs.Bool("lookup-only", false, "only look the topic up, never create it (for identities without sns:CreateTopic)")
	return concisely(func(ctx context.Context, args []string, stdout io.Writer) error {
		if len(args) == 0 || len(args) > 2 {
			return usagef("want TOPIC and an optional MESSAGE, got %d arguments", len(args))
		}
		topic := args[0]
		opts, err := msg.options()
		if err != nil {
			return err
		}
		src, err := msg.source(args[1:])
		if err != nil {
			return err
		}
		opts = append(opts, sink.WithNaming(provision.Naming{TopicPrefix: *topicPrefix}))
		if *fifo {
			opts = append(opts, sink.WithFIFO())
		}
		if *subject != "" {
			opts = append(opts, sink.WithSubject(*subject))
		}
		if *lookupOnly {
			opts = append(opts, sink.WithLookupOnly())
		}
		s, err := aws.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		pub := s.publisher(opts...)
		return src.each(ctx, stdout, func(data any) (string, error) {
			id, err := pub.Publish(ctx, topic, data)
			if err != nil {
				return "", fmt.Errorf("topic %q: %w", topic, err)
			}
			return id, nil
		})
	})
}

// publisher returns a sink.Publisher that uses the session's clients.
func (s *awsSession) publisher(opts ...sink.Option) *sink.Publisher {
	base := []sink.Option{sink.WithAWS(s.cfg), sink.WithSQSClient(s.sqs), sink.WithSNSClient(s.sns), sink.WithSTSClient(s.sts)}
	return sink.NewPublisher(append(base, opts...)...)
}

// messageFlags are the flags publish and send share: the envelope, the
// message attributes and the FIFO ids.
type messageFlags struct {
	envelope    string
	service     string
	serviceUUID string
	attrs       attrFlag
	group       string
	dedup       string
}

func addMessageFlags(fs *flag.FlagSet) *messageFlags {
	m := &messageFlags{attrs: attrFlag{}}
	fs.StringVar(&m.envelope, "envelope", "json", "message `envelope`: json (tomodachi-json-base; MESSAGE is JSON), protobuf (tomodachi-protobuf-base; MESSAGE is the base64 of a serialized protobuf message) or raw (MESSAGE is sent as it is)")
	fs.StringVar(&m.service, "service", "sqsflow", "service `name` written in the envelope")
	fs.StringVar(&m.serviceUUID, "service-uuid", "", "service `uuid` written in the envelope (default: a random one)")
	fs.Var(m.attrs, "attr", "message attribute `name[:Type]=value`, repeatable; Type is String (the default), Number, Binary (value in base64) or JSON (the value is JSON: true, null, [\"a\", 1])")
	fs.StringVar(&m.group, "group", "", "FIFO message group `id` (makes the target FIFO)")
	fs.StringVar(&m.dedup, "dedup", "", "FIFO deduplication `id` (default: a random uuid per message)")
	return m
}

// options returns the sink options the flags ask for.
func (m *messageFlags) options() ([]sink.Option, error) {
	svc := envelope.Service{Name: m.service, UUID: m.serviceUUID}
	var env envelope.Envelope
	switch m.envelope {
	case "json":
		env = envelope.JSON(svc)
	case "protobuf":
		env = envelope.Protobuf(svc)
	case "raw":
		env = envelope.Raw
	default:
		return nil, usagef("-envelope %q: want json, protobuf or raw", m.envelope)
	}
	if m.dedup != "" && m.group == "" {
		return nil, usagef("-dedup is for FIFO targets: add -group")
	}
	opts := []sink.Option{sink.WithEnvelope(env)}
	if len(m.attrs) > 0 {
		opts = append(opts, sink.WithAttributes(m.attrs))
	}
	if m.group != "" {
		opts = append(opts, sink.WithGroupID(m.group))
	}
	if m.dedup != "" {
		opts = append(opts, sink.WithDedupID(m.dedup))
	}
	return opts, nil
}

// data turns one message as given on the command line or stdin into the
// value the envelope seals.
func (m *messageFlags) data(s string) (any, error) {
	switch m.envelope {
	case "json":
		if !json.Valid([]byte(s)) {
			return nil, fmt.Errorf("not JSON (quote text as a JSON string, or send it as it is with -envelope raw)")
		}
		return json.RawMessage(s), nil
	case "protobuf":
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("not the base64 of a serialized protobuf message: %v", err)
		}
		return b, nil
	}
	return s, nil
}

// messages are the messages of one publish or send: MESSAGE from the
// command line, or the lines of stdin.
type messages struct {
	m      *messageFlags
	one    any
	hasOne bool
}

// source checks MESSAGE when args holds one (and it is not "-"); without
// it, the messages are the non-empty lines of stdin.
func (m *messageFlags) source(args []string) (messages, error) {
	src := messages{m: m}
	if len(args) == 1 && args[0] != "-" {
		data, err := m.data(args[0])
		if err != nil {
			return src, usagef("MESSAGE: %v", err)
		}
		src.one, src.hasOne = data, true
	}
	return src, nil
}

// each calls send for every message and prints the message ids it
// returns, one a line.
func (src messages) each(ctx context.Context, stdout io.Writer, send func(data any) (string, error)) error {
	if src.hasOne {
		id, err := send(src.one)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, id)
		return err
	}
	lines := bufio.NewScanner(stdinOf(ctx))
	lines.Buffer(make([]byte, 0, 64*1024), envelope.MaxBody+1)
	n, sent := 0, 0
	for lines.Scan() {
		n++
		line := strings.TrimSuffix(lines.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted after %d messages: %w", sent, err)
		}
		data, err := src.m.data(line)
		if err == nil {
			var id string
			if id, err = send(data); err == nil {
				sent++
				if _, err := fmt.Fprintln(stdout, id); err != nil {
					return err
				}
				continue
			}
		}
		return fmt.Errorf("stdin line %d: %w (%d messages sent before it)", n, err, sent)
	}
	if err := lines.Err(); err != nil {
		return fmt.Errorf("read stdin after line %d: %w (%d messages sent)", n, err, sent)
	}
	return nil
}

// stdinKey is the context key of the reader commands read stdin from.
type stdinKey struct{}

// withStdin returns a context whose commands read stdin from r; tests use it
// to run commands in-process.
func withStdin(ctx context.Context, r io.Reader) context.Context {
	return context.WithValue(ctx, stdinKey{}, r)
}

// stdinOf returns the reader set by withStdin, or os.Stdin.
func stdinOf(ctx context.Context) io.Reader {
	if r, ok := ctx.Value(stdinKey{}).(io.Reader); ok {
		return r
	}
	return os.Stdin
}

// attrFlag collects -attr flags: message attributes with Go values that
// envelope.EncodeAttributes encodes as tomodachi does.
type attrFlag map[string]any

func (a attrFlag) String() string {
	names := make([]string, 0, len(a))
	for n := range a {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%v", n, a[n])
	}
	return strings.Join(parts, ",")
}

// Set parses name[:Type]=value.
func (a attrFlag) Set(s string) error {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("%q: want name=value or name:Type=value", s)
	}
	name, typ, typed := strings.Cut(key, ":")
	if name == "" {
		return fmt.Errorf("%q: the attribute name is empty", s)
	}
	if _, dup := a[name]; dup {
		return fmt.Errorf("attribute %q given twice", name)
	}
	var v any
	switch {
	case !typed || typ == "String":
		v = value
	case typ == "Number":
		if i, err := strconv.ParseInt(value, 10, 64); err == nil {
			v = i
		} else if f, err := strconv.ParseFloat(value, 64); err == nil {
			v = f
		} else {
			return fmt.Errorf("attribute %q: %q is not a number", name, value)
		}
	case typ == "Binary":
		b, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return fmt.Errorf("attribute %q: Binary values are given in base64: %v", name, err)
		}
		v = b
	case typ == "JSON":
		if !json.Valid([]byte(value)) {
			return fmt.Errorf("attribute %q: %q is not JSON", name, value)
		}
		v = json.RawMessage(value)
	default:
		return fmt.Errorf("attribute %q: unknown type %q; want String, Number, Binary or JSON", name, typ)
	}
	if _, err := envelope.EncodeAttributes(map[string]any{name: v}); err != nil {
		return fmt.Errorf("attribute %q: %v", name, err)
	}
	a[name] = v
	return nil
}
