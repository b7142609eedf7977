package provision

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// redrivePolicyJSON formats a redrive policy the way tomodachi writes it.
func redrivePolicyJSON(dlqARN string, maxReceiveCount int) string {
	arn, _ := json.Marshal(dlqARN)
	return fmt.Sprintf(`{"deadLetterTargetArn": %s, "maxReceiveCount": %d}`, arn, maxReceiveCount)
}

// parseRedrive reads a RedrivePolicy attribute. AWS returns maxReceiveCount
// as a number; some emulators and older writers use a string. An empty or
// "{}" policy has no target.
func parseRedrive(s string) (target string, count int) {
	if s == "" {
		return "", 0
	}
	var rp struct {
		Target string          `json:"deadLetterTargetArn"`
		Count  json.RawMessage `json:"maxReceiveCount"`
	}
	if json.Unmarshal([]byte(s), &rp) != nil {
		return "", 0
	}
	raw := string(rp.Count)
	if uq, err := strconv.Unquote(raw); err == nil {
		raw = uq
	}
	count, _ = strconv.Atoi(raw)
	return rp.Target, count
}

// orDefault returns v, or def when v is empty (the attribute is absent).
func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func seconds(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

// queueAttributeChanges returns the attributes to set on the queue so that
// it matches the spec: only those that differ from current. dlqARN is the
// dead-letter queue's ARN (when DeadLetter is set) and policy the queue policy
// to apply (nil: leave the policy).
func queueAttributeChanges(q Queue, current map[string]string, dlqARN string, policy *queuePolicy) (map[string]string, error) {
	ch := map[string]string{}
	if policy != nil && !policyMatches(current["Policy"], *policy) {
		b, err := json.Marshal(policy)
		if err != nil {
			return nil, err
		}
		ch["Policy"] = string(b)
	}
	switch {
	case q.VisibilityTimeout.IsSet():
		d, _ := q.VisibilityTimeout.Value()
		if want := seconds(d); orDefault(current["VisibilityTimeout"], defaultVisibility) != want {
			ch["VisibilityTimeout"] = want
		}
	case q.VisibilityTimeout.IsRemove():
		if orDefault(current["VisibilityTimeout"], defaultVisibility) != defaultVisibility {
			ch["VisibilityTimeout"] = defaultVisibility
		}
	}
	target, count := parseRedrive(current["RedrivePolicy"])
	switch {
	case q.DeadLetter.IsSet():
		dl, _ := q.DeadLetter.Value()
		if target != dlqARN || count != dl.MaxReceiveCount {
			ch["RedrivePolicy"] = redrivePolicyJSON(dlqARN, dl.MaxReceiveCount)
		}
	case q.DeadLetter.IsRemove():
		if target != "" {
			ch["RedrivePolicy"] = ""
		}
	}
	switch {
	case q.KMSKey.IsSet():
		k, _ := q.KMSKey.Value()
		if current["KmsMasterKeyId"] != k {
			ch["KmsMasterKeyId"] = k
		}
	case q.KMSKey.IsRemove():
		if current["KmsMasterKeyId"] != "" {
			ch["KmsMasterKeyId"] = ""
		}
	}
	switch {
	case q.KMSDataKeyReuse.IsSet():
		d, _ := q.KMSDataKeyReuse.Value()
		if want := seconds(d); orDefault(current["KmsDataKeyReusePeriodSeconds"], defaultDataKeyReuse) != want {
			ch["KmsDataKeyReusePeriodSeconds"] = want
		}
	case q.KMSDataKeyReuse.IsRemove():
		if orDefault(current["KmsDataKeyReusePeriodSeconds"], defaultDataKeyReuse) != defaultDataKeyReuse {
			ch["KmsDataKeyReusePeriodSeconds"] = defaultDataKeyReuse
		}
	}
	return ch, nil
}
