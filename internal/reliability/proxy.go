package reliability

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A Fault is one kind of failure a [FaultProxy] injects.
type Fault int

// The faults a FaultProxy injects. Each imitates what AWS or the network
// does; the comment says what the client sees and whether the request
// reached the endpoint.
const (
	// ServerError answers 500 InternalError (SQS: JSON with
	// x-amzn-query-error; SNS: an XML ErrorResponse). Not forwarded.
	ServerError Fault = iota
	// Throttle answers 400 with a throttling error: SQS's RequestThrottled
	// or ThrottlingException, SNS's Throttling. Not forwarded.
	Throttle
	// PartialBatch makes some entries of a batch request fail: they are
	// taken out of the request before it is forwarded and reported in the
	// response's Failed list (InternalError, not the sender's fault), as AWS
	// reports entries it did not do. Only batch actions get it.
	PartialBatch
	// ResetBefore closes the connection with a reset before the request is
	// forwarded.
	ResetBefore
	// ResetAfter forwards the request, then closes the connection with a
	// reset instead of answering: the endpoint did the work, the client does
	// not know.
	ResetAfter
	// Latency forwards the request and holds the answer for
	// ProxyOptions.Latency, past the client's timeout: the endpoint did the
	// work, the client gives up.
	Latency

	numFaults
)

// AllFaults lists every kind of fault.
var AllFaults = []Fault{ServerError, Throttle, PartialBatch, ResetBefore, ResetAfter, Latency}

var faultNames = [numFaults]string{"server-error", "throttle", "partial-batch", "reset-before", "reset-after", "latency"}

// String returns the fault's name as the counts print it, e.g. "partial-batch".
func (f Fault) String() string {
	if f >= 0 && f < numFaults {
		return faultNames[f]
	}
	return "fault(" + strconv.Itoa(int(f)) + ")"
}

// ProxyOptions configure a FaultProxy.
type ProxyOptions struct {
	// Target is the endpoint the proxy forwards to, "http://127.0.0.1:PORT".
	Target string
	// Rate is the share of requests that get a fault, 0 to 1 (SetRate
	// changes it later).
	Rate float64
	// Faults are the kinds injected, chosen uniformly (default AllFaults).
	Faults []Fault
	// Latency is how long a Latency fault holds the answer (default 10s);
	// make it longer than the client's timeout. The hold ends early when the
	// client goes away.
	Latency time.Duration
	// Seed seeds the choice of faults, for a reproducible run.
	Seed uint64
}

// FaultCounts are what a FaultProxy did.
type FaultCounts struct {
	// Requests is every request that reached the proxy.
	Requests int64
	// Faults counts the faults injected, by kind.
	Faults map[Fault]int64
	// FailedEntries counts the batch entries PartialBatch failed.
	FailedEntries int64
}

// Injected returns the number of faults injected, of every kind.
func (c FaultCounts) Injected() int64 {
	var n int64
	for _, v := range c.Faults {
		n += v
	}
	return n
}

// String formats the counts in a fixed order: "server-error=3 throttle=1 ...".
func (c FaultCounts) String() string {
	var b strings.Builder
	for f := range numFaults {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", f, c.Faults[f])
	}
	fmt.Fprintf(&b, " failed-entries=%d", c.FailedEntries)
	return b.String()
}

// A FaultProxy is an HTTP proxy in front of an SQS/SNS endpoint that makes
// a configurable share of requests fail in the ways AWS and networks fail.
// It serves on a loopback port of its own; point the SDK's BaseEndpoint at
// URL. It is safe for concurrent use.
type FaultProxy struct {
	opts   ProxyOptions
	target *url.URL
	ln     net.Listener
	srv    *http.Server
	client *http.Client
	served chan error

	rate     atomic.Uint64 // math.Float64bits of the rate
	mu       sync.Mutex    // guards rng
	rng      *rand.Rand
	requests atomic.Int64
	faults   [numFaults]atomic.Int64
	entries  atomic.Int64
}

