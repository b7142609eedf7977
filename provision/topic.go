package provision

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sqsflow/sqsflow/internal/naming"
)

// Topic describes an SNS topic for a publisher (see EnsureTopic).
type Topic struct {
	// Name is the topic as the user writes it, without Naming.TopicPrefix.
	Name string
	// FIFO asks for a FIFO topic; ".fifo" is appended to the SNS name.
	FIFO bool
	// KMSKey is the topic's KmsMasterKeyId. Remove disables encryption.
	KMSKey Setting[string]
	// Attributes are further topic attributes (for example DeliveryPolicy),
	// set at creation and, on an existing topic, when they differ. FifoTopic
	// and KmsMasterKeyId are not allowed here: use FIFO and KMSKey.
	Attributes map[string]string
	// LookupOnly never creates or changes the topic: its ARN is built from the
	// caller's account (STS GetCallerIdentity) and region and checked with
	// GetTopicAttributes, as tomodachi does for publishers that may not call
	// sns:CreateTopic. A missing topic is a *TopicNotFoundError.
	LookupOnly bool
}

// TopicResult is what EnsureTopic did.
type TopicResult struct {
	Name  string // the SNS topic name (prefixed, encoded, ".fifo" for FIFO)
	ARN   string // empty in a dry run when the topic would be created
	Calls []Call // the mutating calls made (or planned, in a dry run)
}

// EnsureTopic creates the topic t or finds it, and brings its attributes in
// line with t. It looks the topic up first (by an ARN built from the caller's
// account and region, when Clients.STS and the region are available) so that
// a run against an existing, matching topic makes no mutating call; without
// them it calls CreateTopic, which AWS treats as idempotent. Callers that
// publish often should cache the returned ARN.
func EnsureTopic(ctx context.Context, c Clients, n Naming, t Topic, opts Options) (TopicResult, error) {
	if err := t.validate(); err != nil {
		return TopicResult{}, err
	}
	if c.SNS == nil {
		return TopicResult{}, errors.New("provision: Clients.SNS is nil")
	}
	r := &run{c: c, opts: opts}
	name := n.TopicName(t.Name, t.FIFO)
	res := TopicResult{Name: name}
	guess, err := r.guessTopicARN(ctx, name)
	if err != nil && t.LookupOnly {
		return res, err
	}
	if t.LookupOnly {
		arn, _, found, err := r.getTopic(ctx, guess)
		switch {
		case err != nil:
			return res, fmt.Errorf("provision: look up topic %q: %w", name, err)
		case !found:
			return res, &TopicNotFoundError{Topic: name, ARN: guess}
		}
		res.ARN = arn
		return res, nil
	}
	tp, err := r.ensureTopic(ctx, name, guess, t.FIFO, t.KMSKey, t.Attributes)
	res.ARN, res.Calls = tp.arn, r.calls
	return res, err
}

func (t Topic) validate() error {
	if err := naming.ValidateTopic(t.Name); err != nil {
		return &SpecError{Field: "Topic.Name", Err: err}
	}
	if strings.HasSuffix(t.Name, naming.FIFOSuffix) && !t.FIFO {
		return &FIFOMismatchError{Resource: "topic", Name: t.Name, IsFIFO: true, ByName: true}
	}
	if k, ok := t.KMSKey.Value(); ok && k == "" {
		return &SpecError{Field: "Topic.KMSKey", Detail: "is set to the empty string; use provision.Remove[string]() to disable encryption"}
	}
	for k := range t.Attributes {
		switch k {
		case "FifoTopic", "KmsMasterKeyId", "ContentBasedDeduplication":
			if k != "ContentBasedDeduplication" || !t.FIFO {
				return &SpecError{Field: "Topic.Attributes", Detail: fmt.Sprintf("must not contain %s; use the Topic field for it", k)}
			}
		}
	}
	if t.LookupOnly && (!t.KMSKey.IsLeave() || len(t.Attributes) > 0) {
		return &SpecError{Field: "Topic.LookupOnly", Detail: "is set, so KMSKey must be left and Attributes empty: a looked-up topic is never changed"}
	}
	return nil
}

// topic is a topic as a run knows it.
type topic struct {
	name    string
	arn     string
	planned bool // a dry run would create it; arn is empty
}

