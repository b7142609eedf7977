package provision_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqsflow/sqsflow/internal/awsiface"
)

// pagingSNS serves ListTopics in pages of pageSize, whatever page size the
// endpoint uses, so that tests exercise pagination against any endpoint. The
// first page of a listing fetches every topic from the endpoint; later pages
// are cut from that snapshot.
type pagingSNS struct {
	awsiface.SNS
	pageSize int
	calls    atomic.Int64

	mu  sync.Mutex
	all []string
}

func (p *pagingSNS) ListTopics(ctx context.Context, in *sns.ListTopicsInput, opts ...func(*sns.Options)) (*sns.ListTopicsOutput, error) {
	p.calls.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.NextToken == nil {
		p.all = nil
		var token *string
		for {
			out, err := p.SNS.ListTopics(ctx, &sns.ListTopicsInput{NextToken: token}, opts...)
			if err != nil {
				return nil, err
			}
			for _, t := range out.Topics {
				p.all = append(p.all, aws.ToString(t.TopicArn))
			}
			if token = out.NextToken; aws.ToString(token) == "" {
				break
			}
		}
	}
	all := p.all
	start := 0
	if in.NextToken != nil {
		n, err := strconv.Atoi(*in.NextToken)
		if err != nil {
			return nil, fmt.Errorf("pagingSNS: bad token %q", *in.NextToken)
		}
		start = n
	}
	end := min(start+p.pageSize, len(all))
	out := &sns.ListTopicsOutput{}
	for _, arn := range all[start:end] {
		out.Topics = append(out.Topics, snsTopic(arn))
	}
	if end < len(all) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

func snsTopic(arn string) snstypes.Topic { return snstypes.Topic{TopicArn: aws.String(arn)} }

// faultySQS delegates to a real client except where a hook is set.
type faultySQS struct {
	awsiface.SQS
	createQueue        func(*sqs.CreateQueueInput) error
	getQueueURL        func(*sqs.GetQueueUrlInput) error
	getQueueAttributes func(*sqs.GetQueueAttributesOutput)
	setQueueAttributes func(*sqs.SetQueueAttributesInput) error
}

func (f *faultySQS) CreateQueue(ctx context.Context, in *sqs.CreateQueueInput, opts ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error) {
	if f.createQueue != nil {
		if err := f.createQueue(in); err != nil {
			return nil, err
		}
	}
	return f.SQS.CreateQueue(ctx, in, opts...)
}

func (f *faultySQS) GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, opts ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	if f.getQueueURL != nil {
		if err := f.getQueueURL(in); err != nil {
			return nil, err
		}
	}
	return f.SQS.GetQueueUrl(ctx, in, opts...)
}

func (f *faultySQS) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	out, err := f.SQS.GetQueueAttributes(ctx, in, opts...)
	if err == nil && f.getQueueAttributes != nil {
		f.getQueueAttributes(out)
	}
	return out, err
}

func (f *faultySQS) SetQueueAttributes(ctx context.Context, in *sqs.SetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error) {
	if f.setQueueAttributes != nil {
		if err := f.setQueueAttributes(in); err != nil {
			return nil, err
		}
	}
	return f.SQS.SetQueueAttributes(ctx, in, opts...)
}

// faultySNS delegates to a real client except where a hook is set. Hooks
// return nil to delegate.
type faultySNS struct {
	awsiface.SNS
	getTopicAttributes       func(*sns.GetTopicAttributesInput) error
	createTopic              func(*sns.CreateTopicInput) error
	subscribe                func(*sns.SubscribeInput) error
	listSubscriptionsByTopic func(*sns.ListSubscriptionsByTopicInput) (*sns.ListSubscriptionsByTopicOutput, error)
}

func (f *faultySNS) GetTopicAttributes(ctx context.Context, in *sns.GetTopicAttributesInput, opts ...func(*sns.Options)) (*sns.GetTopicAttributesOutput, error) {
	if f.getTopicAttributes != nil {
		if err := f.getTopicAttributes(in); err != nil {
			return nil, err
		}
	}
	return f.SNS.GetTopicAttributes(ctx, in, opts...)
}

func (f *faultySNS) CreateTopic(ctx context.Context, in *sns.CreateTopicInput, opts ...func(*sns.Options)) (*sns.CreateTopicOutput, error) {
	if f.createTopic != nil {
		if err := f.createTopic(in); err != nil {
			return nil, err
		}
	}
	return f.SNS.CreateTopic(ctx, in, opts...)
}

func (f *faultySNS) Subscribe(ctx context.Context, in *sns.SubscribeInput, opts ...func(*sns.Options)) (*sns.SubscribeOutput, error) {
	if f.subscribe != nil {
		if err := f.subscribe(in); err != nil {
			return nil, err
		}
	}
	return f.SNS.Subscribe(ctx, in, opts...)
}

func (f *faultySNS) ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, opts ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
	if f.listSubscriptionsByTopic != nil {
		return f.listSubscriptionsByTopic(in)
	}
	return f.SNS.ListSubscriptionsByTopic(ctx, in, opts...)
}
