package emulator

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/sqsflow/sqsflow/emulator/internal/filter"
)

// snsActions maps SNS query-protocol actions to their handlers.
var snsActions map[string]queryHandler

func init() {
	snsActions = map[string]queryHandler{
		"CreateTopic":               (*Server).createTopic,
		"GetTopicAttributes":        (*Server).getTopicAttributes,
		"SetTopicAttributes":        (*Server).setTopicAttributes,
		"ListTopics":                (*Server).listTopics,
		"DeleteTopic":               (*Server).deleteTopic,
		"Subscribe":                 (*Server).subscribe,
		"ConfirmSubscription":       (*Server).confirmSubscription,
		"Unsubscribe":               (*Server).unsubscribe,
		"GetSubscriptionAttributes": (*Server).getSubscriptionAttributes,
		"SetSubscriptionAttributes": (*Server).setSubscriptionAttributes,
		"ListSubscriptions":         (*Server).listSubscriptions,
		"ListSubscriptionsByTopic":  (*Server).listSubscriptionsByTopic,
		"Publish":                   (*Server).publish,
		"PublishBatch":              (*Server).publishBatch,
		"TagResource":               (*Server).tagResource,
		"UntagResource":             (*Server).untagResource,
		"ListTagsForResource":       (*Server).listTagsForResource,
	}
}

// SNS errors.

func errSNSInvalidParameter(format string, args ...any) *apiError {
	return snsError(http.StatusBadRequest, "InvalidParameter", format, args...)
}

func errTopicNotFound() *apiError {
	return snsError(http.StatusNotFound, "NotFound", "Topic does not exist")
}

func errSubscriptionNotFound() *apiError {
	return snsError(http.StatusNotFound, "NotFound", "Subscription does not exist")
}

// topic is one SNS topic. Its subscriptions list is replaced, never
// modified in place, so Publish can deliver from a snapshot.
type topic struct {
	name string
	arn  string
	fifo bool

	mu           sync.Mutex
	deleted      bool
	attrs        map[string]string // settable attributes as set
	maxSize      int
	contentDedup bool
	dedupScope   string // FifoThroughputScope: "Topic" or "MessageGroup"
	tags         map[string]string
	subs         []*subscription

	dedup    map[string]dedupEntry
	dedupLog deque[dedupKey]
	seq      uint64
}

// subscription is one subscription of a topic.
type subscription struct {
	arn      string
	topicARN string
	protocol string
	endpoint string

	mu       sync.Mutex
	attrs    map[string]string // settable attributes as set
	raw      bool
	policy   *filter.Policy
	scope    filter.Scope
	policyJS string
}

const snsDefaultMaxSize = 256 << 10

// Settable topic attributes; the delivery-status attributes are matched by suffix.
var topicAttrNames = map[string]bool{
	"DeliveryPolicy": true, "DisplayName": true, "Policy": true, "KmsMasterKeyId": true, "SignatureVersion": true,
	"TracingConfig": true, "ContentBasedDeduplication": true, "FifoTopic": true, "ArchivePolicy": true,
	"FifoThroughputScope": true, "MaximumMessageSize": true, "DataProtectionPolicy": true,
}

func knownTopicAttr(name string) bool {
	if topicAttrNames[name] {
		return true
	}
	for _, suffix := range []string{"SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn"} {
		if strings.HasSuffix(name, suffix) && len(name) > len(suffix) {
			return true
		}
	}
	return false
}

// applyTopicAttr validates and sets one topic attribute. The topic lock is
// held (or the topic is not shared yet).
func (t *topic) applyTopicAttr(name, v string, creating bool) error {
	bad := func() error {
		return errSNSInvalidParameter("Invalid parameter: Attributes Reason: %s: Invalid value [%s]", name, v)
	}
	if !knownTopicAttr(name) {
		return errSNSInvalidParameter("Invalid parameter: AttributeName")
	}
	switch name {
	case "FifoTopic":
		if !creating {
			return errSNSInvalidParameter("Invalid parameter: AttributeName Reason: FifoTopic cannot be changed")
		}
		if (v == "true") != t.fifo {
			return bad()
		}
		return nil
	case "ContentBasedDeduplication":
		if !t.fifo {
			return errSNSInvalidParameter("Invalid parameter: Attributes Reason: Content-based deduplication can only be set for FIFO topics")
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return bad()
		}
		t.contentDedup = b
		v = strconv.FormatBool(b)
	case "FifoThroughputScope":
		if !t.fifo || (v != "Topic" && v != "MessageGroup") {
			return bad()
		}
		t.dedupScope = v
	case "ArchivePolicy":
		if !t.fifo || !json.Valid([]byte(v)) {
			return bad()
		}
	case "SignatureVersion":
		if v != "1" && v != "2" {
			return bad()
		}
	case "TracingConfig":
		if v != "PassThrough" && v != "Active" {
			return bad()
		}
	case "MaximumMessageSize":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1024 || n > 1<<20 {
			return bad()
		}
		t.maxSize = n
	case "Policy", "DeliveryPolicy", "DataProtectionPolicy":
		if v != "" && !json.Valid([]byte(v)) {
			return errSNSInvalidParameter("Invalid parameter: Attributes Reason: %s: failed to parse JSON", name)
		}
	}
	t.attrs[name] = v
	return nil
}

