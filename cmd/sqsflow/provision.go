package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sqsflow/sqsflow/internal/naming"
	"github.com/sqsflow/sqsflow/provision"
)

func init() {
	register(&command{
		Name:    "provision",
		Short:   "create or update topics, queues, dead-letter queues and subscriptions, from flags or a JSON file",
		Example: "sqsflow provision -dry-run -topic order-created -queue billing-order-created -dlq billing-dlq -max-receives 5 -visibility 1m",
		Setup:   setupProvision,
	})
}

// removable are the attributes -remove accepts; each is also the name of
// the flag that sets it.
var removable = []string{"visibility", "dlq", "kms-key", "kms-reuse", "topic-kms-key", "filter-policy", "filter-scope", "raw-delivery"}

// specFlags are the flags that describe one queue (or, with -topic-only,
// one topic).
type specFlags struct {
	fs                       *flag.FlagSet
	queue, topic             string
	fifo, topicOnly          bool
	topicPrefix, queuePrefix string
	handler, serviceUUID     string
	visibility, kmsReuse     time.Duration
	dlq                      string
	maxReceives              int
	kmsKey, topicKMSKey      string
	filterPolicy             string
	filterScope              string
	rawDelivery              bool
	leavePolicy              bool
	remove                   string
}

func setupProvision(fs *flag.FlagSet) runFunc {
	aws := addAWSFlags(fs)
	f := &specFlags{fs: fs}
	file := fs.String("file", "", "JSON `file` describing topics and queues: {\"topic_prefix\", \"queue_prefix\", \"topics\": [{\"name\", \"fifo\", \"kms_key\", \"attributes\"}], \"queues\": [{\"queue\", \"topic\", \"fifo\", \"non_competing\": {\"handler\", \"service_uuid\"}, \"visibility_timeout\", \"dead_letter\": {\"queue\", \"max_receive_count\"}, \"kms_key\", \"kms_data_key_reuse\", \"topic_kms_key\", \"filter_policy\", \"filter_policy_scope\", \"raw_message_delivery\", \"leave_queue_policy\"}]}. An attribute left out is left as it is, null removes it; durations are \"30s\" or seconds. No queue or topic flags with it, except the prefixes, which override the file's")
	dryRun := fs.Bool("dry-run", false, "print the AWS calls that would create or change something, and make none (reads are made)")
	fs.StringVar(&f.queue, "queue", "", "the queue: a `name` (prefixed, created if missing), or the URL or ARN of an existing queue; default: the name tomodachi derives from -topic")
	fs.StringVar(&f.topic, "topic", "", "`topic` to subscribe the queue to (created if missing; '*' and '#' make a pattern matching existing topics)")
	fs.BoolVar(&f.fifo, "fifo", false, "FIFO queue, dead-letter queue and topic")
	fs.BoolVar(&f.topicOnly, "topic-only", false, "create or update only the -topic, for publishers")
	fs.StringVar(&f.topicPrefix, "topic-prefix", "", "topic name `prefix` (tomodachi's aws_sns_sqs.topic_prefix)")
	fs.StringVar(&f.queuePrefix, "queue-prefix", "", "queue name `prefix` (tomodachi's aws_sns_sqs.queue_name_prefix)")
	fs.StringVar(&f.handler, "handler", "", "handler function `name`: with -service-uuid, gives an automatically named queue to one consumer (tomodachi's non-competing queues)")
	fs.StringVar(&f.serviceUUID, "service-uuid", "", "the service's stable `uuid`, with -handler")
	fs.DurationVar(&f.visibility, "visibility", 0, "queue visibility `timeout`, whole seconds up to 12h")
	fs.StringVar(&f.dlq, "dlq", "", "dead-letter `queue`: a name (prefixed, created if missing) or an ARN; needs -max-receives")
	fs.IntVar(&f.maxReceives, "max-receives", 0, "receives before a message moves to the -dlq, `1 to 1000`")
	fs.StringVar(&f.kmsKey, "kms-key", "", "queue KMS `key` id (SSE-KMS)")
	fs.DurationVar(&f.kmsReuse, "kms-reuse", 0, "KMS data key reuse `period`, whole seconds from 1m to 24h")
	fs.StringVar(&f.topicKMSKey, "topic-kms-key", "", "topic KMS `key` id")
	fs.StringVar(&f.filterPolicy, "filter-policy", "", "subscription filter policy, as `JSON`")
	fs.StringVar(&f.filterScope, "filter-scope", "", "filter policy `scope`: MessageAttributes or MessageBody")
	fs.BoolVar(&f.rawDelivery, "raw-delivery", false, "set the subscription's RawMessageDelivery to this value (tomodachi consumers need false)")
	fs.BoolVar(&f.leavePolicy, "leave-queue-policy", false, "leave the queue's access policy as it is (by default it is set to let the subscribed topics send)")
	fs.StringVar(&f.remove, "remove", "", "comma-separated `attributes` to remove or reset to AWS's default: "+strings.Join(removable, ", ")+". Attributes neither given nor removed are left as they are")
	return concisely(func(ctx context.Context, _ []string, stdout io.Writer) error {
		var plan provisionPlan
		var err error
		if *file != "" {
			plan, err = f.planFile(*file)
		} else {
			plan, err = f.plan()
		}
		if err != nil {
			return err
		}
		s, err := aws.open(ctx)
		if err != nil {
			return err
		}
		defer s.Close()
		return plan.apply(ctx, s.clients(), provision.Options{DryRun: *dryRun}, stdout)
	})
}

