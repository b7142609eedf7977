package emulator

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"

	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sqsflow/sqsflow/emulator/internal/filter"
)

// publishInput is one message to publish: Publish's parameters or one
// PublishBatch entry.
type publishInput struct {
	id        string // batch entry id
	message   string
	subject   string
	hasSubj   bool
	structure string
	attrs     []msgAttr // sorted by name
	group     string
	dedupID   string
	hasDedup  bool
}

// readPublish reads a publish request's parameters; prefix is "" for
// Publish and "PublishBatchRequestEntries.member.N." for a batch entry.
func (p params) readPublish(prefix string) (publishInput, error) {
	in := publishInput{
		id:        p.get(prefix + "Id"),
		message:   p.get(prefix + "Message"),
		subject:   p.get(prefix + "Subject"),
		hasSubj:   p.has(prefix + "Subject"),
		structure: p.get(prefix + "MessageStructure"),
		group:     p.get(prefix + "MessageGroupId"),
		dedupID:   p.get(prefix + "MessageDeduplicationId"),
		hasDedup:  p.has(prefix + "MessageDeduplicationId"),
	}
	err := p.indexed(prefix+"MessageAttributes.entry", func(_ int, item string) error {
		a := msgAttr{name: p.get(item + ".Name"), dataType: p.get(item + ".Value.DataType"), str: p.get(item + ".Value.StringValue")}
		if b64 := p.get(item + ".Value.BinaryValue"); b64 != "" {
			bin, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return errSNSInvalidParameter("Invalid parameter: MessageAttributes Reason: The message attribute '%s' has an invalid binary value: not base64.", a.name)
			}
			a.bin = bin
		}
		in.attrs = append(in.attrs, a)
		return nil
	})
	sortAttrs(in.attrs)
	return in, err
}

// validSubject checks a Subject as AWS documents it: ASCII text beginning
// with a letter, number or punctuation mark, without line breaks or control
// characters, shorter than 100 characters.
func validSubject(s string) bool {
	if s == "" || len(s) >= 100 {
		return false
	}
	for i, c := range []byte(s) {
		if c < 0x20 || c > 0x7e || (i == 0 && c == ' ') {
			return false
		}
	}
	return true
}

func validateSNSAttr(a msgAttr, seen map[string]bool) error {
	bad := func(format string, args ...any) error {
		return errSNSInvalidParameter("Invalid parameter: MessageAttributes Reason: "+format, args...)
	}
	if err := validAttrName(a.name); err != nil {
		return bad("The message attribute name '%s' is invalid.", a.name)
	}
	if seen[a.name] {
		return bad("The message attribute '%s' is repeated.", a.name)
	}
	seen[a.name] = true
	base, _, _ := strings.Cut(a.dataType, ".")
	switch {
	case a.dataType == "":
		return bad("The message attribute '%s' must contain non-empty message attribute type.", a.name)
	case a.dataType == "String.Array":
		var arr []any
		if a.str == "" || json.Unmarshal([]byte(a.str), &arr) != nil {
			return bad("The message attribute '%s' with type 'String.Array' must be a JSON array.", a.name)
		}
	case base == "String" || base == "Number":
		if a.str == "" {
			return bad("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", a.name, base)
		}
		if base == "Number" && !validNumber(a.str) {
			return bad("Could not cast message attribute '%s' value to number.", a.name)
		}
	case base == "Binary":
		if len(a.bin) == 0 {
			return bad("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", a.name)
		}
	default:
		return bad("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", a.name)
	}
	return nil
}

