package naming_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sqsflow/sqsflow/internal/vectors"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/internal/naming"
)

type namingVectors struct {
	EncodeTopic, TopicName, CreateTopic, AutoQueueName map[string]string
}

func loadNamingVectors(t *testing.T) namingVectors {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectors.Dir(t), "09_naming.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sections map[string]map[string]string
	if err := json.Unmarshal(raw, &sections); err != nil {
		t.Fatal(err)
	}
	v := namingVectors{
		EncodeTopic:   sections["encode_topic"],
		TopicName:     sections["get_topic_name(prefix='dev-')"],
		CreateTopic:   sections["sns_topic_name_sent_to_CreateTopic(prefix='dev-')"],
		AutoQueueName: sections["auto_queue_name"],
	}
	if len(v.EncodeTopic) == 0 || len(v.TopicName) == 0 || len(v.CreateTopic) == 0 || len(v.AutoQueueName) == 0 {
		t.Fatal("09_naming.json: a section is missing or empty")
	}
	return v
}

func TestEncodeDecodeVectors(t *testing.T) {
	t.Parallel()
	for in, want := range loadNamingVectors(t).EncodeTopic {
		t.Run(in, func(t *testing.T) {
			is := is.New(t)
			is.Equal(naming.EncodeTopic(in), want)
			is.Equal(naming.DecodeTopic(want), in) // round trip
		})
	}
}

func TestTopicNameVectors(t *testing.T) {
	t.Parallel()
	v := loadNamingVectors(t)
	cases := map[string]string{}
	for k, want := range v.TopicName {
		cases[k] = want
	}
	for k, want := range v.CreateTopic {
		cases[k] = want
	}
	for key, want := range cases {
		t.Run(key, func(t *testing.T) {
			is := is.New(t)
			topic, flag, ok := strings.Cut(key, " fifo=")
			is.True(ok)
			is.Equal(naming.TopicName("dev-", topic, flag == "True"), want)
		})
	}
}

var autoKey = regexp.MustCompile(`^topic='([^']*)' func='([^']*)' competing=(True|False|None) fifo=(True|False) queue_name_prefix='([^']*)' service_uuid=(\S+)$`)

func TestQueueNameVectors(t *testing.T) {
	t.Parallel()
	for key, want := range loadNamingVectors(t).AutoQueueName {
		t.Run(key, func(t *testing.T) {
			is := is.New(t)
			m := autoKey.FindStringSubmatch(key)
			if m == nil {
				t.Fatalf("unparsed vector key %q", key)
			}
			topic, handler, competing, fifo, prefix, svc := m[1], m[2], m[3] == "True", m[4] == "True", m[5], m[6]
			got := naming.QueueName(prefix, topic, competing, handler, svc, fifo)
			is.Equal(got, want)
			is.NoErr(naming.ValidateQueueName(got))
		})
	}
}

func TestEncodeTopic(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"", ""},
		{".fifo", ".fifo"},
		{"fifo", "fifo"},
		{"a.fifox", "a___2e_fifox"},
		{"orders.*", "orders___2e_*"},
		{"x\xffy", "x___ff_y"}, // invalid UTF-8 byte, encoded alone
		{"ä.fifo", "___c3a4_.fifo"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			is := is.New(t)
			is.Equal(naming.EncodeTopic(c.in), c.want)
		})
	}
}

func TestDecodeTopic(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"a___2e_b___2e_c", "a.b.c"},
		{"___f09f9880_", "😀"},
		{"a___2E_b", "a___2E_b"},                 // uppercase hex is not an escape
		{"a___2e", "a___2e"},                     // unterminated
		{"a___2e0_b", "a___2e0_b"},               // odd number of digits
		{"a___ff_b", "a___ff_b"},                 // not valid UTF-8: left alone
		{"a____2e_b", "a_.b"},                    // escape after a literal underscore
		{"___2e____2f_", "./"},                   // adjacent escapes
		{"a___0123456789_b", "a___0123456789_b"}, // too many digits
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			is := is.New(t)
			is.Equal(naming.DecodeTopic(c.in), c.want)
		})
	}
}

