package provision_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqsflow/sqsflow/provision"
)

// actions lists the calls' actions, in order.
func actions(calls []provision.Call) []string {
	out := []string{}
	for _, c := range calls {
		out = append(out, c.Action)
	}
	return out
}

func param(c provision.Call, name string) (string, bool) {
	for _, p := range c.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

func queueAttrs(t *testing.T, e *env, url string) map[string]string {
	t.Helper()
	out, err := e.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes %s: %v", url, err)
	}
	return out.Attributes
}

func subAttrs(t *testing.T, e *env, arn string) map[string]string {
	t.Helper()
	out, err := e.SNS.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetSubscriptionAttributes %s: %v", arn, err)
	}
	return out.Attributes
}

func topicAttrs(t *testing.T, e *env, arn string) map[string]string {
	t.Helper()
	out, err := e.SNS.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("GetTopicAttributes %s: %v", arn, err)
	}
	return out.Attributes
}

func createTopic(t *testing.T, e *env, name string, attrs map[string]string) string {
	t.Helper()
	out, err := e.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("CreateTopic %s: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

func setQueueAttr(t *testing.T, e *env, url, name, value string) {
	t.Helper()
	_, err := e.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url), Attributes: map[string]string{name: value}})
	if err != nil {
		t.Fatalf("SetQueueAttributes %s=%s: %v", name, value, err)
	}
}

func setSubAttr(t *testing.T, e *env, arn, name, value string) {
	t.Helper()
	_, err := e.SNS.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: aws.String(arn), AttributeName: aws.String(name), AttributeValue: aws.String(value)})
	if err != nil {
		t.Fatalf("SetSubscriptionAttributes %s=%s: %v", name, value, err)
	}
}

func setTopicAttr(t *testing.T, e *env, arn, name, value string) {
	t.Helper()
	_, err := e.SNS.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{
		TopicArn: aws.String(arn), AttributeName: aws.String(name), AttributeValue: aws.String(value)})
	if err != nil {
		t.Fatalf("SetTopicAttributes %s=%s: %v", name, value, err)
	}
}

// jsonEqual reports whether two JSON documents are equal as values.
func jsonEqual(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// policyStatement is one statement of a queue policy, Sid aside.
type policyStatement struct {
	Effect, Action, Resource string
	Principal                any
	SourceArn                string
}

// policyStatements decodes a queue's Policy attribute, sorted by SourceArn.
func policyStatements(t *testing.T, policy string) []policyStatement {
	t.Helper()
	var doc struct {
		Version, Id string
		Statement   []struct {
			Sid, Effect, Action, Resource string
			Principal                     any
			Condition                     struct {
				ArnEquals map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("queue policy %q: %v", policy, err)
	}
	if doc.Version != "2012-10-17" || !strings.HasSuffix(doc.Id, "/SQSDefaultPolicy") {
		t.Fatalf("queue policy header: %q", policy)
	}
	var out []policyStatement
	for _, s := range doc.Statement {
		if len(s.Sid) != 36+13 {
			t.Fatalf("Sid %q is not uuid4 + ms timestamp", s.Sid)
		}
		out = append(out, policyStatement{s.Effect, s.Action, s.Resource, s.Principal, s.Condition.ArnEquals["aws:SourceArn"]})
	}
	return out
}
