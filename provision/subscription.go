package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// subscriptionChanges returns the subscription attributes to set, in the
// order to set them, so that a subscription with the current attributes
// matches sub. policyJSON is the encoded filter policy when it is set.
func subscriptionChanges(sub Subscription, current map[string]string, policyJSON string) []Param {
	var policy, scope []Param
	switch {
	case sub.FilterPolicy.IsSet():
		if !sameJSON(current["FilterPolicy"], policyJSON) {
			policy = []Param{{"FilterPolicy", policyJSON}}
		}
	case sub.FilterPolicy.IsRemove():
		if cur := current["FilterPolicy"]; cur != "" && !sameJSON(cur, emptyFilterPolicyJSON) {
			policy = []Param{{"FilterPolicy", emptyFilterPolicyJSON}}
		}
	}
	curScope := FilterPolicyScope(orDefault(current["FilterPolicyScope"], string(MessageAttributes)))
	wantScope := curScope
	if sc, ok := sub.FilterPolicyScope.Value(); ok {
		wantScope = sc
	} else if sub.FilterPolicyScope.IsRemove() {
		wantScope = MessageAttributes
	}
	if wantScope != curScope {
		scope = []Param{{"FilterPolicyScope", string(wantScope)}}
	}
	// SNS checks a filter policy against the scope in force: switch to
	// MessageBody before setting a body policy, and set an attribute policy
	// before switching back.
	var out []Param
	if wantScope == MessageBody {
		out = append(append(out, scope...), policy...)
	} else {
		out = append(append(out, policy...), scope...)
	}
	curRaw := orDefault(current["RawMessageDelivery"], "false")
	if raw, ok := sub.RawMessageDelivery.Value(); ok && curRaw != strconv.FormatBool(raw) {
		out = append(out, Param{"RawMessageDelivery", strconv.FormatBool(raw)})
	} else if sub.RawMessageDelivery.IsRemove() && curRaw != "false" {
		out = append(out, Param{"RawMessageDelivery", "false"})
	}
	return out
}

// findSubscription returns the ARN of the queue's confirmed subscription to
// the topic, or "" when there is none.
func (r *run) findSubscription(ctx context.Context, topicARN, queueARN string) (string, error) {
	p := sns.NewListSubscriptionsByTopicPaginator(r.c.SNS, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, s := range page.Subscriptions {
			arn := aws.ToString(s.SubscriptionArn)
			if aws.ToString(s.Protocol) == "sqs" && aws.ToString(s.Endpoint) == queueARN && strings.HasPrefix(arn, "arn:") {
				return arn, nil
			}
		}
	}
	return "", nil
}

// ensureSubscription subscribes the queue to the topic unless it already is,
// then sets the subscription attributes that differ from sub. It returns the
// subscription ARN ("" when a dry run would create it).
func (r *run) ensureSubscription(ctx context.Context, t topic, q queue, sub Subscription, policyJSON string) (string, error) {
	fail := func(what string, err error) (string, error) {
		return "", fmt.Errorf("provision: %s (queue %q, topic %s): %w", what, q.name, t.arnOrPlaceholder(), err)
	}
	var arn string
	if !t.planned && !q.planned {
		found, err := r.findSubscription(ctx, t.arn, q.arn)
		if err != nil {
			return fail("list subscriptions", err)
		}
		arn = found
	}
	if arn == "" {
		attrs := subscriptionChanges(sub, map[string]string{}, policyJSON)
		call := Call{Action: "Subscribe", Target: t.arnOrPlaceholder(),
			Params: append([]Param{{"Protocol", "sqs"}, {"Endpoint", q.arnOrPlaceholder()}}, attrs...)}
		err := r.mutate(call, func() error {
			var err error
			arn, err = r.subscribe(ctx, t.arn, q.arn, attrs)
			return err
		})
		if err == nil || !isDifferentAttributes(err) {
			if err != nil {
				return fail("subscribe", err)
			}
			return arn, nil
		}
		// It exists after all (listing lags behind): take its ARN from a
		// plain Subscribe and set the attributes one by one.
		err = r.mutate(Call{Action: "Subscribe", Target: t.arn, Params: call.Params[:2]}, func() error {
			var err error
			arn, err = r.subscribe(ctx, t.arn, q.arn, nil)
			return err
		})
		if err != nil && isDifferentAttributes(err) {
			// Some endpoints refuse even the plain Subscribe: look again.
			found, lerr := r.findSubscription(ctx, t.arn, q.arn)
			if lerr == nil && found != "" {
				arn, err = found, nil
			}
		}
		if err != nil {
			return fail("subscribe", err)
		}
	}
	out, err := r.c.SNS.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn)})
	if err != nil {
		return fail("read subscription attributes", err)
	}
	for _, p := range subscriptionChanges(sub, out.Attributes, policyJSON) {
		err := r.mutate(Call{Action: "SetSubscriptionAttributes", Target: arn, Params: []Param{p}}, func() error {
			_, err := r.c.SNS.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
				SubscriptionArn: aws.String(arn), AttributeName: aws.String(p.Name), AttributeValue: aws.String(p.Value),
			})
			return err
		})
		if err != nil {
			return fail("set subscription attribute "+p.Name, err)
		}
	}
	return arn, nil
}

func (r *run) subscribe(ctx context.Context, topicARN, queueARN string, attrs []Param) (string, error) {
	in := &sns.SubscribeInput{
		TopicArn:              aws.String(topicARN),
		Protocol:              aws.String("sqs"),
		Endpoint:              aws.String(queueARN),
		ReturnSubscriptionArn: true,
	}
	if len(attrs) > 0 {
		in.Attributes = map[string]string{}
		for _, p := range attrs {
			in.Attributes[p.Name] = p.Value
		}
	}
	out, err := r.c.SNS.Subscribe(ctx, in)
	if err != nil {
		return "", err
	}
	if aws.ToString(out.SubscriptionArn) == "" {
		return "", errors.New("Subscribe returned no SubscriptionArn")
	}
	return aws.ToString(out.SubscriptionArn), nil
}

func isDifferentAttributes(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && strings.Contains(api.ErrorMessage(), "already exists with different attributes")
}
