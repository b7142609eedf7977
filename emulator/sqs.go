package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// sqsHandler serves one SQS action: it decodes the JSON body and returns
// the response body (a value for encoding/json, or raw JSON as []byte).
type sqsHandler func(s *Server, r *http.Request, body []byte) (any, error)

// sqsActions maps X-Amz-Target action names to their handlers.
var sqsActions map[string]sqsHandler

// sqsStatKeys maps action names to their Stats keys, built once.
var sqsStatKeys = map[string]string{}

func init() {
	sqsActions = map[string]sqsHandler{
		"CreateQueue":                  (*Server).createQueue,
		"GetQueueUrl":                  (*Server).getQueueURL,
		"GetQueueAttributes":           (*Server).getQueueAttributes,
		"SetQueueAttributes":           (*Server).setQueueAttributes,
		"ListQueues":                   (*Server).listQueues,
		"DeleteQueue":                  (*Server).deleteQueue,
		"PurgeQueue":                   (*Server).purgeQueue,
		"ListQueueTags":                (*Server).listQueueTags,
		"TagQueue":                     (*Server).tagQueue,
		"UntagQueue":                   (*Server).untagQueue,
		"ListDeadLetterSourceQueues":   (*Server).listDeadLetterSourceQueues,
		"SendMessage":                  (*Server).sendMessage,
		"SendMessageBatch":             (*Server).sendMessageBatch,
		"ReceiveMessage":               (*Server).receiveMessage,
		"DeleteMessage":                (*Server).deleteMessage,
		"DeleteMessageBatch":           (*Server).deleteMessageBatch,
		"ChangeMessageVisibility":      (*Server).changeMessageVisibility,
		"ChangeMessageVisibilityBatch": (*Server).changeMessageVisibilityBatch,
	}
	for a := range sqsActions {
		sqsStatKeys[a] = "sqs:" + a
	}
}

// serveSQS answers one request of the AWS JSON 1.0 protocol.
func (s *Server) serveSQS(w http.ResponseWriter, r *http.Request, target string, body []byte) {
	service, action, _ := strings.Cut(target, ".")
	h := sqsActions[action]
	if service != "AmazonSQS" || h == nil {
		s.stats.request("sqs:Unknown")
		s.writeJSONError(w, errUnknownOperation(target))
		return
	}
	s.stats.request(sqsStatKeys[action])
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	out, err := h(s, r, body)
	if err != nil {
		s.writeJSONError(w, err)
		return
	}
	var raw []byte
	switch v := out.(type) {
	case []byte:
		raw = v
	case nil:
		raw = []byte("{}")
	default:
		if raw, err = json.Marshal(v); err != nil {
			s.writeJSONError(w, errInternal("encode response: %v", err))
			return
		}
	}
	// Headers are set directly in canonical form: this is the hot path.
	hdr := w.Header()
	hdr["Content-Type"] = jsonContentType
	hdr["X-Amzn-Requestid"] = []string{requestID()}
	hdr["Content-Length"] = []string{strconv.Itoa(len(raw))}
	w.Write(raw)
}

var jsonContentType = []string{"application/x-amz-json-1.0"}

// writeJSONError renders err as an SQS JSON error response.
func (s *Server) writeJSONError(w http.ResponseWriter, err error) {
	s.stats.errors.Add(1)
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errInternal("%v", err)
	}
	typ := ae.code
	if !strings.Contains(typ, "#") {
		typ = "com.amazonaws.sqs#" + typ
	}
	fault := "Sender"
	if ae.receiver {
		fault = "Receiver"
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/x-amz-json-1.0")
	hdr.Set("X-Amzn-Requestid", requestID())
	hdr.Set("X-Amzn-Query-Error", ae.legacyCode()+";"+fault)
	w.WriteHeader(ae.status)
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{typ, ae.msg})
	w.Write(b)
}

// decode unmarshals a request body, reporting malformed JSON the way the
// AWS JSON protocol does.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errSerialization("Value for field %s has the wrong type: expected %s.", te.Field, te.Type)
		}
		return errSerialization("The request body is not valid JSON: %v", err)
	}
	return nil
}

// queueFromURL resolves the QueueUrl parameter. Any host is accepted (a
// client may say localhost for 127.0.0.1); the path must end in
// /ACCOUNT/NAME with this server's account.
func (s *Server) queueFromURL(u string) (*queue, error) {
	if u == "" {
		return nil, errMissingParameter("QueueUrl")
	}
	path := u
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		j := strings.IndexByte(rest, '/')
		if j < 0 {
			return nil, errInvalidAddress(u)
		}
		path = rest[j:]
	}
	path = strings.Trim(path, "/")
	account, name, ok := strings.Cut(path, "/")
	if !ok || strings.Contains(name, "/") || name == "" {
		return nil, errInvalidAddress(u)
	}
	if account != s.opts.AccountID {
		return nil, errQueueDoesNotExist()
	}
	q := s.state.queue(name)
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

func errInvalidAddress(u string) *apiError {
	return newError(http.StatusNotFound, "InvalidAddress", "", "The address %s is not valid for this endpoint.", u)
}