// validTopicName checks a topic name: 1 to 256 ASCII letters, digits,
// hyphens and underscores, with the .fifo suffix for FIFO topics.
func validTopicName(name string, fifo bool) bool {
	base := name
	if fifo {
		var ok bool
		if base, ok = strings.CutSuffix(name, ".fifo"); !ok {
			return false
		}
	}
	if len(base) == 0 || len(name) > 256 {
		return false
	}
	for _, c := range []byte(base) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// mapEntries reads a query-protocol map: prefix.entry.N.key / .value.
func (p params) mapEntries(prefix string) map[string]string {
	var m map[string]string
	p.indexed(prefix+".entry", func(_ int, item string) error {
		if m == nil {
			m = make(map[string]string)
		}
		m[p.get(item+".key")] = p.get(item + ".value")
		return nil
	})
	return m
}

// members reads a query-protocol list: prefix.member.N.
func (p params) members(prefix string) []string {
	var out []string
	p.indexed(prefix+".member", func(_ int, item string) error {
		out = append(out, p.get(item))
		return nil
	})
	return out
}

// tagList reads prefix.member.N.Key / .Value.
func (p params) tagList(prefix string) (map[string]string, error) {
	var m map[string]string
	err := p.indexed(prefix+".member", func(_ int, item string) error {
		if m == nil {
			m = make(map[string]string)
		}
		k := p.get(item + ".Key")
		if k == "" || len(k) > 128 || len(p.get(item+".Value")) > 256 {
			return errSNSInvalidParameter("Invalid parameter: Tags Reason: tag keys must be 1 to 128 characters and values at most 256")
		}
		m[k] = p.get(item + ".Value")
		return nil
	})
	return m, err
}

func (s *Server) createTopic(p params, x *xmlWriter) error {
	name := p.get("Name")
	attrs := p.mapEntries("Attributes")
	fifo := attrs["FifoTopic"] == "true"
	if name == "" {
		return errSNSInvalidParameter("Invalid parameter: Topic Name")
	}
	if !validTopicName(name, fifo) {
		if fifo {
			return errSNSInvalidParameter("Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
		}
		return errSNSInvalidParameter("Invalid parameter: Topic Name")
	}
	tags, err := p.tagList("Tags")
	if err != nil {
		return err
	}
	st := s.state
	t := &topic{name: name, arn: st.topicARN(name), fifo: fifo, attrs: map[string]string{}, maxSize: snsDefaultMaxSize, dedupScope: "Topic", tags: tags}
	if fifo {
		t.dedup = make(map[string]dedupEntry)
	}
	keys := sortedKeys(attrs)
	for _, k := range keys {
		if err := t.applyTopicAttr(k, attrs[k], true); err != nil {
			return err
		}
	}
	st.mu.Lock()
	existing := st.topics[name]
	if existing == nil {
		st.topics[name] = t
	}
	st.mu.Unlock()
	if existing != nil {
		existing.mu.Lock()
		defer existing.mu.Unlock()
		for _, k := range keys {
			if k == "FifoTopic" {
				continue
			}
			if existing.attrs[k] != t.attrs[k] {
				return errSNSInvalidParameter("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
			}
		}
	}
	x.elem("TopicArn", t.arn)
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// topicFromARN resolves a TopicArn parameter.
func (s *Server) topicFromARN(arn, param string) (*topic, error) {
	if arn == "" {
		return nil, errSNSInvalidParameter("Invalid parameter: %s", param)
	}
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" || parts[5] == "" {
		return nil, errSNSInvalidParameter("Invalid parameter: %s", param)
	}
	st := s.state
	if parts[3] != st.region || parts[4] != st.account {
		return nil, errTopicNotFound()
	}
	st.mu.RLock()
	t := st.topics[parts[5]]
	st.mu.RUnlock()
	if t == nil {
		return nil, errTopicNotFound()
	}
	return t, nil
}

func (s *Server) defaultTopicPolicy(t *topic) string {
	acct := s.opts.AccountID
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},` +
		`"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],` +
		`"Resource":"` + t.arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + acct + `"}}}]}`
}

const defaultEffectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

func (s *Server) getTopicAttributes(p params, x *xmlWriter) error {
	t, err := s.topicFromARN(p.get("TopicArn"), "TopicArn")
	if err != nil {
		return err
	}
	t.mu.Lock()
	out := map[string]string{
		"TopicArn":                t.arn,
		"Owner":                   s.opts.AccountID,
		"Policy":                  s.defaultTopicPolicy(t),
		"DisplayName":             "",
		"SubscriptionsConfirmed":  strconv.Itoa(len(t.subs)),
		"SubscriptionsPending":    "0",
		"SubscriptionsDeleted":    "0",
		"EffectiveDeliveryPolicy": defaultEffectiveDeliveryPolicy,
	}
	if t.fifo {
		out["FifoTopic"] = "true"
		out["ContentBasedDeduplication"] = strconv.FormatBool(t.contentDedup)
		out["FifoThroughputScope"] = t.dedupScope
	}
	for k, v := range t.attrs {
		out[k] = v
	}
	t.mu.Unlock()
	x.entries("Attributes", sortedKeys(out), func(k string) string { return out[k] })
	return nil
}

func (s *Server) setTopicAttributes(p params, x *xmlWriter) error {
	t, err := s.topicFromARN(p.get("TopicArn"), "TopicArn")
	if err != nil {
		return err
	}
	name := p.get("AttributeName")
	if name == "" {
		return errSNSInvalidParameter("Invalid parameter: AttributeName")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.applyTopicAttr(name, p.get("AttributeValue"), false)
}

// page returns the items after the token and the token for the next page.
func page(items []string, token string, size int) ([]string, string, error) {
	if token != "" {
		after, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, "", errSNSInvalidParameter("Invalid parameter: NextToken")
		}
		i := sort.SearchStrings(items, string(after))
		for i < len(items) && items[i] <= string(after) {
			i++
		}
		items = items[i:]
	}
	if len(items) > size {
		return items[:size], base64.RawURLEncoding.EncodeToString([]byte(items[size-1])), nil
	}
	return items, "", nil
}

func (s *Server) listTopics(p params, x *xmlWriter) error {
	st := s.state
	st.mu.RLock()
	arns := make([]string, 0, len(st.topics))
	for _, t := range st.topics {
		arns = append(arns, t.arn)
	}
	st.mu.RUnlock()
	sort.Strings(arns)
	arns, next, err := page(arns, p.get("NextToken"), 100)
	if err != nil {
		return err
	}
	x.open("Topics")
	for _, a := range arns {
		x.raw("<member>")
		x.elem("TopicArn", a)
		x.raw("</member>")
	}
	x.close("Topics")
	if next != "" {
		x.elem("NextToken", next)
	}
	return nil
}

// DeleteTopic deletes the topic and its subscriptions. Deleting a topic
// that does not exist succeeds, as AWS documents.
func (s *Server) deleteTopic(p params, x *xmlWriter) error {
	t, err := s.topicFromARN(p.get("TopicArn"), "TopicArn")
	if err != nil {
		if ae, ok := err.(*apiError); ok && ae.code == "NotFound" {
			return nil
		}
		return err
	}
	st := s.state
	t.mu.Lock()
	t.deleted = true
	subs := t.subs
	t.subs = nil
	t.mu.Unlock()
	st.mu.Lock()
	if st.topics[t.name] == t {
		delete(st.topics, t.name)
	}
	for _, sub := range subs {
		delete(st.subs, sub.arn)
	}
	st.mu.Unlock()
	return nil
}

// resource is what TagResource and friends address: a topic (SNS tags
// topics only).
func (s *Server) taggedTopic(p params) (*topic, error) {
	arn := p.get("ResourceArn")
	t, err := s.topicFromARN(arn, "ResourceArn")
	if err != nil {
		if ae, ok := err.(*apiError); ok && ae.code == "NotFound" {
			return nil, snsError(http.StatusNotFound, "ResourceNotFound", "Resource does not exist")
		}
		return nil, err
	}
	return t, nil
}

func (s *Server) tagResource(p params, x *xmlWriter) error {
	t, err := s.taggedTopic(p)
	if err != nil {
		return err
	}
	tags, err := p.tagList("Tags")
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tags == nil {
		t.tags = make(map[string]string)
	}
	for k, v := range tags {
		t.tags[k] = v
	}
	if len(t.tags) > 50 {
		return snsError(http.StatusBadRequest, "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded")
	}
	return nil
}

func (s *Server) untagResource(p params, x *xmlWriter) error {
	t, err := s.taggedTopic(p)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range p.members("TagKeys") {
		delete(t.tags, k)
	}
	return nil
}

func (s *Server) listTagsForResource(p params, x *xmlWriter) error {
	t, err := s.taggedTopic(p)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	x.open("Tags")
	for _, k := range sortedKeys(t.tags) {
		x.raw("<member>")
		x.elem("Key", k)
		x.elem("Value", t.tags[k])
		x.raw("</member>")
	}
	x.close("Tags")
	return nil
}
