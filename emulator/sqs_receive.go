package emulator

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// System attribute names ReceiveMessage can return.
var systemAttrNames = []string{
	"SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
	"SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "DeadLetterQueueSourceArn",
}

// receiveSelection is which attributes a ReceiveMessage call asked for.
type receiveSelection struct {
	system      map[string]bool // nil: none
	allUser     bool
	userNames   map[string]bool
	userPrefix  []string
	anySelected bool
}

func newSelection(system, user []string) (receiveSelection, error) {
	var sel receiveSelection
	for _, n := range system {
		if sel.system == nil {
			sel.system = make(map[string]bool)
		}
		switch n {
		case "All":
			for _, a := range systemAttrNames {
				sel.system[a] = true
			}
		default:
			if !validSystemAttr(n) {
				return sel, errInvalidAttributeName("Unknown Attribute %s.", n)
			}
			sel.system[n] = true
		}
	}
	for _, n := range user {
		switch {
		case n == "All" || n == ".*":
			sel.allUser = true
		case strings.HasSuffix(n, ".*"):
			sel.userPrefix = append(sel.userPrefix, strings.TrimSuffix(n, "*"))
		default:
			if sel.userNames == nil {
				sel.userNames = make(map[string]bool)
			}
			sel.userNames[n] = true
		}
	}
	sel.anySelected = sel.allUser || len(sel.userNames) > 0 || len(sel.userPrefix) > 0
	return sel, nil
}

func validSystemAttr(n string) bool {
	for _, a := range systemAttrNames {
		if a == n {
			return true
		}
	}
	// Queue attribute names are accepted in the deprecated AttributeNames
	// list and select nothing.
	return knownQueueAttr(n)
}