func TestTopicName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		prefix, topic string
		fifo          bool
		want          string
	}{
		{"", "orders", false, "orders"},
		{"", "orders.fifo", true, "orders.fifo"}, // no second suffix
		{"my.env-", "orders", false, "my___2e_env-orders"},
		{"", "orders.fifo", false, "orders.fifo"},
	}
	for _, c := range cases {
		is := is.New(t)
		is.Equal(naming.TopicName(c.prefix, c.topic, c.fifo), c.want)
	}
}

func TestTopicFromARN(t *testing.T) {
	t.Parallel()
	cases := []struct{ arn, prefix, want string }{
		{"arn:aws:sns:eu-west-1:123456789012:dev-order-created", "dev-", "order-created"},
		{"arn:aws:sns:eu-west-1:123456789012:dev-order-events.fifo", "dev-", "order-events.fifo"},
		{"arn:aws:sns:eu-west-1:123456789012:dev-order___2e_created", "dev-", "order.created"},
		{"arn:aws:sns:eu-west-1:123456789012:prod-orders", "dev-", "prod-orders"},
		{"orders", "", "orders"},
	}
	for _, c := range cases {
		is := is.New(t)
		is.Equal(naming.TopicFromARN(c.arn, c.prefix), c.want)
	}
}

func TestQueueNameShape(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	a := naming.QueueName("", "orders", false, "handle", "svc-1", false)
	b := naming.QueueName("", "orders", false, "handle", "svc-2", false)
	c := naming.QueueName("", "orders", true, "handle", "svc-1", false)
	d := naming.QueueName("", "orders", true, "other", "svc-2", false)
	is.True(a != b)      // non-competing: per service
	is.Equal(c, d)       // competing: shared
	is.Equal(len(c), 64) // bare sha256 hex
	is.Equal(naming.QueueName("p-", "orders", true, "", "", true), "p-"+c+".fifo")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name    string
		err     error
		problem naming.Problem
	}{
		{"topic ok", naming.ValidateTopic("order-created_v2"), 0},
		{"topic fifo ok", naming.ValidateTopic("orders.fifo"), 0},
		{"topic max", naming.ValidateTopic(long(256)), 0},
		{"topic too long", naming.ValidateTopic(long(257)), naming.TooLong},
		{"topic empty", naming.ValidateTopic(""), naming.Empty},
		{"topic only suffix", naming.ValidateTopic(".fifo"), naming.Empty},
		{"topic dot", naming.ValidateTopic("order.created"), naming.InvalidCharacter},
		{"topic wildcard", naming.ValidateTopic("order-*"), naming.InvalidCharacter},
		// rstrip(".fifo") would accept this; the exact suffix rule does not.
		{"topic rstrip quirk", naming.ValidateTopic("info.fifo.fifo"), naming.InvalidCharacter},
		{"topic trailing dot", naming.ValidateTopic("foo."), naming.InvalidCharacter},
		{"topic multibyte length", naming.ValidateTopic(strings.Repeat("é", 257)), naming.TooLong},
		{"queue ok", naming.ValidateQueueName("dev-billing"), 0},
		{"queue max fifo", naming.ValidateQueueName(long(75) + ".fifo"), 0},
		{"queue too long", naming.ValidateQueueName(long(76) + ".fifo"), naming.TooLong},
		{"queue 81", naming.ValidateQueueName(long(81)), naming.TooLong},
		{"queue slash", naming.ValidateQueueName("a/b"), naming.InvalidCharacter},
		{"queue space", naming.ValidateQueueName("a b"), naming.InvalidCharacter},
		{"queue empty", naming.ValidateQueueName(""), naming.Empty},
		{"pattern ok", naming.ValidateTopicPattern("order.*"), 0},
		{"pattern empty", naming.ValidateTopicPattern(""), naming.Empty},
		{"pattern bad utf8", naming.ValidateTopicPattern("a\xff"), naming.InvalidCharacter},
		{"pattern too long encoded", naming.ValidateTopicPattern(strings.Repeat(".", 50)), naming.TooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is := is.New(t)
			if c.problem == 0 {
				is.NoErr(c.err)
				return
			}
			var ne *naming.InvalidNameError
			is.True(errors.As(c.err, &ne))
			is.Equal(ne.Problem, c.problem)
			is.True(strings.Contains(c.err.Error(), ne.Detail))
		})
	}
}