// provisionPlan is what one provision run does: topics first (for
// publishers), then queues with their subscriptions.
type provisionPlan struct {
	naming provision.Naming
	topics []provision.Topic
	specs  []provision.Spec
}

// set reports whether the flag name was given.
func (f *specFlags) set(name string) bool {
	given := false
	f.fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	return given
}

// removed parses -remove.
func (f *specFlags) removed() (map[string]bool, error) {
	out := map[string]bool{}
	if f.remove == "" {
		return out, nil
	}
	for _, name := range strings.Split(f.remove, ",") {
		name = strings.TrimSpace(name)
		if !slices.Contains(removable, name) {
			return nil, usagef("-remove %q: unknown attribute %q; want some of %s", f.remove, name, strings.Join(removable, ", "))
		}
		if f.set(name) {
			return nil, usagef("-%s is both given and removed", name)
		}
		out[name] = true
	}
	return out, nil
}

// plan builds the plan the flags describe.
func (f *specFlags) plan() (provisionPlan, error) {
	p := provisionPlan{naming: provision.Naming{TopicPrefix: f.topicPrefix, QueuePrefix: f.queuePrefix}}
	rm, err := f.removed()
	if err != nil {
		return p, err
	}
	if f.topicOnly {
		for _, name := range []string{"queue", "handler", "service-uuid", "visibility", "dlq", "max-receives", "kms-key", "kms-reuse", "filter-policy", "filter-scope", "raw-delivery", "leave-queue-policy"} {
			if f.set(name) || rm[name] {
				return p, usagef("-%s is about queues or subscriptions; -topic-only provisions a topic", name)
			}
		}
		if f.topic == "" {
			return p, usagef("-topic-only needs -topic")
		}
		t := provision.Topic{Name: f.topic, FIFO: f.fifo}
		if t.KMSKey, err = stringSetting(f.topicKMSKey, f.set("topic-kms-key"), rm["topic-kms-key"]); err != nil {
			return p, err
		}
		p.topics = append(p.topics, t)
		return p, nil
	}
	if f.queue == "" && f.topic == "" {
		return p, usagef("give -queue, -topic or -file")
	}
	spec := provision.Spec{
		Naming: p.naming,
		Queue: provision.Queue{
			Name: f.queue, FIFO: f.fifo,
			NonCompeting: provision.NonCompeting{Handler: f.handler, ServiceUUID: f.serviceUUID},
		},
		Subscription: provision.Subscription{Topic: f.topic, LeaveQueuePolicy: f.leavePolicy},
	}
	q, sub := &spec.Queue, &spec.Subscription
	q.VisibilityTimeout = setting(f.visibility, f.set("visibility"), rm["visibility"])
	q.KMSDataKeyReuse = setting(f.kmsReuse, f.set("kms-reuse"), rm["kms-reuse"])
	if q.KMSKey, err = stringSetting(f.kmsKey, f.set("kms-key"), rm["kms-key"]); err != nil {
		return p, err
	}
	if sub.TopicKMSKey, err = stringSetting(f.topicKMSKey, f.set("topic-kms-key"), rm["topic-kms-key"]); err != nil {
		return p, err
	}
	switch {
	case f.set("dlq") != f.set("max-receives"):
		return p, usagef("-dlq and -max-receives go together")
	case f.set("dlq"):
		q.DeadLetter = provision.Set(provision.DeadLetter{Queue: f.dlq, MaxReceiveCount: f.maxReceives})
	case rm["dlq"]:
		q.DeadLetter = provision.Remove[provision.DeadLetter]()
	}
	switch {
	case f.set("filter-policy"):
		fp, err := parseFilterPolicy([]byte(f.filterPolicy))
		if err != nil {
			return p, usagef("-filter-policy: %v", err)
		}
		sub.FilterPolicy = provision.Set(fp)
	case rm["filter-policy"]:
		sub.FilterPolicy = provision.Remove[provision.FilterPolicy]()
	}
	sub.FilterPolicyScope = setting(provision.FilterPolicyScope(f.filterScope), f.set("filter-scope"), rm["filter-scope"])
	sub.RawMessageDelivery = setting(f.rawDelivery, f.set("raw-delivery"), rm["raw-delivery"])
	if err := spec.Validate(); err != nil {
		return p, usagef("%v", specFlagError(err))
	}
	p.specs = append(p.specs, spec)
	return p, nil
}