func (t topic) arnOrPlaceholder() string {
	if t.arn != "" {
		return t.arn
	}
	return "<ARN of topic " + t.name + ">"
}

// guessTopicARN builds the ARN the topic name has in the caller's account and
// region, using STS and the client's region.
func (r *run) guessTopicARN(ctx context.Context, name string) (string, error) {
	region := r.c.Region
	if region == "" {
		if o, ok := r.c.SNS.(interface{ Options() sns.Options }); ok {
			region = o.Options().Region
		}
	}
	if region == "" {
		return "", errors.New("provision: the SNS region is unknown; set Clients.Region")
	}
	if r.c.STS == nil {
		return "", errors.New("provision: Clients.STS is nil; it is needed to build topic ARNs")
	}
	out, err := r.c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("provision: get caller identity: %w", err)
	}
	partition := "aws"
	if parts := strings.SplitN(aws.ToString(out.Arn), ":", 3); len(parts) == 3 && parts[1] != "" {
		partition = parts[1]
	}
	return fmt.Sprintf("arn:%s:sns:%s:%s:%s", partition, region, aws.ToString(out.Account), name), nil
}

// topicARNLike builds a topic ARN in the partition, region and account of
// another ARN (a queue's), or "" when arn is not an ARN.
func topicARNLike(arn, name string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return fmt.Sprintf("arn:%s:sns:%s:%s:%s", parts[1], parts[3], parts[4], name)
}

func isTopicNotFound(err error) bool {
	var nf *snstypes.NotFoundException
	if errors.As(err, &nf) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NotFound", "NotFoundException":
			return true
		case "InvalidParameter":
			msg := api.ErrorMessage()
			return strings.Contains(msg, "does not exist") || strings.Contains(msg, "could not be found")
		}
	}
	return false
}

// getTopic reads a topic's attributes by ARN; found is false when it does
// not exist.
func (r *run) getTopic(ctx context.Context, arn string) (gotARN string, attrs map[string]string, found bool, err error) {
	out, err := r.c.SNS.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if isTopicNotFound(err) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	attrs = out.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return orDefault(attrs["TopicArn"], arn), attrs, true, nil
}

// ensureTopic finds (by the guessed ARN, when there is one) or creates the
// topic, then sets the attributes that differ from the spec.
func (r *run) ensureTopic(ctx context.Context, name, guess string, fifo bool, kms Setting[string], extra map[string]string) (topic, error) {
	t := topic{name: name}
	var attrs map[string]string
	found := false
	if guess != "" {
		arn, a, ok, err := r.getTopic(ctx, guess)
		// An error other than "not found" (say, no permission to read the
		// topic) falls back to CreateTopic, as tomodachi does.
		if err == nil && ok {
			t.arn, attrs, found = arn, a, true
		}
	}
	if !found {
		create := map[string]string{}
		for k, v := range extra {
			create[k] = v
		}
		if fifo {
			create["FifoTopic"] = "true"
			if _, ok := create["ContentBasedDeduplication"]; !ok {
				create["ContentBasedDeduplication"] = "false"
			}
		}
		if k, ok := kms.Value(); ok {
			create["KmsMasterKeyId"] = k
		}
		err := r.mutate(Call{Action: "CreateTopic", Target: name, Params: params(create)}, func() error {
			arn, err := r.createTopic(ctx, name, create)
			t.arn = arn
			return err
		})
		if errors.Is(err, errDifferentAttributes) {
			// The topic exists with other attributes: get its ARN with a
			// plain CreateTopic and reconcile the attributes below.
			err = r.mutate(Call{Action: "CreateTopic", Target: name}, func() error {
				arn, err := r.createTopic(ctx, name, nil)
				t.arn = arn
				return err
			})
			if err == nil {
				_, attrs, _, err = r.getTopic(ctx, t.arn)
			}
		} else if err == nil {
			if r.opts.DryRun {
				t.planned = true
				return t, nil
			}
			if !kms.IsRemove() {
				return t, nil // created (or found equal) with every attribute the spec sets
			}
			// CreateTopic succeeds on an existing topic whose attributes
			// include the requested ones, so a key to remove may remain.
			_, attrs, _, err = r.getTopic(ctx, t.arn)
		}
		if err != nil {
			return t, fmt.Errorf("provision: create topic %q: %w", name, err)
		}
	}
	if isFIFO := attrs["FifoTopic"] == "true"; isFIFO != fifo {
		return t, &FIFOMismatchError{Resource: "topic", Name: name, IsFIFO: isFIFO, WantFIFO: fifo}
	}
	changes := map[string]string{}
	for k, v := range extra {
		if attrs[k] != v {
			changes[k] = v
		}
	}
	if k, ok := kms.Value(); ok && attrs["KmsMasterKeyId"] != k {
		changes["KmsMasterKeyId"] = k
	} else if kms.IsRemove() && attrs["KmsMasterKeyId"] != "" {
		changes["KmsMasterKeyId"] = ""
	}
	for _, p := range params(changes) { // one attribute per call, as the API takes them
		err := r.mutate(Call{Action: "SetTopicAttributes", Target: t.arn, Params: []Param{p}}, func() error {
			_, err := r.c.SNS.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
				TopicArn: aws.String(t.arn), AttributeName: aws.String(p.Name), AttributeValue: aws.String(p.Value),
			})
			return err
		})
		if err != nil {
			return t, fmt.Errorf("provision: set attribute %s of topic %q: %w", p.Name, name, err)
		}
	}
	return t, nil
}

