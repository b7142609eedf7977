package provision

import (
	"encoding/json"
	"reflect"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// The queue policy, in the shape tomodachi writes (vectors/10_queue_policy.json).
type queuePolicy struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Sid       string          `json:"Sid"`
	Effect    string          `json:"Effect"`
	Principal string          `json:"Principal"`
	Action    string          `json:"Action"`
	Resource  string          `json:"Resource"`
	Condition policyCondition `json:"Condition"`
}

type policyCondition struct {
	ArnEquals map[string]string `json:"ArnEquals"`
}

// newSid returns a statement id as tomodachi makes them: a random uuid4
// followed by the Unix time in milliseconds.
func newSid(now time.Time) string {
	return uuid.NewString() + strconv.FormatInt(now.UnixMilli(), 10)
}

// buildQueuePolicy returns the policy that lets SNS deliver to queueARN from
// exactly the given topics: one statement per topic, each allowing
// SQS:SendMessage on the condition ArnEquals aws:SourceArn = that topic.
//
// For a wildcard subscription this is one statement per matched topic rather
// than tomodachi's single statement with the topics' common prefix and "*",
// which can let unrelated topics send and misses topics when one ARN is a
// prefix of another.
func buildQueuePolicy(queueARN string, topicARNs []string, now time.Time) queuePolicy {
	arns := append([]string(nil), topicARNs...)
	sort.Strings(arns)
	p := queuePolicy{Version: "2012-10-17", ID: queueARN + "/SQSDefaultPolicy"}
	for _, arn := range arns {
		p.Statement = append(p.Statement, policyStatement{
			Sid:       newSid(now),
			Effect:    "Allow",
			Principal: "*",
			Action:    "SQS:SendMessage",
			Resource:  queueARN,
			Condition: policyCondition{ArnEquals: map[string]string{"aws:SourceArn": arn}},
		})
	}
	return p
}

// policyMatches reports whether the current policy document (as returned by
// GetQueueAttributes; may be empty) has the same statements as want, ignoring
// each statement's Sid and the order of statements, as tomodachi compares them.
func policyMatches(current string, want queuePolicy) bool {
	if current == "" {
		return false
	}
	var doc struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal([]byte(current), &doc); err != nil {
		return false
	}
	got, ok := normaliseStatements(doc.Statement)
	if !ok {
		return false
	}
	raw, _ := json.Marshal(want.Statement)
	wantNorm, _ := normaliseStatements(raw)
	return reflect.DeepEqual(got, wantNorm)
}

// normaliseStatements decodes a Statement value (an object or an array of
// objects), drops every Sid, and returns the statements' canonical JSON,
// sorted.
func normaliseStatements(raw json.RawMessage) ([]string, bool) {
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		var one map[string]any
		if err := json.Unmarshal(raw, &one); err != nil || one == nil {
			return nil, false
		}
		list = []map[string]any{one}
	}
	out := make([]string, 0, len(list))
	for _, st := range list {
		delete(st, "Sid")
		b, err := json.Marshal(st) // map keys are sorted: canonical
		if err != nil {
			return nil, false
		}
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out, true
}
