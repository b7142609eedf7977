package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sqsflow/sqsflow/internal/vectors"

	"github.com/matryer/is"

	"github.com/sqsflow/sqsflow/internal/naming"
)

// namingVector is one name tomodachi derived, with the inputs of
// `sqsflow names` that must derive it.
type namingVector struct {
	key  string
	args []string
	want func(derivedNames) string // the name under test
	name string                    // what tomodachi derived
}

var autoQueueKey = regexp.MustCompile(`^topic='([^']*)' func='([^']*)' competing=(True|False|None) fifo=(True|False) queue_name_prefix='([^']*)' service_uuid=(\S+)$`)

func loadNamingVectors(t *testing.T) []namingVector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectors.Dir(t), "09_naming.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sections map[string]map[string]string
	if err := json.Unmarshal(raw, &sections); err != nil {
		t.Fatal(err)
	}
	var out []namingVector
	for _, section := range []string{"get_topic_name(prefix='dev-')", "sns_topic_name_sent_to_CreateTopic(prefix='dev-')"} {
		for key, name := range sections[section] {
			topic, fifo, ok := strings.Cut(key, " fifo=")
			if !ok {
				t.Fatalf("09_naming.json: unparsed key %q", key)
			}
			args := []string{"-topic-prefix", "dev-"}
			if fifo == "True" {
				args = append(args, "-fifo")
			}
			out = append(out, namingVector{key, append(args, topic), func(n derivedNames) string { return n.SNSTopic }, name})
		}
	}
	for key, name := range sections["auto_queue_name"] {
		m := autoQueueKey.FindStringSubmatch(key)
		if m == nil {
			t.Fatalf("09_naming.json: unparsed key %q", key)
		}
		topic, handler, competing, fifo, prefix, svc := m[1], m[2], m[3] == "True", m[4] == "True", m[5], m[6]
		args := []string{"-queue-prefix", prefix}
		if fifo {
			args = append(args, "-fifo")
		}
		if !competing {
			args = append(args, "-competing=false", "-handler", handler, "-service-uuid", svc)
		}
		out = append(out, namingVector{key, append(args, topic), func(n derivedNames) string { return n.Queue }, name})
	}
	if len(out) < 10 {
		t.Fatalf("09_naming.json: only %d vectors", len(out))
	}
	return out
}

// TestNamesMatchTomodachi checks every topic and queue name tomodachi
// derived in the interop vectors. Topics tomodachi no longer accepts ('.'
// in "order.created") are refused with a clear error instead.
func TestNamesMatchTomodachi(t *testing.T) {
	t.Parallel()
	for _, v := range loadNamingVectors(t) {
		t.Run(v.key, func(t *testing.T) {
			t.Parallel()
			is := is.New(t)
			topic := v.args[len(v.args)-1]
			r := cliArgs(t, "", append([]string{"names", "-json"}, v.args...)...)
			if naming.ValidateTopic(topic) != nil {
				r.failed(t, 2, "invalid topic name")
				return
			}
			r.ok(t)
			var got derivedNames
			is.NoErr(json.Unmarshal([]byte(r.stdout), &got))
			is.Equal(v.want(got), v.name)
			is.Equal(got.Topic, topic)
		})
	}
}

func TestNamesText(t *testing.T) {
	t.Parallel()
	is := is.New(t)
	r := cliArgs(t, "", "names", "-topic-prefix", "dev-", "-queue-prefix", "dev-", "test-topic").ok(t)
	is.Equal(r.stdout, "topic      test-topic\n"+
		"SNS topic  dev-test-topic\n"+
		"queue      dev-c6fb053c1b70aabd10bfefd087166b532b7c79ed12d24f2d43a9999c724797fd  (competing: every consumer of the topic shares it)\n")

	r = cliArgs(t, "", "names", "-competing=false", "-handler", "func", "-service-uuid", "5d0b530f-5c44-4981-b01f-342801bd48f5", "test-topic").ok(t)
	is.True(strings.Contains(r.stdout, "queue      45b56d76d14276da54c0ef65ca5c604ab9d0301bbebf4d6ad11e91dd496c2975  (non-competing: handler \"func\""))

	r = cliArgs(t, "", "names", "-topic-prefix", "dev-", "orders.*").ok(t) // a pattern
	is.True(strings.Contains(r.stdout, "SNS pattern dev-orders___2e_*\n"))
}

func TestNamesUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no topic", nil, "want one TOPIC, got 0 arguments"},
		{"two topics", []string{"a", "b"}, "want one TOPIC, got 2 arguments"},
		{"invalid topic", []string{"a b"}, `invalid topic name "a b": contains ' '`},
		{"non-competing without ids", []string{"-competing=false", "t"}, "-competing=false needs -handler and -service-uuid"},
		{"ids without non-competing", []string{"-handler", "h", "t"}, "add -competing=false"},
		{"prefix too long", []string{"-queue-prefix", strings.Repeat("p", 20), "t"}, `-queue-prefix "pppppppppppppppppppp": invalid queue name`},
		{"topic too long", []string{"-topic-prefix", strings.Repeat("p", 252), "topic"}, "at most 256 are allowed"},
		{"unknown flag", []string{"-endpoint", "http://x", "t"}, "flag provided but not defined: -endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := cliArgs(t, "", append([]string{"names"}, tt.args...)...)
			r.failed(t, 2, tt.want)
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
		})
	}
}