// StartProxy starts a FaultProxy on a free loopback port.
func StartProxy(opts ProxyOptions) (*FaultProxy, error) {
	target, err := url.Parse(opts.Target)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return nil, fmt.Errorf("reliability: ProxyOptions.Target %q: want a URL such as http://127.0.0.1:4566", opts.Target)
	}
	if opts.Rate < 0 || opts.Rate > 1 {
		return nil, fmt.Errorf("reliability: ProxyOptions.Rate %v: must be between 0 and 1", opts.Rate)
	}
	if len(opts.Faults) == 0 {
		opts.Faults = AllFaults
	}
	for _, f := range opts.Faults {
		if f < 0 || f >= numFaults {
			return nil, fmt.Errorf("reliability: ProxyOptions.Faults: unknown %v", f)
		}
	}
	if opts.Latency == 0 {
		opts.Latency = 10 * time.Second
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("reliability: proxy: %w", err)
	}
	p := &FaultProxy{
		opts:   opts,
		target: target,
		ln:     ln,
		client: newHTTPClient(0),
		served: make(chan error, 1),
		rng:    rand.New(rand.NewPCG(opts.Seed, opts.Seed^0xfa017)),
	}
	p.SetRate(opts.Rate)
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { p.served <- p.srv.Serve(ln) }()
	return p, nil
}

// URL returns the proxy's base URL, "http://127.0.0.1:PORT".
func (p *FaultProxy) URL() string { return "http://" + p.ln.Addr().String() }

// SetRate sets the share of requests that get a fault, 0 to 1 (values out
// of range are clamped).
func (p *FaultProxy) SetRate(rate float64) {
	rate = min(max(rate, 0), 1)
	p.rate.Store(uint64(rate * 1e9))
}

func (p *FaultProxy) getRate() float64 { return float64(p.rate.Load()) / 1e9 }

// Counts returns what the proxy has done so far.
func (p *FaultProxy) Counts() FaultCounts {
	c := FaultCounts{Requests: p.requests.Load(), Faults: map[Fault]int64{}, FailedEntries: p.entries.Load()}
	for f := range numFaults {
		c.Faults[f] = p.faults[f].Load()
	}
	return c
}

// Close stops the proxy: it stops listening, cuts the connections it
// serves and waits for its handlers to return.
func (p *FaultProxy) Close() error {
	err := p.srv.Close()
	<-p.served
	p.client.Transport.(*http.Transport).CloseIdleConnections()
	return err
}

// request is one request as the proxy sees it.
type request struct {
	r      *http.Request
	body   []byte
	sqs    bool   // SQS JSON protocol; otherwise the query protocol (SNS, STS)
	action string // e.g. "SendMessageBatch"
}

func (q *request) batch() bool {
	switch q.action {
	case "SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch":
		return q.sqs
	case "PublishBatch":
		return !q.sqs
	}
	return false
}

// ServeHTTP forwards one request, or fails it.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.requests.Add(1)
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		http.Error(w, "reliability proxy: read the request: "+err.Error(), http.StatusBadGateway)
		return
	}
	q := &request{r: r, body: body}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		q.sqs = true
		_, q.action, _ = strings.Cut(target, ".")
	} else if vals, err := url.ParseQuery(string(body)); err == nil {
		q.action = vals.Get("Action")
	}
	fault, ok := p.choose(q)
	if !ok {
		p.pass(w, q, q.body)
		return
	}
	p.faults[fault].Add(1)
	switch fault {
	case ServerError:
		writeError(w, q, http.StatusInternalServerError, "InternalError", "InternalError", true, "injected by the fault proxy")
	case Throttle:
		if q.sqs && p.intn(2) == 0 {
			writeError(w, q, http.StatusBadRequest, "RequestThrottled", "RequestThrottled", false, "Request is throttled.")
		} else {
			writeError(w, q, http.StatusBadRequest, "ThrottlingException", "Throttling", false, "Rate exceeded")
		}
	case PartialBatch:
		p.partial(w, q)
	case ResetBefore:
		reset(w)
	case ResetAfter:
		if resp, _, err := p.forward(q, q.body); err == nil {
			resp.Body.Close()
		}
		reset(w)
	case Latency:
		resp, respBody, err := p.forward(q, q.body)
		t := time.NewTimer(p.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
		if err != nil {
			http.Error(w, "reliability proxy: "+err.Error(), http.StatusBadGateway)
			return
		}
		writeResponse(w, resp, respBody)
	}
}