// setting returns the three-state setting for a flag: set when given,
// removed when named in -remove, left otherwise.
func setting[T any](v T, given, removed bool) provision.Setting[T] {
	switch {
	case given:
		return provision.Set(v)
	case removed:
		return provision.Remove[T]()
	}
	return provision.Leave[T]()
}

func stringSetting(v string, given, removed bool) (provision.Setting[string], error) {
	if given && v == "" {
		return provision.Setting[string]{}, usagef("a KMS key flag is given an empty key; use -remove to disable encryption")
	}
	return setting(v, given, removed), nil
}

// specFlagError rewrites a spec's field names as the flags that set them.
func specFlagError(err error) error {
	var se *provision.SpecError
	if !errors.As(err, &se) {
		return err
	}
	flags := map[string]string{
		"Queue.Name": "-queue", "Queue.NonCompeting": "-handler/-service-uuid", "Queue.VisibilityTimeout": "-visibility",
		"Queue.DeadLetter.MaxReceiveCount": "-max-receives", "Queue.DeadLetter.Queue": "-dlq", "Queue.KMSKey": "-kms-key",
		"Queue.KMSDataKeyReuse": "-kms-reuse", "Subscription.Topic": "-topic", "Subscription.TopicKMSKey": "-topic-kms-key",
		"Subscription.FilterPolicy": "-filter-policy", "Subscription.FilterPolicyScope": "-filter-scope",
		"Subscription.RawMessageDelivery": "-raw-delivery", "Naming.QueuePrefix": "-queue-prefix",
	}
	name, ok := flags[se.Field]
	if !ok {
		return err
	}
	msg := name
	if se.Detail != "" {
		msg += " " + se.Detail
	}
	if se.Err != nil {
		msg += ": " + se.Err.Error()
	}
	return &cliError{msg: msg, err: err}
}

// parseFilterPolicy parses a filter policy, which must be a JSON object.
func parseFilterPolicy(b []byte) (provision.FilterPolicy, error) {
	var fp provision.FilterPolicy
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&fp); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if fp == nil {
		return nil, errors.New("is null; use -remove filter-policy to remove the policy")
	}
	return fp, nil
}

