package emulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqsflow/sqsflow/internal/vectors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/emulator"
)

// jsonKeys returns the top-level keys of a JSON object in document order.
func jsonKeys(t *testing.T, doc string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %q", doc)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func startSNS(t *testing.T) (*emulator.Server, *sns.Client, *sqs.Client) {
	t.Helper()
	srv, sq := start(t, emulator.Options{})
	return srv, sns.NewFromConfig(srv.Config()), sq
}

func subscribe(t *testing.T, sn *sns.Client, sq *sqs.Client, topicARN, queue string, attrs map[string]string) (string, string) {
	t.Helper()
	var qattrs map[string]string
	if strings.HasSuffix(queue, ".fifo") {
		qattrs = map[string]string{"FifoQueue": "true"}
	}
	url := createQueue(t, sq, queue, qattrs)
	qa, err := sq.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := sn.Subscribe(context.Background(), &sns.SubscribeInput{TopicArn: &topicARN, Protocol: aws.String("sqs"),
		Endpoint: aws.String(qa.Attributes["QueueArn"]), Attributes: attrs, ReturnSubscriptionArn: true})
	if err != nil {
		t.Fatal(err)
	}
	return url, aws.ToString(out.SubscriptionArn)
}

// TestNotificationLayoutMatchesAWS compares the notification the emulator
// delivers with ones AWS delivered (the interop vectors): same fields in
// the same order, standard and FIFO.
func TestNotificationLayoutMatchesAWS(t *testing.T) {
	t.Parallel()
	dir := vectors.Dir(t)
	_, sn, sq := startSNS(t)
	ctx := context.Background()
	tests := []struct {
		vector string
		topic  string
		attrs  map[string]string
		pub    sns.PublishInput
	}{
		{"04_sns_notification_standard.body.json", "std", nil, sns.PublishInput{Message: aws.String("m"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"a": {DataType: aws.String("String"), StringValue: aws.String("v")}}}},
		{"05_sns_notification_fifo.body.json", "fifo.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"},
			sns.PublishInput{Message: aws.String("m"), MessageGroupId: aws.String("g")}},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			is := is.New(t)
			want, err := os.ReadFile(filepath.Join(dir, tt.vector))
			is.NoErr(err)
			topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(tt.topic), Attributes: tt.attrs})
			is.NoErr(err)
			url, _ := subscribe(t, sn, sq, aws.ToString(topic.TopicArn), strings.Replace(tt.topic, "fifo", "q", 1), nil)
			tt.pub.TopicArn = topic.TopicArn
			_, err = sn.Publish(ctx, &tt.pub)
			is.NoErr(err)
			msgs := recv(t, sq, url)
			is.Equal(len(msgs), 1)
			got := aws.ToString(msgs[0].Body)
			is.Equal(jsonKeys(t, got), jsonKeys(t, string(want)))
			is.True(strings.HasPrefix(got, "{\n  \"Type\" : \"Notification\",\n")) // AWS's layout
		})
	}
}

func TestUnsubscribeURLWorks(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	_, sn, sq := startSNS(t)
	ctx := context.Background()
	topic, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("t")})
	is.NoErr(err)
	url, subARN := subscribe(t, sn, sq, aws.ToString(topic.TopicArn), "q", nil)
	_, err = sn.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")})
	is.NoErr(err)
	msgs := recv(t, sq, url)
	is.Equal(len(msgs), 1)
	var n struct{ UnsubscribeURL string }
	is.NoErr(json.Unmarshal([]byte(aws.ToString(msgs[0].Body)), &n))

	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(n.UnsubscribeURL)
	is.NoErr(err)
	resp.Body.Close()
	is.Equal(resp.StatusCode, http.StatusOK)
	_, err = sn.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: &subARN})
	is.True(err != nil) // gone
}

func TestRawQueryProtocolErrors(t *testing.T) {
	t.Parallel()
	srv, _, _ := startSNS(t)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	tests := []struct {
		name, body string
		header     map[string]string
		status     int
		code       string
	}{
		{"missing action", "Version=2010-03-31", form, 400, "<Code>MissingAction</Code>"},
		{"unknown action", "Action=Fly&Version=2010-03-31", form, 400, "<Code>InvalidAction</Code>"},
		{"malformed form", "Action=%zz", form, 400, "<Code>MalformedQueryString</Code>"},
		{"missing topic", "Action=Publish&Message=x", form, 400, "<Code>InvalidParameter</Code>"},
		{"SQS over the query protocol", "Action=ListQueues&Version=2012-11-05",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded",
				"Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x"},
			400, "<Code>InvalidAction</Code>"},
		{"STS by credential scope", "Action=GetCallerIdentity&Version=2011-06-15",
			map[string]string{"Content-Type": "application/x-www-form-urlencoded",
				"Authorization": "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=x"},
			200, "<Account>000000000000</Account>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := is.New(t)
			status, _, body := post(t, srv.Endpoint(), tt.header, tt.body)
			is.Equal(status, tt.status)
			is.True(strings.Contains(body, tt.code))
		})
	}
}

// FuzzQueryRequest sends arbitrary forms to the SNS and STS actions: the
// emulator must answer (never panic, never a 5xx).
func FuzzQueryRequest(f *testing.F) {
	srv, err := emulator.Start(context.Background(), emulator.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	topic := "arn:aws:sns:us-east-1:000000000000:fz"
	seeds := []url.Values{
		{"Action": {"CreateTopic"}, "Name": {"fz"}, "Attributes.entry.1.key": {"DisplayName"}, "Attributes.entry.1.value": {"x"}},
		{"Action": {"CreateTopic"}, "Name": {"fz.fifo"}, "Attributes.entry.1.key": {"FifoTopic"}, "Attributes.entry.1.value": {"true"}},
		{"Action": {"Subscribe"}, "TopicArn": {topic}, "Protocol": {"sqs"}, "Endpoint": {"arn:aws:sqs:us-east-1:000000000000:q"},
			"Attributes.entry.1.key": {"FilterPolicy"}, "Attributes.entry.1.value": {`{"a":[{"numeric":[">",1]}]}`}},
		{"Action": {"Publish"}, "TopicArn": {topic}, "Message": {"m"}, "MessageAttributes.entry.1.Name": {"a"},
			"MessageAttributes.entry.1.Value.DataType": {"Number"}, "MessageAttributes.entry.1.Value.StringValue": {"2"}},
		{"Action": {"PublishBatch"}, "TopicArn": {topic}, "PublishBatchRequestEntries.member.1.Id": {"a"},
			"PublishBatchRequestEntries.member.1.Message": {"m"}, "PublishBatchRequestEntries.member.1.MessageStructure": {"json"}},
		{"Action": {"SetSubscriptionAttributes"}, "SubscriptionArn": {topic + ":x"}, "AttributeName": {"FilterPolicyScope"}, "AttributeValue": {"MessageBody"}},
		{"Action": {"ListTopics"}, "NextToken": {"!!"}},
		{"Action": {"GetCallerIdentity"}},
	}
	for _, s := range seeds {
		f.Add(s.Encode())
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, _ := http.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := &recorder{header: http.Header{}}
		srv.ServeHTTP(rec, req)
		if rec.status >= 500 {
			t.Fatalf("%q: status %d: %s", body, rec.status, rec.body.String())
		}
	})
}
