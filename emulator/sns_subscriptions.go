package emulator

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/sqsflow/sqsflow/emulator/internal/filter"
)

// Settable subscription attributes.
var subscriptionAttrNames = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

// subscriptionConfig is a subscription's settable state, validated together
// because FilterPolicy and FilterPolicyScope depend on each other.
type subscriptionConfig struct {
	attrs    map[string]string
	raw      bool
	policy   *filter.Policy
	scope    filter.Scope
	policyJS string
}

// apply validates attrs on top of c. wrap turns a reason into the error
// text the calling action uses: Subscribe reports "Invalid parameter:
// Attributes Reason: ...", SetSubscriptionAttributes "Invalid parameter: ...".
func (c *subscriptionConfig) apply(attrs map[string]string, wrap func(reason string) error) error {
	next := subscriptionConfig{attrs: make(map[string]string, len(c.attrs)+len(attrs)), raw: c.raw, scope: c.scope, policyJS: c.policyJS}
	for k, v := range c.attrs {
		next.attrs[k] = v
	}
	for _, name := range sortedKeys(attrs) {
		v := attrs[name]
		if !subscriptionAttrNames[name] {
			return errSNSInvalidParameter("Invalid parameter: AttributeName")
		}
		switch name {
		case "RawMessageDelivery":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return wrap("RawMessageDelivery: Invalid value [" + v + "]. Must be true or false.")
			}
			next.raw = b
			v = strconv.FormatBool(b)
		case "FilterPolicyScope":
			sc, err := filter.ParseScope(v)
			if err != nil {
				return wrap(filterReason(err))
			}
			next.scope = sc
			v = sc.String()
		case "FilterPolicy":
			next.policyJS = v
		case "RedrivePolicy", "DeliveryPolicy", "ReplayPolicy":
			if v != "" && !json.Valid([]byte(v)) {
				return wrap(name + ": failed to parse JSON")
			}
			if name == "RedrivePolicy" && v != "" {
				var rp struct{ DeadLetterTargetArn string }
				if json.Unmarshal([]byte(v), &rp) != nil || !strings.HasPrefix(rp.DeadLetterTargetArn, "arn:aws:sqs:") {
					return wrap("RedrivePolicy: deadLetterTargetArn is invalid")
				}
			}
		}
		if v == "" {
			delete(next.attrs, name)
		} else {
			next.attrs[name] = v
		}
	}
	// An empty policy, or "{}", removes filtering.
	if js := strings.TrimSpace(next.policyJS); js != "" && js != "{}" {
		pol, err := filter.Parse(next.policyJS, next.scope)
		if err != nil {
			return wrap(filterReason(err))
		}
		next.policy = pol
	} else {
		next.policyJS = ""
		delete(next.attrs, "FilterPolicy")
	}
	*c = next
	return nil
}

func filterReason(err error) string {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return fe.Reason
	}
	return err.Error()
}

func (sub *subscription) config() subscriptionConfig {
	return subscriptionConfig{attrs: sub.attrs, raw: sub.raw, policy: sub.policy, scope: sub.scope, policyJS: sub.policyJS}
}

func (sub *subscription) setConfig(c subscriptionConfig) {
	sub.attrs, sub.raw, sub.policy, sub.scope, sub.policyJS = c.attrs, c.raw, c.policy, c.scope, c.policyJS
}

// parseSQSEndpoint checks an sqs subscription endpoint: a queue ARN.
func parseSQSEndpoint(arn string) (name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || parts[3] == "" || parts[4] == "" {
		return "", false
	}
	return parts[5], validQueueName(parts[5], strings.HasSuffix(parts[5], ".fifo"))
}