func (sel *receiveSelection) wantsUser(name string) bool {
	if sel.allUser || sel.userNames[name] {
		return true
	}
	for _, p := range sel.userPrefix {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (s *Server) receiveMessage(req *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl                    string
		AttributeNames              []string
		MessageSystemAttributeNames []string
		MessageAttributeNames       []string
		MaxNumberOfMessages         *int64
		VisibilityTimeout           *int64
		WaitTimeSeconds             *int64
		ReceiveRequestAttemptId     string
	}
	r := jsonReader{b: body}
	if err := r.top(func(k string) {
		switch k {
		case "QueueUrl":
			in.QueueUrl = r.str()
		case "AttributeNames":
			in.AttributeNames = r.strings()
		case "MessageSystemAttributeNames":
			in.MessageSystemAttributeNames = r.strings()
		case "MessageAttributeNames":
			in.MessageAttributeNames = r.strings()
		case "MaxNumberOfMessages":
			in.MaxNumberOfMessages = r.int64Ptr()
		case "VisibilityTimeout":
			in.VisibilityTimeout = r.int64Ptr()
		case "WaitTimeSeconds":
			in.WaitTimeSeconds = r.int64Ptr()
		case "ReceiveRequestAttemptId":
			in.ReceiveRequestAttemptId = r.str()
		default:
			r.skip()
		}
	}); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	n := int64(1)
	if in.MaxNumberOfMessages != nil {
		n = *in.MaxNumberOfMessages
		if n < 1 || n > 10 {
			return nil, errInvalidParameterValue("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", n)
		}
	}
	if in.VisibilityTimeout != nil {
		if err := checkVisibility(*in.VisibilityTimeout); err != nil {
			return nil, err
		}
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return nil, errInvalidParameterValue("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
	}
	if in.ReceiveRequestAttemptId != "" && !validDedupOrGroupID(in.ReceiveRequestAttemptId) {
		return nil, errInvalidParameterValue("Value %s for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.", in.ReceiveRequestAttemptId)
	}
	sel, err := newSelection(append(in.AttributeNames, in.MessageSystemAttributeNames...), in.MessageAttributeNames)
	if err != nil {
		return nil, err
	}
	cfg := q.config()
	vis := cfg.visibility
	if in.VisibilityTimeout != nil {
		vis = time.Duration(*in.VisibilityTimeout) * time.Second
	}
	wait := cfg.receiveWait
	if in.WaitTimeSeconds != nil {
		wait = time.Duration(*in.WaitTimeSeconds) * time.Second
	}

	ctx := req.Context()
	deadline := time.Now().Add(wait)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		now := s.now()
		res, err := q.receive(int(n), vis, now.UnixNano(), s.state.queue)
		if err != nil {
			return nil, err
		}
		if len(res.moved) > 0 {
			res.dlq.accept(res.moved, q.arn, now.UnixNano())
		}
		if len(res.msgs) > 0 {
			s.stats.received.Add(int64(len(res.msgs)))
			return s.encodeMessages(res.msgs, &sel), nil
		}
		left := time.Until(deadline)
		if left <= 0 || s.isDone() {
			return nil, nil
		}
		if res.next != 0 {
			// Wake when the next delayed or in-flight message turns visible.
			// The clock may be fake: never wait less than a millisecond.
			if d := time.Duration(res.next - now.UnixNano()); d < left {
				left = max(d, time.Millisecond)
			}
		}
		if timer == nil {
			timer = time.NewTimer(left)
		} else {
			timer.Reset(left)
		}
		select {
		case <-res.wake:
		case <-timer.C:
		case <-ctx.Done():
			return nil, nil
		case <-s.done:
			return nil, nil
		}
	}
}

// encodeMessages writes the ReceiveMessage response by hand: it is the
// hottest response and the shape is fixed.
func (s *Server) encodeMessages(msgs []received, sel *receiveSelection) []byte {
	size := 16
	for _, r := range msgs {
		size += len(r.m.body) + 256
	}
	b := make([]byte, 0, size)
	b = append(b, `{"Messages":[`...)
	for i, r := range msgs {
		m := r.m
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if sel.system != nil {
			b = s.appendSystemAttrs(b, r, sel)
		}
		b = append(b, `"Body":`...)
		b = appendJSONString(b, m.body)
		b = append(b, `,"MD5OfBody":"`...)
		b = hex.AppendEncode(b, m.md5Body[:])
		b = append(b, '"')
		if sel.anySelected && len(m.attrs) > 0 {
			chosen := m.attrs
			if !sel.allUser {
				chosen = nil
				for _, a := range m.attrs {
					if sel.wantsUser(a.name) {
						chosen = append(chosen, a)
					}
				}
			}
			if len(chosen) > 0 {
				b = append(b, `,"MD5OfMessageAttributes":"`...)
				b = append(b, md5OfAttributes(chosen)...)
				b = append(b, `","MessageAttributes":{`...)
				for j, a := range chosen {
					if j > 0 {
						b = append(b, ',')
					}
					b = appendJSONString(b, a.name)
					b = append(b, `:{"DataType":`...)
					b = appendJSONString(b, a.dataType)
					if a.isBinary() {
						b = append(b, `,"BinaryValue":"`...)
						b = base64.StdEncoding.AppendEncode(b, a.bin)
						b = append(b, '"')
					} else {
						b = append(b, `,"StringValue":`...)
						b = appendJSONString(b, a.str)
					}
					b = append(b, '}')
				}
				b = append(b, '}')
			}
		}
		b = append(b, `,"MessageId":"`...)
		b = append(b, m.id.String()...)
		b = append(b, `","ReceiptHandle":"`...)
		b = append(b, r.receipt...)
		b = append(b, `"}`...)
	}
	b = append(b, "]}"...)
	return b
}

func (s *Server) appendSystemAttrs(b []byte, r received, sel *receiveSelection) []byte {
	m := r.m
	b = append(b, `"Attributes":{`...)
	first := true
	add := func(name, value string) {
		if !sel.system[name] {
			return
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		b = appendJSONString(b, value)
	}
	ms := func(ns int64) string { return strconv.FormatInt(ns/int64(time.Millisecond), 10) }
	add("SenderId", s.opts.AccountID)
	add("SentTimestamp", ms(m.sent))
	add("ApproximateReceiveCount", strconv.Itoa(int(r.recvCount)))
	add("ApproximateFirstReceiveTimestamp", ms(r.firstRecv))
	if e := m.ext; e != nil {
		if e.seq != 0 {
			add("SequenceNumber", formatSeq(e.seq))
		}
		if e.dedupID != "" {
			add("MessageDeduplicationId", e.dedupID)
		}
		if e.group != "" {
			add("MessageGroupId", e.group)
		}
		if e.trace != "" {
			add("AWSTraceHeader", e.trace)
		}
		if e.dlqSource != "" {
			add("DeadLetterQueueSourceArn", e.dlqSource)
		}
	}
	return append(b, "},"...)
}

// appendJSONString appends s as a JSON string. s is valid UTF-8 (message
// bodies and attributes are validated on the way in); any invalid byte is
// replaced all the same.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
