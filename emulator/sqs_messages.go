package emulator

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// attrValue is a message attribute as the JSON protocol carries it; BinaryValue
// arrives base64 encoded and encoding/json decodes it.
type attrValue struct {
	DataType         string
	StringValue      *string
	BinaryValue      []byte
	StringListValues []string
	BinaryListValues [][]byte
}

// sendEntry is SendMessage's input and one SendMessageBatch entry.
type sendEntry struct {
	Id                      string
	MessageBody             *string
	DelaySeconds            *int64
	MessageAttributes       map[string]attrValue
	MessageSystemAttributes map[string]attrValue
	MessageDeduplicationId  *string
	MessageGroupId          *string
}

// sendOutput is SendMessage's output and one successful batch entry.
type sendOutput struct {
	Id                           string `json:",omitempty"`
	MD5OfMessageBody             string
	MD5OfMessageAttributes       string `json:",omitempty"`
	MD5OfMessageSystemAttributes string `json:",omitempty"`
	MessageId                    string
	SequenceNumber               string `json:",omitempty"`
}

// batchError is one failed batch entry.
type batchError struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

func entryError(id string, err error) batchError {
	ae, ok := err.(*apiError)
	if !ok {
		ae = errInternal("%v", err)
	}
	return batchError{Id: id, SenderFault: !ae.receiver, Code: ae.legacyCode(), Message: ae.msg}
}

const (
	maxMessageAttributes = 10
	maxBatchEntries      = 10
	maxBatchPayload      = 1 << 20 // AWS: the sum of a batch's messages may not exceed 1 MiB
)

// parseMessageAttributes validates message attributes as AWS documents them
// and returns them sorted by name.
func parseMessageAttributes(in map[string]attrValue) ([]msgAttr, error) {
	if len(in) == 0 {
		return nil, nil
	}
	if len(in) > maxMessageAttributes {
		return nil, errInvalidParameterValue("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(in), maxMessageAttributes)
	}
	attrs := make([]msgAttr, 0, len(in))
	for name, v := range in {
		if err := validAttrName(name); err != nil {
			return nil, err
		}
		a, err := parseAttrValue(name, v)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, a)
	}
	sortAttrs(attrs)
	return attrs, nil
}

func validAttrName(name string) error {
	bad := func(reason string) error {
		return errInvalidParameterValue("Message attribute name '%s' is invalid. Reason: %s", name, reason)
	}
	switch {
	case name == "":
		return errInvalidParameterValue("The request must contain non-empty message attribute name.")
	case len(name) > 256:
		return bad("Message attribute name must be 256 characters or less.")
	case strings.HasPrefix(strings.ToLower(name), "aws.") || strings.HasPrefix(strings.ToLower(name), "amazon."):
		return bad("You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use.")
	case name[0] == '.' || name[len(name)-1] == '.':
		return bad("Message attribute names can't start or end with a period.")
	case strings.Contains(name, ".."):
		return bad("Message attribute names can't contain successive periods.")
	}
	for _, c := range []byte(name) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return bad("Message attribute names can contain only alphanumeric characters, hyphens, underscores and periods.")
		}
	}
	return nil
}