// choose decides whether q gets a fault, and which.
func (p *FaultProxy) choose(q *request) (Fault, bool) {
	rate := p.getRate()
	if rate == 0 {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rng.Float64() >= rate {
		return 0, false
	}
	kinds := p.opts.Faults
	if !q.batch() {
		kinds = make([]Fault, 0, len(p.opts.Faults))
		for _, f := range p.opts.Faults {
			if f != PartialBatch {
				kinds = append(kinds, f)
			}
		}
		if len(kinds) == 0 {
			return 0, false
		}
	}
	// Every kind first, then at random: a short run with few batch
	// requests must still inject each kind at least once.
	var untried []Fault
	for _, f := range kinds {
		if p.faults[f].Load() == 0 {
			untried = append(untried, f)
		}
	}
	if len(untried) > 0 {
		kinds = untried
	}
	return kinds[p.rng.IntN(len(kinds))], true
}

func (p *FaultProxy) intn(n int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rng.IntN(n)
}

// forward sends q with body to the target and reads the whole response.
func (p *FaultProxy) forward(q *request, body []byte) (*http.Response, []byte, error) {
	u := *p.target
	u.Path = q.r.URL.Path
	u.RawQuery = q.r.URL.RawQuery
	out, err := http.NewRequestWithContext(q.r.Context(), q.r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range q.r.Header {
		switch http.CanonicalHeaderKey(k) {
		case "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding", "Te", "Upgrade", "Proxy-Connection":
			continue
		}
		out.Header[k] = vs
	}
	resp, err := p.client.Do(out)
	if err != nil {
		return nil, nil, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	return resp, respBody, nil
}

// pass forwards q with body and relays the answer.
func (p *FaultProxy) pass(w http.ResponseWriter, q *request, body []byte) {
	resp, respBody, err := p.forward(q, body)
	if err != nil {
		if q.r.Context().Err() != nil {
			return // the client went away
		}
		http.Error(w, "reliability proxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	writeResponse(w, resp, respBody)
}

func writeResponse(w http.ResponseWriter, resp *http.Response, body []byte) {
	for k, vs := range resp.Header {
		if http.CanonicalHeaderKey(k) == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}

// reset closes the client's connection with a TCP reset.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// writeError answers with an AWS error: JSON for SQS (code is the error
// shape, queryCode the legacy code in x-amzn-query-error), XML for the
// query protocol (queryCode is the code).
func writeError(w http.ResponseWriter, q *request, status int, code, queryCode string, receiver bool, msg string) {
	fault := "Sender"
	if receiver {
		fault = "Receiver"
	}
	id := requestID()
	if q.sqs {
		b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", id)
		w.Header().Set("X-Amzn-Query-Error", queryCode+";"+fault)
		w.WriteHeader(status)
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", id)
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		fault, queryCode, msg, id)
}

var requestSeq atomic.Int64

func requestID() string {
	return fmt.Sprintf("fa017000-0000-4000-8000-%012d", requestSeq.Add(1))
}

const injectedMessage = "injected by the fault proxy"

// partial fails some entries of a batch request: it forwards the others and
// adds the failed ones to the response.
func (p *FaultProxy) partial(w http.ResponseWriter, q *request) {
	var err error
	if q.sqs {
		err = p.partialSQS(w, q)
	} else {
		err = p.partialSNS(w, q)
	}
	if err != nil {
		// Not a request the proxy understands: pass it on untouched.
		p.pass(w, q, q.body)
	}
}

// pick returns which of n entries fail: at least one, sometimes all.
func (p *FaultProxy) pick(n int) map[int]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := 1 + p.rng.IntN(n)
	fail := make(map[int]bool, k)
	for _, i := range p.rng.Perm(n)[:k] {
		fail[i] = true
	}
	return fail
}

func (p *FaultProxy) partialSQS(w http.ResponseWriter, q *request) error {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(q.body, &req); err != nil {
		return err
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(req["Entries"], &entries); err != nil || len(entries) == 0 {
		return errors.New("no entries")
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		var v struct{ Id string }
		if err := json.Unmarshal(e, &v); err != nil {
			return err
		}
		ids[i] = v.Id
	}
	fail := p.pick(len(entries))
	type failed struct {
		Id          string
		SenderFault bool
		Code        string
		Message     string
	}
	var failures []failed
	var kept []json.RawMessage
	for i, e := range entries {
		if fail[i] {
			failures = append(failures, failed{Id: ids[i], Code: "InternalError", Message: injectedMessage})
		} else {
			kept = append(kept, e)
		}
	}
	p.entries.Add(int64(len(failures)))
	result := map[string]json.RawMessage{"Successful": json.RawMessage("[]")}
	var resp *http.Response
	if len(kept) > 0 {
		req["Entries"], _ = json.Marshal(kept)
		body, _ := json.Marshal(req)
		var respBody []byte
		var err error
		resp, respBody, err = p.forward(q, body)
		if err != nil {
			reset(w) // as a lost connection would look
			return nil
		}
		if resp.StatusCode != http.StatusOK || json.Unmarshal(respBody, &result) != nil {
			writeResponse(w, resp, respBody)
			return nil
		}
	}
	var already []failed
	if raw := result["Failed"]; len(raw) > 0 {
		json.Unmarshal(raw, &already)
	}
	result["Failed"], _ = json.Marshal(append(already, failures...))
	b, _ := json.Marshal(result)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return nil
}

// partialSNS fails entries of an SNS PublishBatch (query protocol:
// PublishBatchRequestEntries.member.N.Field form values).
func (p *FaultProxy) partialSNS(w http.ResponseWriter, q *request) error {
	vals, err := url.ParseQuery(string(q.body))
	if err != nil {
		return err
	}
	const prefix = "PublishBatchRequestEntries.member."
	members := map[int]url.Values{}
	rest := url.Values{}
	for k, vs := range vals {
		tail, ok := strings.CutPrefix(k, prefix)
		if !ok {
			rest[k] = vs
			continue
		}
		num, field, ok := strings.Cut(tail, ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			return fmt.Errorf("bad member key %q", k)
		}
		if members[n] == nil {
			members[n] = url.Values{}
		}
		members[n][field] = vs
	}
	if len(members) == 0 {
		return errors.New("no entries")
	}
	nums := make([]int, 0, len(members))
	for n := range members {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	fail := p.pick(len(nums))
	var failedXML strings.Builder
	next := 1
	for i, n := range nums {
		m := members[n]
		if fail[i] {
			fmt.Fprintf(&failedXML, "<member><Id>%s</Id><Code>InternalError</Code><Message>%s</Message><SenderFault>false</SenderFault></member>",
				xmlEscape(m.Get("Id")), injectedMessage)
			p.entries.Add(1)
			continue
		}
		for field, vs := range m {
			rest[prefix+strconv.Itoa(next)+"."+field] = vs
		}
		next++
	}
	if next == 1 { // every entry fails: nothing to forward
		b := `<?xml version="1.0"?>` + "\n" + `<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful/><Failed>` +
			failedXML.String() + `</Failed></PublishBatchResult><ResponseMetadata><RequestId>` + requestID() + `</RequestId></ResponseMetadata></PublishBatchResponse>`
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, b)
		return nil
	}
	resp, respBody, err := p.forward(q, []byte(rest.Encode()))
	if err != nil {
		reset(w)
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		writeResponse(w, resp, respBody)
		return nil
	}
	s := string(respBody)
	switch {
	case strings.Contains(s, "<Failed/>"):
		s = strings.Replace(s, "<Failed/>", "<Failed>"+failedXML.String()+"</Failed>", 1)
	case strings.Contains(s, "</Failed>"):
		s = strings.Replace(s, "</Failed>", failedXML.String()+"</Failed>", 1)
	default:
		s = strings.Replace(s, "</PublishBatchResult>", "<Failed>"+failedXML.String()+"</Failed></PublishBatchResult>", 1)
	}
	writeResponse(w, resp, []byte(s))
	return nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

var _ http.Handler = (*FaultProxy)(nil)