// validatePublish checks one message against the topic's rules and
// returns the message each subscription protocol gets.
func (s *Server) validatePublish(t *topic, in *publishInput, maxSize int, contentDedup bool) (sqsMessage string, err error) {
	if in.message == "" {
		return "", errSNSInvalidParameter("Invalid parameter: Empty message")
	}
	if in.hasSubj && !validSubject(in.subject) {
		return "", errSNSInvalidParameter("Invalid parameter: Subject")
	}
	seen := make(map[string]bool, len(in.attrs))
	for _, a := range in.attrs {
		if err := validateSNSAttr(a, seen); err != nil {
			return "", err
		}
	}
	if len(in.message)+attrsSize(in.attrs) > maxSize {
		return "", errSNSInvalidParameter("Invalid parameter: Message too long")
	}
	if in.group != "" && !validDedupOrGroupID(in.group) {
		return "", errSNSInvalidParameter("Invalid parameter: MessageGroupId Reason: MessageGroupId can contain up to 128 alphanumeric and punctuation characters")
	}
	if in.hasDedup && !validDedupOrGroupID(in.dedupID) {
		return "", errSNSInvalidParameter("Invalid parameter: MessageDeduplicationId Reason: MessageDeduplicationId can contain up to 128 alphanumeric and punctuation characters")
	}
	if t.fifo {
		if in.group == "" {
			return "", errSNSInvalidParameter("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
		}
		if !in.hasDedup && !contentDedup {
			return "", errSNSInvalidParameter("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
	} else if in.hasDedup {
		return "", errSNSInvalidParameter("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	sqsMessage = in.message
	switch in.structure {
	case "":
	case "json":
		var byProto map[string]any
		if err := json.Unmarshal([]byte(in.message), &byProto); err != nil {
			return "", errSNSInvalidParameter("Invalid parameter: Message Structure - JSON message body failed to parse")
		}
		def, ok := byProto["default"].(string)
		if !ok {
			return "", errSNSInvalidParameter("Invalid parameter: Message Structure - No default entry in JSON message body")
		}
		sqsMessage = def
		if m, ok := byProto["sqs"].(string); ok {
			sqsMessage = m
		}
	default:
		return "", errSNSInvalidParameter("Invalid parameter: MessageStructure")
	}
	return sqsMessage, nil
}

// published is the outcome of one accepted publish.
type published struct {
	id  msgID
	seq uint64 // FIFO topics only
}

// publishOne validates and delivers one message to every matching
// subscription. Delivery to SQS happens before Publish returns: when the
// call returns, the messages are in the queues.
func (s *Server) publishOne(t *topic, in *publishInput) (published, error) {
	t.mu.Lock()
	maxSize, contentDedup, scope := t.maxSize, t.contentDedup, t.dedupScope
	t.mu.Unlock()
	sqsMessage, err := s.validatePublish(t, in, maxSize, contentDedup)
	if err != nil {
		return published{}, err
	}
	now := s.now()
	res := published{id: newMsgID()}
	if t.fifo && !in.hasDedup {
		sum := sha256.Sum256([]byte(in.message))
		in.dedupID = hex.EncodeToString(sum[:])
	}

	t.mu.Lock()
	if t.deleted {
		t.mu.Unlock()
		return published{}, errTopicNotFound()
	}
	if t.fifo {
		key := in.dedupID
		if scope == "MessageGroup" {
			key = in.group + "\x00" + key
		}
		nowNS := now.UnixNano()
		for t.dedupLog.len() > 0 && t.dedupLog.front().expires <= nowNS {
			k := t.dedupLog.popFront()
			if e, ok := t.dedup[k.key]; ok && e.expires == k.expires {
				delete(t.dedup, k.key)
			}
		}
		if e, ok := t.dedup[key]; ok {
			t.mu.Unlock()
			return published{id: e.id, seq: e.seq}, nil // accepted, not delivered again
		}
		t.seq++
		res.seq = fifoSequenceBase + t.seq
		exp := nowNS + int64(dedupInterval)
		t.dedup[key] = dedupEntry{expires: exp, id: res.id, seq: res.seq}
		t.dedupLog.pushBack(dedupKey{key: key, expires: exp})
	}
	subs := t.subs
	t.mu.Unlock()

	s.stats.published.Add(1)
	var fattrs map[string]filter.Attribute
	for _, sub := range subs {
		sub.mu.Lock()
		raw, policy := sub.raw, sub.policy
		sub.mu.Unlock()
		if policy != nil {
			if fattrs == nil {
				fattrs = filterAttributes(in.attrs)
			}
			if !policy.Match(fattrs, sqsMessage) {
				continue
			}
		}
		s.deliver(t, sub, in, sqsMessage, raw, res, now)
	}
	return res, nil
}

// filterAttributes presents message attributes to the filter engine:
// Binary values base64 encoded.
func filterAttributes(attrs []msgAttr) map[string]filter.Attribute {
	m := make(map[string]filter.Attribute, len(attrs))
	for _, a := range attrs {
		v := a.str
		if a.isBinary() {
			v = base64.StdEncoding.EncodeToString(a.bin)
		}
		m[a.name] = filter.Attribute{Type: a.dataType, Value: v}
	}
	return m
}

// deliver puts one published message into a subscribed queue, as the
// notification JSON or, with raw delivery, as the bare message with its
// attributes. A queue that does not exist, or that refuses the message,
// loses it, as a failed delivery without a redrive policy does on AWS.
func (s *Server) deliver(t *topic, sub *subscription, in *publishInput, sqsMessage string, raw bool, pub published, now time.Time) {
	q := s.state.queueByARN(sub.endpoint)
	if q == nil {
		return
	}
	m := &message{id: newMsgID(), sent: now.UnixNano()}
	if raw {
		if len(in.attrs) > maxMessageAttributes {
			return // AWS discards raw deliveries with more than 10 attributes
		}
		m.body = sqsMessage
		if in.structure == "" {
			m.attrs = in.attrs
		}
	} else {
		m.body = s.notification(t, sub, in, sqsMessage, pub, now)
	}
	if !validBody(m.body) {
		return
	}
	m.md5Body = md5.Sum([]byte(m.body))
	var ext msgExt
	if q.fifo {
		ext.group, ext.dedupID = in.group, in.dedupID
	} else if !t.fifo && in.group != "" {
		ext.group = in.group // standard topics forward MessageGroupId to fair queues
	}
	if ext != (msgExt{}) {
		m.ext = &ext
	}
	cfg := q.config()
	if len(m.body)+attrsSize(m.attrs) > cfg.maxSize {
		return
	}
	if res, err := q.send([]pending{{m: m, delay: cfg.delay}}, now.UnixNano()); err == nil && !res[0].duplicate {
		s.stats.sent.Add(1)
	}
}

// notification renders the JSON document SNS delivers to a non-raw
// subscription, with AWS's field order and layout.
func (s *Server) notification(t *topic, sub *subscription, in *publishInput, msg string, pub published, now time.Time) string {
	b := make([]byte, 0, len(msg)+768)
	field := func(name, value string, last bool) {
		b = append(b, "  \""...)
		b = append(b, name...)
		b = append(b, "\" : "...)
		b = appendJSONString(b, value)
		if !last {
			b = append(b, ',')
		}
		b = append(b, '\n')
	}
	b = append(b, "{\n"...)
	field("Type", "Notification", false)
	field("MessageId", pub.id.String(), false)
	if t.fifo {
		field("SequenceNumber", formatSeq(pub.seq), false)
	}
	field("TopicArn", t.arn, false)
	if in.hasSubj {
		field("Subject", in.subject, false)
	}
	field("Message", msg, false)
	field("Timestamp", now.UTC().Format("2006-01-02T15:04:05.000Z"), false)
	withAttrs := len(in.attrs) > 0 && in.structure == ""
	unsubscribe := s.endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + sub.arn
	if !t.fifo {
		// FIFO topics do not sign their notifications.
		field("SignatureVersion", signatureVersion(t), false)
		field("Signature", fakeSignature(pub.id, msg), false)
		field("SigningCertURL", s.endpoint+"/_emulator/SimpleNotificationService.pem", false)
	}
	field("UnsubscribeURL", unsubscribe, !withAttrs)
	if withAttrs {
		b = append(b, "  \"MessageAttributes\" : {\n"...)
		for i, a := range in.attrs {
			b = append(b, "    "...)
			b = appendJSONString(b, a.name)
			b = append(b, " : {\n      \"Type\" : "...)
			b = appendJSONString(b, a.dataType)
			b = append(b, ",\n      \"Value\" : "...)
			if a.isBinary() {
				b = appendJSONString(b, base64.StdEncoding.EncodeToString(a.bin))
			} else {
				b = appendJSONString(b, a.str)
			}
			b = append(b, "\n    }"...)
			if i < len(in.attrs)-1 {
				b = append(b, ',')
			}
			b = append(b, '\n')
		}
		b = append(b, "  }\n"...)
	}
	b = append(b, '}')
	return string(b)
}

func signatureVersion(t *topic) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if v := t.attrs["SignatureVersion"]; v != "" {
		return v
	}
	return "1"
}

// fakeSignature is a stand-in for SNS's RSA signature: the emulator has no
// key, so it signs nothing; the value only looks like a signature.
func fakeSignature(id msgID, msg string) string {
	h := sha256.New()
	h.Write(id[:])
	h.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func (s *Server) publishTopic(p params) (*topic, error) {
	if p.get("PhoneNumber") != "" {
		return nil, errSNSInvalidParameter("Invalid parameter: PhoneNumber Reason: the sqsflow emulator does not send SMS")
	}
	arn := p.get("TopicArn")
	param := "TopicArn"
	if arn == "" {
		arn, param = p.get("TargetArn"), "TargetArn"
	}
	if arn == "" {
		return nil, errSNSInvalidParameter("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	return s.topicFromARN(arn, param)
}

func (s *Server) publish(p params, x *xmlWriter) error {
	t, err := s.publishTopic(p)
	if err != nil {
		return err
	}
	in, err := p.readPublish("")
	if err != nil {
		return err
	}
	res, err := s.publishOne(t, &in)
	if err != nil {
		return err
	}
	x.elem("MessageId", res.id.String())
	if t.fifo {
		x.elem("SequenceNumber", formatSeq(res.seq))
	}
	return nil
}

func (s *Server) publishBatch(p params, x *xmlWriter) error {
	t, err := s.topicFromARN(p.get("TopicArn"), "TopicArn")
	if err != nil {
		return err
	}
	var entries []publishInput
	err = p.indexed("PublishBatchRequestEntries.member", func(i int, item string) error {
		in, err := p.readPublish(item + ".")
		if err != nil {
			// An unreadable entry fails the request: its id cannot be trusted either.
			return err
		}
		entries = append(entries, in)
		return nil
	})
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return snsError(http.StatusBadRequest, "EmptyBatchRequest", "The batch request doesn't contain any entries")
	}
	if len(entries) > maxBatchEntries {
		return snsError(http.StatusBadRequest, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range entries {
		if !validBatchID(e.id) {
			return snsError(http.StatusBadRequest, "InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification")
		}
		if seen[e.id] {
			return snsError(http.StatusBadRequest, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id")
		}
		seen[e.id] = true
		total += len(e.message) + attrsSize(e.attrs)
	}
	t.mu.Lock()
	limit := t.maxSize
	t.mu.Unlock()
	if total > limit {
		return snsError(http.StatusBadRequest, "BatchRequestTooLong", "The length of all the messages put together is more than the limit")
	}
	type ok struct {
		id  string
		res published
	}
	var good []ok
	var failed []*apiError
	var failedIDs []string
	for i := range entries {
		res, err := s.publishOne(t, &entries[i])
		if err != nil {
			ae, isAPI := err.(*apiError)
			if !isAPI {
				ae = errInternal("%v", err)
			}
			failed = append(failed, ae)
			failedIDs = append(failedIDs, entries[i].id)
			continue
		}
		good = append(good, ok{entries[i].id, res})
	}
	x.open("Successful")
	for _, g := range good {
		x.raw("<member>")
		x.elem("Id", g.id)
		x.elem("MessageId", g.res.id.String())
		if t.fifo {
			x.elem("SequenceNumber", formatSeq(g.res.seq))
		}
		x.raw("</member>")
	}
	x.close("Successful")
	x.open("Failed")
	for i, f := range failed {
		x.raw("<member>")
		x.elem("Id", failedIDs[i])
		x.elem("Code", f.code)
		x.elem("Message", f.msg)
		x.elem("SenderFault", strconv.FormatBool(!f.receiver))
		x.raw("</member>")
	}
	x.close("Failed")
	return nil
}