// apply provisions the plan, printing each mutating call (in a dry run,
// each call it would make) and then what it found or made.
func (p provisionPlan) apply(ctx context.Context, c provision.Clients, opts provision.Options, w io.Writer) error {
	calls := 0
	printCalls := func(cs []provision.Call) {
		for _, call := range cs {
			verb := "called"
			if call.DryRun {
				verb = "would call"
			}
			// JSON parameters (policies) are shown with '<', '>' and '&' as
			// they are, not as the \u003c escapes encoding/json writes.
			fmt.Fprintf(w, "%s %s\n", verb, unescapeHTML.Replace(call.String()))
		}
		calls += len(cs)
	}
	for _, t := range p.topics {
		res, err := provision.EnsureTopic(ctx, c, p.naming, t, opts)
		printCalls(res.Calls)
		if err != nil {
			return fmt.Errorf("topic %q: %w", t.Name, err)
		}
		fmt.Fprintf(w, "topic %s %s\n", res.Name, orPending(res.ARN))
	}
	for _, spec := range p.specs {
		res, err := provision.Ensure(ctx, c, spec, opts)
		printCalls(res.Calls)
		if err != nil {
			return fmt.Errorf("queue %q: %w", describeSpec(spec), err)
		}
		fmt.Fprintf(w, "queue %s %s\n", res.QueueName, orPending(res.QueueURL))
		if dl, ok := spec.Queue.DeadLetter.Value(); ok {
			name := dl.Queue
			if ref, err := naming.ParseQueueRef(name); err == nil && ref.Kind == naming.RefName {
				name = p.naming.QueuePrefix + name
			}
			fmt.Fprintf(w, "  dead-letter queue %s %s\n", name, orPending(res.DeadLetterURL))
		}
		for i, arn := range res.TopicARNs {
			sub := ""
			if i < len(res.SubscriptionARNs) {
				sub = res.SubscriptionARNs[i]
			}
			fmt.Fprintf(w, "  subscribed to %s %s\n", arn, orPending(sub))
		}
		if spec.Subscription.Topic != "" && len(res.TopicARNs) == 0 && !opts.DryRun {
			fmt.Fprintf(w, "  no topic matches %q yet\n", spec.Subscription.Topic)
		}
	}
	switch {
	case opts.DryRun:
		fmt.Fprintf(w, "dry run: %d %s would be made, none was\n", calls, plural(calls, "change"))
	case calls == 0:
		fmt.Fprintln(w, "up to date: nothing changed")
	default:
		fmt.Fprintf(w, "%d %s made\n", calls, plural(calls, "change"))
	}
	return nil
}

var unescapeHTML = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

func orPending(s string) string {
	if s == "" {
		return "(to be created)"
	}
	return s
}

// describeSpec names a spec's queue for errors.
func describeSpec(s provision.Spec) string {
	if name, err := s.QueueName(); err == nil {
		return name
	}
	if s.Queue.Name != "" {
		return s.Queue.Name
	}
	return "for topic " + s.Subscription.Topic
}

// The JSON file -file reads:
//
//	{
//	  "topic_prefix": "dev-", "queue_prefix": "dev-",
//	  "topics": [{"name": "invoice-created", "fifo": false, "kms_key": "alias/x", "attributes": {"DisplayName": "x"}}],
//	  "queues": [{
//	    "queue": "billing-order-created", "topic": "order-created", "fifo": false,
//	    "non_competing": {"handler": "on_order", "service_uuid": "..."},
//	    "visibility_timeout": "30s", "dead_letter": {"queue": "billing-dlq", "max_receive_count": 5},
//	    "kms_key": "alias/x", "kms_data_key_reuse": "5m", "topic_kms_key": null,
//	    "filter_policy": {"currency": ["EUR"]}, "filter_policy_scope": "MessageAttributes",
//	    "raw_message_delivery": false, "leave_queue_policy": false
//	  }]
//	}
//
// An attribute left out is left as it is; null removes it (or restores
// AWS's default); a value sets it. Durations are Go durations ("30s") or
// whole seconds (30).
type provisionFile struct {
	TopicPrefix string      `json:"topic_prefix"`
	QueuePrefix string      `json:"queue_prefix"`
	Topics      []fileTopic `json:"topics"`
	Queues      []fileQueue `json:"queues"`
}

type fileTopic struct {
	Name       string            `json:"name"`
	FIFO       bool              `json:"fifo"`
	KMSKey     tri[string]       `json:"kms_key"`
	Attributes map[string]string `json:"attributes"`
}

type fileQueue struct {
	Queue        string `json:"queue"`
	Topic        string `json:"topic"`
	FIFO         bool   `json:"fifo"`
	NonCompeting struct {
		Handler     string `json:"handler"`
		ServiceUUID string `json:"service_uuid"`
	} `json:"non_competing"`
	VisibilityTimeout  tri[seconds]                     `json:"visibility_timeout"`
	DeadLetter         tri[fileDeadLetter]              `json:"dead_letter"`
	KMSKey             tri[string]                      `json:"kms_key"`
	KMSDataKeyReuse    tri[seconds]                     `json:"kms_data_key_reuse"`
	TopicKMSKey        tri[string]                      `json:"topic_kms_key"`
	FilterPolicy       tri[provision.FilterPolicy]      `json:"filter_policy"`
	FilterPolicyScope  tri[provision.FilterPolicyScope] `json:"filter_policy_scope"`
	RawMessageDelivery tri[bool]                        `json:"raw_message_delivery"`
	LeaveQueuePolicy   bool                             `json:"leave_queue_policy"`
}

