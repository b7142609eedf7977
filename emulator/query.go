package emulator

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The query protocol (SNS and STS): a form-encoded POST naming an Action,
// answered with an XML document <ActionResponse><ActionResult>...</ActionResult>
// <ResponseMetadata><RequestId/></ResponseMetadata></ActionResponse>, or an
// <ErrorResponse> with an HTTP error status.

const (
	snsNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

// queryHandler serves one query-protocol action, writing the inside of the
// <ActionResult> element.
type queryHandler func(s *Server, p params, x *xmlWriter) error

// snsError is an error of the query protocol services.
func snsError(status int, code, format string, args ...any) *apiError {
	return newError(status, code, "", format, args...)
}

// params is the decoded form of a query-protocol request.
type params url.Values

func (p params) get(name string) string { return url.Values(p).Get(name) }

func (p params) has(name string) bool { _, ok := p[name]; return ok }

// serviceFromAuth returns the service named in a SigV4 Authorization
// header's credential scope (Credential=AKID/DATE/REGION/SERVICE/aws4_request).
func serviceFromAuth(h string) string {
	_, cred, ok := strings.Cut(h, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[len(parts)-2]
}

// serveQuery answers one request of the query protocol: SNS or STS.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		s.stats.request("sns:Unknown")
		s.writeQueryError(w, snsNamespace, snsError(http.StatusBadRequest, "MalformedQueryString", "The request body is not a valid form: %v", err))
		return
	}
	for k, v := range r.URL.Query() {
		if _, ok := form[k]; !ok {
			form[k] = v
		}
	}
	p := params(form)
	action := p.get("Action")
	service := serviceFromAuth(r.Header.Get("Authorization"))
	if h, ok := stsActions[action]; ok || service == "sts" {
		s.stats.request("sts:" + knownOr(action, ok))
		if !ok {
			s.writeQueryError(w, stsNamespace, snsError(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version 2011-06-15", action))
			return
		}
		s.answerQuery(w, stsNamespace, action, p, h)
		return
	}
	if service == "sqs" {
		s.stats.request("sqs:Unknown")
		s.writeQueryError(w, "http://queue.amazonaws.com/doc/2012-11-05/", snsError(http.StatusBadRequest, "InvalidAction",
			"The emulator speaks SQS over the AWS JSON 1.0 protocol (X-Amz-Target) only; upgrade the client SDK."))
		return
	}
	h, ok := snsActions[action]
	s.stats.request("sns:" + knownOr(action, ok))
	switch {
	case action == "":
		s.writeQueryError(w, snsNamespace, snsError(http.StatusBadRequest, "MissingAction", "The request must contain the parameter Action."))
	case !ok:
		s.writeQueryError(w, snsNamespace, snsError(http.StatusBadRequest, "InvalidAction", "The action %s is not valid for this web service.", action))
	default:
		s.answerQuery(w, snsNamespace, action, p, h)
	}
}

func knownOr(action string, ok bool) string {
	if ok {
		return action
	}
	return "Unknown"
}

func (s *Server) answerQuery(w http.ResponseWriter, ns, action string, p params, h queryHandler) {
	x := &xmlWriter{}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.raw("<" + action + `Response xmlns="` + ns + `">`)
	x.raw("<" + action + "Result>")
	if err := h(s, p, x); err != nil {
		s.writeQueryError(w, ns, err)
		return
	}
	x.raw("</" + action + "Result>")
	id := requestID()
	x.raw("<ResponseMetadata><RequestId>" + id + "</RequestId></ResponseMetadata>")
	x.raw("</" + action + "Response>")
	hdr := w.Header()
	hdr.Set("Content-Type", "text/xml")
	hdr.Set("X-Amzn-Requestid", id)
	hdr.Set("Content-Length", strconv.Itoa(len(x.b)))
	w.Write(x.b)
}

// writeQueryError renders err as a query-protocol ErrorResponse.
func (s *Server) writeQueryError(w http.ResponseWriter, ns string, err error) {
	s.stats.errors.Add(1)
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errInternal("%v", err)
	}
	if ns == "" {
		ns = snsNamespace
	}
	typ := "Sender"
	if ae.receiver {
		typ = "Receiver"
	}
	id := requestID()
	x := &xmlWriter{}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.raw(`<ErrorResponse xmlns="` + ns + `"><Error>`)
	x.elem("Type", typ)
	x.elem("Code", ae.code)
	x.elem("Message", ae.msg)
	x.raw("</Error>")
	x.elem("RequestId", id)
	x.raw("</ErrorResponse>")
	hdr := w.Header()
	hdr.Set("Content-Type", "text/xml")
	hdr.Set("X-Amzn-Requestid", id)
	w.WriteHeader(ae.status)
	w.Write(x.b)
}

// xmlWriter builds a small XML document.
type xmlWriter struct{ b []byte }

func (x *xmlWriter) raw(s string) { x.b = append(x.b, s...) }

func (x *xmlWriter) open(tag string) {
	x.b = append(x.b, '<')
	x.b = append(x.b, tag...)
	x.b = append(x.b, '>')
}

func (x *xmlWriter) close(tag string) {
	x.b = append(x.b, '<', '/')
	x.b = append(x.b, tag...)
	x.b = append(x.b, '>')
}

func (x *xmlWriter) elem(tag, text string) {
	x.open(tag)
	x.text(text)
	x.close(tag)
}

func (x *xmlWriter) text(s string) {
	var sb strings.Builder
	xml.EscapeText(&sb, []byte(s))
	x.b = append(x.b, sb.String()...)
}

// entries writes a map as the query protocol does:
// <entry><key>K</key><value>V</value></entry>...
func (x *xmlWriter) entries(tag string, keys []string, value func(string) string) {
	x.open(tag)
	for _, k := range keys {
		x.raw("<entry>")
		x.elem("key", k)
		x.elem("value", value(k))
		x.raw("</entry>")
	}
	x.close(tag)
}

// indexed returns the values of a query-protocol list or map,
// prefix.1, prefix.2, ... in order, stopping at the first gap.
func (p params) indexed(prefix string, fn func(i int, item string) error) error {
	for i := 1; ; i++ {
		item := fmt.Sprintf("%s.%d", prefix, i)
		found := false
		for k := range p {
			if k == item || strings.HasPrefix(k, item+".") {
				found = true
				break
			}
		}
		if !found {
			return nil
		}
		if err := fn(i, item); err != nil {
			return err
		}
	}
}
