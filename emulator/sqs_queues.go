package emulator

import (
	"encoding/base64"
	"net/http"
	"sort"
	"strings"
)

// validQueueName checks a queue name as AWS does: 1 to 80 characters,
// alphanumerics, hyphens and underscores, and for FIFO queues the .fifo
// suffix (counted in the 80).
func validQueueName(name string, fifo bool) bool {
	if len(name) == 0 || len(name) > 80 {
		return false
	}
	base := name
	if fifo {
		var ok bool
		if base, ok = strings.CutSuffix(name, ".fifo"); !ok || base == "" {
			return false
		}
	}
	for _, c := range []byte(base) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) createQueue(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueName  string
		Attributes map[string]string
		Tags       map[string]string `json:"tags"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	fifo := in.Attributes[attrFifoQueue] == "true"
	if !validQueueName(in.QueueName, fifo) {
		if fifo {
			return nil, errInvalidParameterValue("The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.")
		}
		return nil, errInvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if len(in.Tags) > 50 {
		return nil, errInvalidParameterValue("Too many tags added for queue %s.", in.QueueName)
	}
	cfg := defaultQueueConfig()
	if err := applyAttributes(&cfg, in.Attributes, fifo, true, s.state.queueByARN); err != nil {
		return nil, err
	}
	st := s.state
	now := s.now()
	st.mu.Lock()
	existing := st.queues[in.QueueName]
	if existing == nil {
		st.queues[in.QueueName] = newQueue(in.QueueName, st.queueARN(in.QueueName), fifo, cfg, in.Tags, now)
	}
	st.mu.Unlock()
	if existing != nil {
		if err := existing.sameAttributes(in.Attributes); err != nil {
			return nil, err
		}
	}
	return map[string]string{"QueueUrl": s.queueURL(in.QueueName)}, nil
}

// sameAttributes checks that CreateQueue for an existing queue asks for the
// attribute values the queue has: AWS then returns the existing queue, and
// fails with QueueNameExists if any value differs.
func (q *queue) sameAttributes(attrs map[string]string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for name, v := range attrs {
		want := q.cfg
		if err := applyAttributes(&want, map[string]string{name: v}, q.fifo, true, func(arn string) *queue {
			if q.cfg.redrive != nil && arn == q.cfg.redrive.targetARN {
				return &queue{fifo: q.fifo, name: q.cfg.redrive.targetName}
			}
			return nil
		}); err != nil {
			return errQueueNameExists("A queue already exists with the same name and a different value for attribute %s", name)
		}
		if !sameConfig(want, q.cfg) {
			return errQueueNameExists("A queue already exists with the same name and a different value for attribute %s", name)
		}
	}
	return nil
}

func sameConfig(a, b queueConfig) bool {
	ra, rb := a.redrive, b.redrive
	a.redrive, b.redrive = nil, nil
	if a != b {
		return false
	}
	if ra == nil || rb == nil {
		return ra == rb
	}
	return *ra == *rb
}

func (s *Server) getQueueURL(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueName              string
		QueueOwnerAWSAccountId string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissingParameter("QueueName")
	}
	if in.QueueOwnerAWSAccountId != "" && in.QueueOwnerAWSAccountId != s.opts.AccountID {
		return nil, errQueueDoesNotExist()
	}
	if s.state.queue(in.QueueName) == nil {
		return nil, errQueueDoesNotExist()
	}
	return map[string]string{"QueueUrl": s.queueURL(in.QueueName)}, nil
}

func (s *Server) getQueueAttributes(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl       string
		AttributeNames []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	names := in.AttributeNames
	for _, n := range names {
		if n == attrAll {
			names = allQueueAttrs
			break
		}
		if !knownQueueAttr(n) {
			return nil, errInvalidAttributeName("Unknown Attribute %s.", n)
		}
	}
	now := s.now()
	out := make(map[string]string, len(names))
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, errQueueDoesNotExist()
	}
	for _, n := range names {
		if v, ok := q.attributeValue(n, now); ok {
			out[n] = v
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return map[string]any{"Attributes": out}, nil
}

func (s *Server) setQueueAttributes(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl   string
		Attributes map[string]string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Attributes) == 0 {
		return nil, errMissingParameter("Attributes")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, errQueueDoesNotExist()
	}
	cfg := q.cfg
	if err := applyAttributes(&cfg, in.Attributes, q.fifo, false, s.state.queueByARN); err != nil {
		return nil, err
	}
	q.cfg = cfg
	q.modified = s.now().Unix()
	q.notify() // a shorter delay or wait may concern current long polls
	return nil, nil
}

func (s *Server) listQueues(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueNamePrefix string
		MaxResults      *int
		NextToken       string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit := 1000
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return nil, errInvalidParameterValue("Value %d for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.", *in.MaxResults)
		}
		limit = *in.MaxResults
	} else if in.NextToken != "" {
		return nil, errInvalidParameterValue("MaxResults is a mandatory parameter when you provide a value for NextToken.")
	}
	names := s.state.queueNames(in.QueueNamePrefix)
	if in.NextToken != "" {
		after, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil {
			return nil, errInvalidParameterValue("Invalid NextToken value.")
		}
		i := sort.SearchStrings(names, string(after))
		for i < len(names) && names[i] <= string(after) {
			i++
		}
		names = names[i:]
	}
	out := struct {
		QueueUrls []string `json:",omitempty"`
		NextToken string   `json:",omitempty"`
	}{}
	if len(names) > limit {
		names = names[:limit]
		if in.MaxResults != nil {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(names[limit-1]))
		}
	}
	for _, n := range names {
		out.QueueUrls = append(out.QueueUrls, s.queueURL(n))
	}
	return out, nil
}

func (s *Server) deleteQueue(r *http.Request, body []byte) (any, error) {
	var in struct{ QueueUrl string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	st := s.state
	st.mu.Lock()
	if st.queues[q.name] == q {
		delete(st.queues, q.name)
	}
	st.mu.Unlock()
	q.close()
	return nil, nil
}

func (s *Server) purgeQueue(r *http.Request, body []byte) (any, error) {
	var in struct{ QueueUrl string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	return nil, q.purge(s.now().UnixNano())
}

func (s *Server) listQueueTags(r *http.Request, body []byte) (any, error) {
	var in struct{ QueueUrl string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.tags) == 0 {
		return nil, nil
	}
	tags := make(map[string]string, len(q.tags))
	for k, v := range q.tags {
		tags[k] = v
	}
	return map[string]any{"Tags": tags}, nil
}

func (s *Server) tagQueue(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl string
		Tags     map[string]string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errMissingParameter("Tags")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.tags == nil {
		q.tags = make(map[string]string)
	}
	for k, v := range in.Tags {
		q.tags[k] = v
	}
	if len(q.tags) > 50 {
		return nil, errInvalidParameterValue("Too many tags added for queue %s.", q.name)
	}
	return nil, nil
}

func (s *Server) untagQueue(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl string
		TagKeys  []string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	if len(in.TagKeys) == 0 {
		return nil, errMissingParameter("TagKeys")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, k := range in.TagKeys {
		delete(q.tags, k)
	}
	return nil, nil
}

func (s *Server) listDeadLetterSourceQueues(r *http.Request, body []byte) (any, error) {
	var in struct {
		QueueUrl   string
		MaxResults *int
		NextToken  string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	dlq, err := s.queueFromURL(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	var urls []string
	for _, name := range s.state.queueNames("") {
		q := s.state.queue(name)
		if q == nil {
			continue
		}
		q.mu.Lock()
		rp := q.cfg.redrive
		q.mu.Unlock()
		if rp != nil && rp.targetName == dlq.name {
			urls = append(urls, s.queueURL(name))
		}
	}
	if len(urls) == 0 {
		return map[string]any{"queueUrls": []string{}}, nil
	}
	return map[string]any{"queueUrls": urls}, nil
}