func TestValidateErrorText(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	err := naming.ValidateQueueName(strings.Repeat("q", 81))
	is.Equal(err.Error(), `invalid queue name "`+strings.Repeat("q", 81)+`": is 81 characters long; at most 80 are allowed`)
	err = naming.ValidateTopic("order.created")
	is.Equal(err.Error(), `invalid topic name "order.created": contains '.' at byte 5; only A-Z, a-z, 0-9, '_' and '-' are allowed (plus a ".fifo" suffix)`)
}

func TestParseQueueRef(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want naming.QueueRef
	}{
		{"billing", naming.QueueRef{Kind: naming.RefName, Name: "billing"}},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/dev-billing",
			naming.QueueRef{Kind: naming.RefURL, Name: "dev-billing", URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/dev-billing", Account: "123456789012"}},
		{"http://127.0.0.1:4566/000000000000/q.fifo",
			naming.QueueRef{Kind: naming.RefURL, Name: "q.fifo", URL: "http://127.0.0.1:4566/000000000000/q.fifo"}},
		{"http://localhost:9324/queue/q",
			naming.QueueRef{Kind: naming.RefURL, Name: "q", URL: "http://localhost:9324/queue/q"}},
		{"arn:aws:sqs:eu-west-1:123456789012:dev-billing",
			naming.QueueRef{Kind: naming.RefARN, Name: "dev-billing", Account: "123456789012", Region: "eu-west-1", Partition: "aws"}},
		{"arn:aws-cn:sqs:cn-north-1:000000000000:q",
			naming.QueueRef{Kind: naming.RefARN, Name: "q", Region: "cn-north-1", Partition: "aws-cn"}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			is := is.New(t)
			got, err := naming.ParseQueueRef(c.in)
			is.NoErr(err)
			is.Equal(got, c.want)
		})
	}
}

func TestParseQueueRefErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, detail string }{
		{"", "is empty"},
		{"https://", "has no host"},
		{"https://sqs.example.com/", "has no queue name"},
		{"arn:aws:sqs:eu-west-1:123456789012", "is not of the form"},
		{"arn:aws:sns:eu-west-1:123456789012:topic", `service "sns"`},
		{"arn:aws:sqs:eu-west-1:12345678901x:q", `account "12345678901x"`},
		{"arn:aws:sqs:eu-west-1::q", `account ""`},
		{"arn:aws:sqs:eu-west-1:123456789012:", `queue name ""`},
		{"arn::sqs:eu-west-1:123456789012:q", "empty partition"},
		{"http://h/%zz", "invalid URL escape"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			is := is.New(t)
			_, err := naming.ParseQueueRef(c.in)
			var re *naming.InvalidRefError
			is.True(errors.As(err, &re))
			is.Equal(re.Ref, c.in)
			if !strings.Contains(err.Error(), c.detail) {
				t.Errorf("error %q does not mention %q", err, c.detail)
			}
		})
	}
}

func TestIsWildcard(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	is.True(naming.IsWildcard("orders.*"))
	is.True(naming.IsWildcard("#"))
	is.True(!naming.IsWildcard("orders"))
}

func FuzzDecodeTopic(f *testing.F) {
	for _, s := range []string{"a___2e_b", "___f09f9880_", "x___", "___c3a9_.fifo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := naming.DecodeTopic(s)
		if len(d) > len(s) {
			t.Fatalf("decoding grew %q to %q", s, d)
		}
		// Encoding then decoding returns valid UTF-8 input unchanged.
		if utf8.ValidString(s) && naming.DecodeTopic(naming.EncodeTopic(s)) != s && !strings.Contains(s, "___") {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}

func FuzzParseQueueRef(f *testing.F) {
	for _, s := range []string{"q", "https://h/1/q", "arn:aws:sqs:r:1:q", "arn:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := naming.ParseQueueRef(s)
		if err == nil && r.Name == "" {
			t.Fatalf("%q parsed without a name", s)
		}
	})
}