var errDifferentAttributes = errors.New("topic already exists with different attributes")

func (r *run) createTopic(ctx context.Context, name string, attrs map[string]string) (string, error) {
	in := &sns.CreateTopicInput{Name: aws.String(name)}
	if len(attrs) > 0 {
		in.Attributes = attrs
	}
	out, err := r.c.SNS.CreateTopic(ctx, in)
	if err != nil {
		var api smithy.APIError
		if errors.As(err, &api) && strings.Contains(api.ErrorMessage(), "already exists with different attributes") {
			return "", fmt.Errorf("%w: %w", errDifferentAttributes, err)
		}
		return "", err
	}
	if aws.ToString(out.TopicArn) == "" {
		return "", errors.New("CreateTopic returned no TopicArn")
	}
	return aws.ToString(out.TopicArn), nil
}

// topicMatcher matches existing SNS topic names against a wildcard pattern
// written as a user writes topics: '*' is one dot-separated segment, '#' any
// run of characters, everything else (the prefix included) is literal. Names
// are decoded before matching, and a FIFO pattern matches only FIFO topics,
// a standard pattern only standard ones (tomodachi's regular expression lets
// standard patterns match ".fifo" topics too).
type topicMatcher struct {
	re   *regexp.Regexp
	fifo bool
}

func newTopicMatcher(prefix, pattern string, fifo bool) topicMatcher {
	pattern = strings.TrimSuffix(pattern, naming.FIFOSuffix)
	var b strings.Builder
	b.WriteString("^")
	b.WriteString(regexp.QuoteMeta(prefix))
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`[^.]*`)
		case '#':
			b.WriteString(`.*`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return topicMatcher{re: regexp.MustCompile(b.String()), fifo: fifo}
}

// match reports whether the SNS topic name (the last segment of its ARN)
// matches.
func (m topicMatcher) match(name string) bool {
	if strings.HasSuffix(name, naming.FIFOSuffix) != m.fifo {
		return false
	}
	return m.re.MatchString(naming.DecodeTopic(strings.TrimSuffix(name, naming.FIFOSuffix)))
}

// matchTopics lists every topic, on every page, and returns the ARNs of those
// the pattern matches.
func (r *run) matchTopics(ctx context.Context, prefix, pattern string, fifo bool) ([]string, error) {
	m := newTopicMatcher(prefix, pattern, fifo)
	var arns []string
	p := sns.NewListTopicsPaginator(r.c.SNS, &sns.ListTopicsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return arns, fmt.Errorf("provision: list topics matching %q: %w", pattern, err)
		}
		for _, t := range page.Topics {
			arn := aws.ToString(t.TopicArn)
			if m.match(arn[strings.LastIndexByte(arn, ':')+1:]) {
				arns = append(arns, arn)
			}
		}
	}
	return arns, nil
}