func parseAttrValue(name string, v attrValue) (msgAttr, error) {
	a := msgAttr{name: name, dataType: v.DataType}
	if v.DataType == "" {
		return a, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute type.", name)
	}
	if len(v.DataType) > 256 {
		return a, errInvalidParameterValue("The message attribute '%s' has an invalid message attribute type, the length of the type must be 256 characters or less.", name)
	}
	base, custom, hasCustom := strings.Cut(v.DataType, ".")
	if hasCustom && custom == "" {
		return a, errInvalidParameterValue("The message attribute '%s' has an invalid message attribute type, the custom type must not be empty.", name)
	}
	switch base {
	case "String", "Number":
		if v.StringValue == nil || *v.StringValue == "" {
			if v.BinaryValue != nil {
				return a, errInvalidParameterValue("The message attribute '%s' with type '%s' must use field 'String'.", name, base)
			}
			return a, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, base)
		}
		if !validBody(*v.StringValue) {
			return a, errInvalidParameterValue("The message attribute '%s' contains invalid characters.", name)
		}
		if base == "Number" && !validNumber(*v.StringValue) {
			return a, errInvalidParameterValue("Can't cast the value of message (user) attribute '%s' to a number.", name)
		}
		a.str = *v.StringValue
	case "Binary":
		if len(v.BinaryValue) == 0 {
			if v.StringValue != nil {
				return a, errInvalidParameterValue("The message attribute '%s' with type 'Binary' must use field 'Binary'.", name)
			}
			return a, errInvalidParameterValue("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
		}
		a.bin = v.BinaryValue
	default:
		return a, errInvalidParameterValue("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	return a, nil
}

// validNumber accepts what SQS documents for Number attributes: a decimal
// number with up to 38 significant digits, optionally signed and with an
// exponent, between 10^-128 and 10^+126.
func validNumber(s string) bool {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return false
	}
	if f != 0 && (abs(f) > 1e126 || abs(f) < 1e-128) {
		return false
	}
	digits := 0
	for _, c := range []byte(strings.TrimLeft(strings.TrimLeft(s, "+-"), "0.")) {
		if c == 'e' || c == 'E' {
			break
		}
		if c >= '0' && c <= '9' {
			digits++
		}
	}
	return digits <= 38
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// validDedupOrGroupID checks MessageGroupId and MessageDeduplicationId:
// 1 to 128 alphanumeric or punctuation characters.
func validDedupOrGroupID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// buildMessage validates one message for q and returns it ready to store,
// with the response fields that do not depend on storing it.
func (s *Server) buildMessage(q *queue, cfg *queueConfig, e *sendEntry, now time.Time) (pending, sendOutput, error) {
	var out sendOutput
	if e.MessageBody == nil || *e.MessageBody == "" {
		return pending{}, out, errMissingParameter("MessageBody")
	}
	body := *e.MessageBody
	if !validBody(body) {
		return pending{}, out, errInvalidMessageContents("Invalid characters found. Valid characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.")
	}
	attrs, err := parseMessageAttributes(e.MessageAttributes)
	if err != nil {
		return pending{}, out, err
	}
	if size := len(body) + attrsSize(attrs); size > cfg.maxSize {
		return pending{}, out, errInvalidParameterValue("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", cfg.maxSize)
	}
	m := &message{id: newMsgID(), body: body, attrs: attrs, sent: now.UnixNano()}
	m.md5Body = md5.Sum([]byte(body))
	var ext msgExt
	for name, v := range e.MessageSystemAttributes {
		if name != "AWSTraceHeader" {
			return pending{}, out, errInvalidParameterValue("Message system attribute name '%s' is invalid.", name)
		}
		if v.DataType != "String" || v.StringValue == nil || *v.StringValue == "" {
			return pending{}, out, errInvalidParameterValue("Message system attribute 'AWSTraceHeader' must have data type String and a non-empty value.")
		}
		ext.trace = *v.StringValue
		out.MD5OfMessageSystemAttributes = md5OfAttributes([]msgAttr{{name: name, dataType: "String", str: ext.trace}})
	}
	delay := cfg.delay
	if e.DelaySeconds != nil {
		d := *e.DelaySeconds
		if d < 0 || d > 900 {
			return pending{}, out, errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.", d)
		}
		if q.fifo && d != 0 {
			return pending{}, out, errInvalidParameterValue("Value %d for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.", d)
		}
		if !q.fifo {
			delay = time.Duration(d) * time.Second
		}
	}
	if e.MessageGroupId != nil {
		if !validDedupOrGroupID(*e.MessageGroupId) {
			return pending{}, out, errInvalidParameterValue("Value %s for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.", *e.MessageGroupId)
		}
		ext.group = *e.MessageGroupId
	}
	if q.fifo {
		if e.MessageGroupId == nil {
			return pending{}, out, errMissingParameter("MessageGroupId")
		}
		switch {
		case e.MessageDeduplicationId != nil:
			if !validDedupOrGroupID(*e.MessageDeduplicationId) {
				return pending{}, out, errInvalidParameterValue("Value %s for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.", *e.MessageDeduplicationId)
			}
			ext.dedupID = *e.MessageDeduplicationId
		case cfg.contentDedup:
			sum := sha256.Sum256([]byte(body))
			ext.dedupID = hex.EncodeToString(sum[:])
		default:
			return pending{}, out, errInvalidParameterValue("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
	} else if e.MessageDeduplicationId != nil {
		return pending{}, out, errInvalidParameterValue("Value %s for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.", *e.MessageDeduplicationId)
	}
	if ext != (msgExt{}) {
		m.ext = &ext
	}
	out.MD5OfMessageBody = hex.EncodeToString(m.md5Body[:])
	out.MD5OfMessageAttributes = md5OfAttributes(attrs)
	return pending{m: m, delay: delay}, out, nil
}

// config returns a copy of the queue's configuration.
func (q *queue) config() queueConfig {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.cfg
}

func (s *Server) sendMessage(req *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl string
		sendEntry
	}
	r := jsonReader{b: body}
	if err := r.top(func(k string) {
		if k == "QueueUrl" {
			in.QueueUrl = r.str()
		} else {
			r.sendEntryField(&in.sendEntry, k)
		}
	}); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	cfg := q.config()
	now := s.now()
	p, out, err := s.buildMessage(q, &cfg, &in.sendEntry, now)
	if err != nil {
		return nil, err
	}
	res, err := q.send([]pending{p}, now.UnixNano())
	if err != nil {
		return nil, err
	}
	out.MessageId = res[0].id.String()
	if q.fifo {
		out.SequenceNumber = formatSeq(res[0].seq)
	}
	if !res[0].duplicate {
		s.stats.sent.Add(1)
	}
	return out, nil
}

// checkBatchIDs applies the checks AWS makes on every batch request.
func checkBatchIDs(ids []string, entryName string) error {
	if len(ids) == 0 {
		return errEmptyBatchRequest(entryName)
	}
	if len(ids) > maxBatchEntries {
		return errTooManyEntriesInBatchRequest(len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !validBatchID(id) {
			return errInvalidBatchEntryId(id)
		}
		if seen[id] {
			return errBatchEntryIdsNotDistinct(id)
		}
		seen[id] = true
	}
	return nil
}

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) sendMessageBatch(req *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []sendEntry
	}
	r := jsonReader{b: body}
	if err := r.top(func(k string) {
		switch k {
		case "QueueUrl":
			in.QueueUrl = r.str()
		case "Entries":
			in.Entries = r.sendEntries()
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
	ids := make([]string, len(in.Entries))
	total := 0
	for i, e := range in.Entries {
		ids[i] = e.Id
		if e.MessageBody != nil {
			total += len(*e.MessageBody)
		}
		for name, a := range e.MessageAttributes {
			total += len(name) + len(a.DataType) + len(a.BinaryValue)
			if a.StringValue != nil {
				total += len(*a.StringValue)
			}
		}
	}
	if err := checkBatchIDs(ids, "SendMessageBatchRequestEntry"); err != nil {
		return nil, err
	}
	if total > maxBatchPayload {
		return nil, errBatchRequestTooLong(total, maxBatchPayload)
	}
	cfg := q.config()
	now := s.now()
	var (
		batch  = make([]pending, 0, len(in.Entries))
		outs   = make([]sendOutput, 0, len(in.Entries))
		failed []batchError
	)
	for i := range in.Entries {
		e := &in.Entries[i]
		p, out, err := s.buildMessage(q, &cfg, e, now)
		if err != nil {
			failed = append(failed, entryError(e.Id, err))
			continue
		}
		out.Id = e.Id
		batch = append(batch, p)
		outs = append(outs, out)
	}
	if len(batch) > 0 {
		res, err := q.send(batch, now.UnixNano())
		if err != nil {
			return nil, err
		}
		n := int64(0)
		for i := range res {
			outs[i].MessageId = res[i].id.String()
			if q.fifo {
				outs[i].SequenceNumber = formatSeq(res[i].seq)
			}
			if !res[i].duplicate {
				n++
			}
		}
		s.stats.sent.Add(n)
	}
	return encodeSendBatch(outs, failed), nil
}

// encodeSendBatch writes SendMessageBatch's response by hand (a hot path).
func encodeSendBatch(outs []sendOutput, failed []batchError) []byte {
	b := make([]byte, 0, 64+len(outs)*160)
	b = append(b, `{"Successful":[`...)
	for i, o := range outs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Id":`...)
		b = appendJSONString(b, o.Id)
		b = append(b, `,"MD5OfMessageBody":"`...)
		b = append(b, o.MD5OfMessageBody...)
		b = append(b, '"')
		if o.MD5OfMessageAttributes != "" {
			b = append(b, `,"MD5OfMessageAttributes":"`...)
			b = append(b, o.MD5OfMessageAttributes...)
			b = append(b, '"')
		}
		if o.MD5OfMessageSystemAttributes != "" {
			b = append(b, `,"MD5OfMessageSystemAttributes":"`...)
			b = append(b, o.MD5OfMessageSystemAttributes...)
			b = append(b, '"')
		}
		b = append(b, `,"MessageId":"`...)
		b = append(b, o.MessageId...)
		b = append(b, '"')
		if o.SequenceNumber != "" {
			b = append(b, `,"SequenceNumber":"`...)
			b = append(b, o.SequenceNumber...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, `],"Failed":`...)
	return appendBatchErrors(b, failed)
}

// appendBatchErrors closes a batch response with its Failed list.
func appendBatchErrors(b []byte, failed []batchError) []byte {
	b = append(b, '[')
	for i, f := range failed {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Id":`...)
		b = appendJSONString(b, f.Id)
		b = append(b, `,"SenderFault":`...)
		b = strconv.AppendBool(b, f.SenderFault)
		b = append(b, `,"Code":`...)
		b = appendJSONString(b, f.Code)
		b = append(b, `,"Message":`...)
		b = appendJSONString(b, f.Message)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// encodeIDBatch writes the response of DeleteMessageBatch and
// ChangeMessageVisibilityBatch: the ids that succeeded and the failures.
func encodeIDBatch(ids []string, failed []batchError) []byte {
	b := make([]byte, 0, 32+len(ids)*16)
	b = append(b, `{"Successful":[`...)
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Id":`...)
		b = appendJSONString(b, id)
		b = append(b, '}')
	}
	b = append(b, `],"Failed":`...)
	return appendBatchErrors(b, failed)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) deleteMessage(req *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl      string
		ReceiptHandle string
	}
	r := jsonReader{b: body}
	if err := r.top(func(k string) {
		switch k {
		case "QueueUrl":
			in.QueueUrl = r.str()
		case "ReceiptHandle":
			in.ReceiptHandle = r.str()
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
	if in.ReceiptHandle == "" {
		return nil, errMissingParameter("ReceiptHandle")
	}
	errs := q.deleteMessages([]string{in.ReceiptHandle})
	if errs[0] != nil {
		return nil, errs[0]
	}
	s.stats.deleted.Add(1)
	return nil, nil
}

// deleteMessages deletes several messages under one lock; errs[i] is the
// outcome for receipts[i].
func (q *queue) deleteMessages(receipts []string) []error {
	errs := make([]error, len(receipts))
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, rh := range receipts {
		errs[i] = q.deleteLocked(rh)
	}
	if q.fifo {
		q.notify() // deleting a message unlocks its group for long polls waiting on it
	}
	return errs
}

func (s *Server) deleteMessageBatch(req *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []struct{ Id, ReceiptHandle string }
	}
	r := jsonReader{b: body}
	if err := r.top(func(k string) {
		switch k {
		case "QueueUrl":
			in.QueueUrl = r.str()
		case "Entries":
			in.Entries = in.Entries[:0]
			r.array(func() {
				var e struct{ Id, ReceiptHandle string }
				r.object(func(k string) {
					switch k {
					case "Id":
						e.Id = r.str()
					case "ReceiptHandle":
						e.ReceiptHandle = r.str()
					default:
						r.skip()
					}
				})
				in.Entries = append(in.Entries, e)
			})
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
	ids := make([]string, len(in.Entries))
	receipts := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i], receipts[i] = e.Id, e.ReceiptHandle
	}
	if err := checkBatchIDs(ids, "DeleteMessageBatchRequestEntry"); err != nil {
		return nil, err
	}
	var (
		good   []string
		failed []batchError
	)
	for i, err := range q.deleteMessages(receipts) {
		switch {
		case receipts[i] == "":
			failed = append(failed, entryError(ids[i], errMissingParameter("ReceiptHandle")))
		case err != nil:
			failed = append(failed, entryError(ids[i], err))
		default:
			good = append(good, ids[i])
		}
	}
	s.stats.deleted.Add(int64(len(good)))
	return encodeIDBatch(good, failed), nil
}

func checkVisibility(v int64) error {
	if v < 0 || v > 43200 {
		return errInvalidParameterValue("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", v)
	}
	return nil
}

func (s *Server) changeMessageVisibility(req *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl          string
		ReceiptHandle     string
		VisibilityTimeout *int64
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, errMissingParameter("ReceiptHandle")
	}
	if in.VisibilityTimeout == nil {
		return nil, errMissingParameter("VisibilityTimeout")
	}
	if err := checkVisibility(*in.VisibilityTimeout); err != nil {
		return nil, err
	}
	return nil, q.changeVisibility(in.ReceiptHandle, time.Duration(*in.VisibilityTimeout)*time.Second, s.now().UnixNano())
}

func (s *Server) changeMessageVisibilityBatch(req *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl string
		Entries  []struct {
			Id                string
			ReceiptHandle     string
			VisibilityTimeout *int64
		}
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		ids[i] = e.Id
	}
	if err := checkBatchIDs(ids, "ChangeMessageVisibilityBatchRequestEntry"); err != nil {
		return nil, err
	}
	var (
		good   []string
		failed []batchError
	)
	now := s.now().UnixNano()
	for _, e := range in.Entries {
		var err error
		switch {
		case e.ReceiptHandle == "":
			err = errMissingParameter("ReceiptHandle")
		case e.VisibilityTimeout == nil:
			// The API model marks VisibilityTimeout optional in a batch
			// entry without saying what leaving it out means; the emulator
			// treats it as 0 (make the message visible again).
			err = q.changeVisibility(e.ReceiptHandle, 0, now)
		default:
			if err = checkVisibility(*e.VisibilityTimeout); err == nil {
				err = q.changeVisibility(e.ReceiptHandle, time.Duration(*e.VisibilityTimeout)*time.Second, now)
			}
		}
		if err != nil {
			failed = append(failed, entryError(e.Id, err))
		} else {
			good = append(good, e.Id)
		}
	}
	return encodeIDBatch(good, failed), nil
}