func (s *Server) subscribe(p params, x *xmlWriter) error {
	t, err := s.topicFromARN(p.get("TopicArn"), "TopicArn")
	if err != nil {
		return err
	}
	protocol, endpoint := p.get("Protocol"), p.get("Endpoint")
	switch {
	case protocol == "":
		return errSNSInvalidParameter("Invalid parameter: Protocol")
	case protocol != "sqs":
		return errSNSInvalidParameter("Invalid parameter: Protocol Reason: the sqsflow emulator delivers to sqs endpoints only, not %q", protocol)
	}
	qname, ok := parseSQSEndpoint(endpoint)
	if !ok {
		return errSNSInvalidParameter("Invalid parameter: SQS endpoint ARN")
	}
	if strings.HasSuffix(qname, ".fifo") && !t.fifo {
		return errSNSInvalidParameter("Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
	}
	var cfg subscriptionConfig
	if err := cfg.apply(p.mapEntries("Attributes"), func(reason string) error {
		return errSNSInvalidParameter("Invalid parameter: Attributes Reason: %s", reason)
	}); err != nil {
		return err
	}

	st := s.state
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.deleted {
		return errTopicNotFound()
	}
	for _, sub := range t.subs {
		if sub.protocol == protocol && sub.endpoint == endpoint {
			sub.mu.Lock()
			same := equalAttrs(sub.attrs, cfg.attrs)
			sub.mu.Unlock()
			if !same {
				return errSNSInvalidParameter("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
			}
			x.elem("SubscriptionArn", sub.arn)
			return nil
		}
	}
	sub := &subscription{arn: t.arn + ":" + newMsgID().String(), topicARN: t.arn, protocol: protocol, endpoint: endpoint}
	sub.setConfig(cfg)
	subs := make([]*subscription, len(t.subs), len(t.subs)+1)
	copy(subs, t.subs)
	t.subs = append(subs, sub)
	st.mu.Lock()
	st.subs[sub.arn] = sub
	st.mu.Unlock()
	x.elem("SubscriptionArn", sub.arn)
	return nil
}

func equalAttrs(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// confirmSubscription answers for the subscriptions the emulator has:
// they are confirmed from the start, so any token confirms.
func (s *Server) confirmSubscription(p params, x *xmlWriter) error {
	t, err := s.topicFromARN(p.get("TopicArn"), "TopicArn")
	if err != nil {
		return err
	}
	if p.get("Token") == "" {
		return errSNSInvalidParameter("Invalid parameter: Token")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.subs) == 0 {
		return errSNSInvalidParameter("Invalid token")
	}
	x.elem("SubscriptionArn", t.subs[0].arn)
	return nil
}

func (s *Server) subscriptionFromARN(arn string) (*subscription, error) {
	if arn == "" {
		return nil, errSNSInvalidParameter("Invalid parameter: SubscriptionArn")
	}
	if strings.Count(arn, ":") != 6 || !strings.HasPrefix(arn, "arn:aws:sns:") {
		return nil, errSNSInvalidParameter("Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not %d", strings.Count(arn, ":")+1)
	}
	st := s.state
	st.mu.RLock()
	sub := st.subs[arn]
	st.mu.RUnlock()
	if sub == nil {
		return nil, errSubscriptionNotFound()
	}
	return sub, nil
}

func (s *Server) unsubscribe(p params, x *xmlWriter) error {
	sub, err := s.subscriptionFromARN(p.get("SubscriptionArn"))
	if err != nil {
		return err
	}
	st := s.state
	st.mu.RLock()
	t := st.topics[sub.topicARN[strings.LastIndexByte(sub.topicARN, ':')+1:]]
	st.mu.RUnlock()
	if t != nil {
		t.mu.Lock()
		subs := make([]*subscription, 0, len(t.subs))
		for _, o := range t.subs {
			if o != sub {
				subs = append(subs, o)
			}
		}
		t.subs = subs
		t.mu.Unlock()
	}
	st.mu.Lock()
	delete(st.subs, sub.arn)
	st.mu.Unlock()
	return nil
}

func (s *Server) getSubscriptionAttributes(p params, x *xmlWriter) error {
	sub, err := s.subscriptionFromARN(p.get("SubscriptionArn"))
	if err != nil {
		return err
	}
	out := map[string]string{
		"SubscriptionArn":              sub.arn,
		"TopicArn":                     sub.topicARN,
		"Owner":                        s.opts.AccountID,
		"Protocol":                     sub.protocol,
		"Endpoint":                     sub.endpoint,
		"ConfirmationWasAuthenticated": "true",
		"PendingConfirmation":          "false",
		"RawMessageDelivery":           "false",
		"SubscriptionPrincipal":        "arn:aws:iam::" + s.opts.AccountID + ":root",
		"EffectiveDeliveryPolicy":      defaultEffectiveDeliveryPolicy,
	}
	sub.mu.Lock()
	for k, v := range sub.attrs {
		out[k] = v
	}
	if sub.policy != nil {
		out["FilterPolicyScope"] = sub.scope.String()
	}
	sub.mu.Unlock()
	x.entries("Attributes", sortedKeys(out), func(k string) string { return out[k] })
	return nil
}

func (s *Server) setSubscriptionAttributes(p params, x *xmlWriter) error {
	sub, err := s.subscriptionFromARN(p.get("SubscriptionArn"))
	if err != nil {
		return err
	}
	name := p.get("AttributeName")
	if name == "" {
		return errSNSInvalidParameter("Invalid parameter: AttributeName")
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	cfg := sub.config()
	if err := cfg.apply(map[string]string{name: p.get("AttributeValue")}, func(reason string) error {
		return errSNSInvalidParameter("Invalid parameter: %s", reason)
	}); err != nil {
		return err
	}
	sub.setConfig(cfg)
	return nil
}

func writeSubscriptions(x *xmlWriter, subs []*subscription, owner string) {
	x.open("Subscriptions")
	for _, sub := range subs {
		x.raw("<member>")
		x.elem("SubscriptionArn", sub.arn)
		x.elem("Owner", owner)
		x.elem("Protocol", sub.protocol)
		x.elem("Endpoint", sub.endpoint)
		x.elem("TopicArn", sub.topicARN)
		x.raw("</member>")
	}
	x.close("Subscriptions")
}

func (s *Server) listSubscriptionsPage(x *xmlWriter, all []*subscription, token string) error {
	byARN := make(map[string]*subscription, len(all))
	arns := make([]string, 0, len(all))
	for _, sub := range all {
		byARN[sub.arn] = sub
		arns = append(arns, sub.arn)
	}
	sort.Strings(arns)
	arns, next, err := page(arns, token, 100)
	if err != nil {
		return err
	}
	subs := make([]*subscription, len(arns))
	for i, a := range arns {
		subs[i] = byARN[a]
	}
	writeSubscriptions(x, subs, s.opts.AccountID)
	if next != "" {
		x.elem("NextToken", next)
	}
	return nil
}

func (s *Server) listSubscriptions(p params, x *xmlWriter) error {
	st := s.state
	st.mu.RLock()
	all := make([]*subscription, 0, len(st.subs))
	for _, sub := range st.subs {
		all = append(all, sub)
	}
	st.mu.RUnlock()
	return s.listSubscriptionsPage(x, all, p.get("NextToken"))
}

func (s *Server) listSubscriptionsByTopic(p params, x *xmlWriter) error {
	t, err := s.topicFromARN(p.get("TopicArn"), "TopicArn")
	if err != nil {
		return err
	}
	t.mu.Lock()
	subs := t.subs
	t.mu.Unlock()
	return s.listSubscriptionsPage(x, subs, p.get("NextToken"))
}