type fileDeadLetter struct {
	Queue           string `json:"queue"`
	MaxReceiveCount int    `json:"max_receive_count"`
}

// tri is a three-state attribute in the file: absent leaves it, null
// removes it, a value sets it.
type tri[T any] struct{ s provision.Setting[T] }

func (t *tri[T]) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		t.s = provision.Remove[T]()
		return nil
	}
	var v T
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return err
	}
	t.s = provision.Set(v)
	return nil
}

// seconds is a duration written as a Go duration string or whole seconds.
type seconds time.Duration

func (s *seconds) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		d, err := time.ParseDuration(str)
		if err != nil {
			return err
		}
		*s = seconds(d)
		return nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a string such as \"30s\" or whole seconds", b)
	}
	*s = seconds(time.Duration(n) * time.Second)
	return nil
}

func durationSetting(t tri[seconds]) provision.Setting[time.Duration] {
	v, ok := t.s.Value()
	switch {
	case ok:
		return provision.Set(time.Duration(v))
	case t.s.IsRemove():
		return provision.Remove[time.Duration]()
	}
	return provision.Leave[time.Duration]()
}

// planFile builds the plan a -file describes.
func (f *specFlags) planFile(path string) (provisionPlan, error) {
	var p provisionPlan
	given := []string{}
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "file", "dry-run", "endpoint", "region", "profile", "topic-prefix", "queue-prefix":
		default:
			given = append(given, "-"+fl.Name)
		}
	})
	if len(given) > 0 {
		sort.Strings(given)
		return p, usagef("-file describes everything; %s cannot be used with it", strings.Join(given, ", "))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return p, usagef("-file: %v", err)
	}
	var file provisionFile
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&file); err != nil {
		return p, usagef("-file %s: %v", path, err)
	}
	if len(file.Topics) == 0 && len(file.Queues) == 0 {
		return p, usagef("-file %s: no topics and no queues", path)
	}
	p.naming = provision.Naming{TopicPrefix: file.TopicPrefix, QueuePrefix: file.QueuePrefix}
	if f.set("topic-prefix") {
		p.naming.TopicPrefix = f.topicPrefix
	}
	if f.set("queue-prefix") {
		p.naming.QueuePrefix = f.queuePrefix
	}
	for i, t := range file.Topics {
		if t.Name == "" {
			return p, usagef("-file %s: topics[%d]: no name", path, i)
		}
		p.topics = append(p.topics, provision.Topic{Name: t.Name, FIFO: t.FIFO, KMSKey: t.KMSKey.s, Attributes: t.Attributes})
	}
	for i, q := range file.Queues {
		spec := provision.Spec{
			Naming: p.naming,
			Queue: provision.Queue{
				Name: q.Queue, FIFO: q.FIFO,
				NonCompeting:      provision.NonCompeting{Handler: q.NonCompeting.Handler, ServiceUUID: q.NonCompeting.ServiceUUID},
				VisibilityTimeout: durationSetting(q.VisibilityTimeout),
				KMSKey:            q.KMSKey.s,
				KMSDataKeyReuse:   durationSetting(q.KMSDataKeyReuse),
			},
			Subscription: provision.Subscription{
				Topic: q.Topic, TopicKMSKey: q.TopicKMSKey.s, FilterPolicy: q.FilterPolicy.s,
				FilterPolicyScope: q.FilterPolicyScope.s, RawMessageDelivery: q.RawMessageDelivery.s,
				LeaveQueuePolicy: q.LeaveQueuePolicy,
			},
		}
		if dl, ok := q.DeadLetter.s.Value(); ok {
			spec.Queue.DeadLetter = provision.Set(provision.DeadLetter{Queue: dl.Queue, MaxReceiveCount: dl.MaxReceiveCount})
		} else if q.DeadLetter.s.IsRemove() {
			spec.Queue.DeadLetter = provision.Remove[provision.DeadLetter]()
		}
		if err := spec.Validate(); err != nil {
			return p, usagef("-file %s: queues[%d]: %v", path, i, err)
		}
		p.specs = append(p.specs, spec)
	}
	return p, nil
}
