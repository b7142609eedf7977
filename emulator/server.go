package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures Start. The zero value serves a fresh state for region
// us-east-1 and account 000000000000 on a free loopback port.
type Options struct {
	// Addr is the TCP address to listen on. Default "127.0.0.1:0" (a free
	// port). Use a fixed address such as "127.0.0.1:4566" for other processes.
	Addr string
	// Region is the region in ARNs and in Config. Default "us-east-1".
	Region string
	// AccountID is the account in ARNs and queue URLs. Default "000000000000".
	AccountID string
	// State holds the queues, topics and subscriptions to serve. Default: a
	// new, empty State. Pass the State of a closed Server to bring its queues
	// back.
	State *State
	// Now is the clock for message timestamps, delays, visibility timeouts,
	// retention and deduplication. Default time.Now. Long polls wait in real
	// time whatever the clock says; a test that moves a fake clock receives
	// with WaitTimeSeconds 0.
	Now func() time.Time
}

// maxRequestBody bounds what the emulator reads of one request. It is well
// above the largest valid request (a 1 MiB batch, JSON-escaped).
const maxRequestBody = 8 << 20

// Server serves SQS, SNS and STS for one State on a loopback port. Start
// creates it; Close stops it. Several Servers may run in one process.
type Server struct {
	opts      Options
	state     *State
	ln        net.Listener
	http      *http.Server
	endpoint  string
	client    *http.Client
	transport *http.Transport
	stats     counters

	done      chan struct{} // closed by Close: long polls return
	served    chan error    // the Serve goroutine's result
	closeOnce sync.Once
	closeErr  error
}

// Start listens on opts.Addr and serves SNS, SQS and STS in the background
// until Close. ctx bounds only the start-up (listening); cancel it later and
// the server keeps running.
//
// Besides the AWS APIs (POST to "/"), the server answers GET /health with
// 200 and GET /_emulator/stats with its Stats as JSON.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "000000000000"
	}
	if !validAccountID(opts.AccountID) {
		return nil, fmt.Errorf("emulator: Options.AccountID %q: want 12 digits", opts.AccountID)
	}
	if opts.State == nil {
		opts.State = NewState()
	}
	if err := opts.State.bind(opts.Region, opts.AccountID, opts.Now); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen on %s: %w", opts.Addr, err)
	}
	s := &Server{
		opts:   opts,
		state:  opts.State,
		ln:     ln,
		done:   make(chan struct{}),
		served: make(chan error, 1),
	}
	s.endpoint = "http://" + endpointHost(ln.Addr())
	s.client, s.transport = newClient()
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

func validAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// endpointHost is the host:port clients should use: a wildcard listen
// address is reached through the loopback interface.
func endpointHost(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		if ip.To4() == nil && ip != nil {
			return net.JoinHostPort("::1", fmt.Sprint(ta.Port))
		}
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(ta.Port))
}

// Endpoint returns the base URL of the server, "http://127.0.0.1:PORT".
func (s *Server) Endpoint() string { return s.endpoint }

// Addr returns the address the server listens on, "127.0.0.1:PORT", for a
// later Start on the same address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// State returns the state the server serves, for a later Start.
func (s *Server) State() *State { return s.state }

// Stats returns the counts of requests and messages since Start.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Close stops serving: the listener closes, long polls in progress return
// (empty) at once and Close waits for handlers to finish. It releases the
// idle connections of clients made from Config. The State is left as it
// is. Close is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		// The server's own client may hold a connection that never carried a
		// request; Shutdown would wait 5s for it to count as idle.
		s.transport.CloseIdleConnections()
		// Long polls return at once when done is closed, so whatever is
		// still busy after a short grace is cut off.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := s.http.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.http.Close()
		}
		if serr := <-s.served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
		s.transport.CloseIdleConnections()
		s.closeErr = err
	})
	return s.closeErr
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// ServeHTTP routes a request: SQS (JSON protocol, X-Amz-Target), SNS and
// STS (query protocol), and the emulator's own GET endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		s.serveGet(w, r)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "emulator: use POST for AWS APIs", http.StatusMethodNotAllowed)
		return
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 4<<20 {
			bufPool.Put(buf)
		}
	}()
	_, err := buf.ReadFrom(io.LimitReader(r.Body, maxRequestBody+1))
	tooLarge := buf.Len() > maxRequestBody
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		switch {
		case err != nil:
			s.writeJSONError(w, errSerialization("could not read the request body: %v", err))
		case tooLarge:
			s.writeJSONError(w, errInvalidParameterValue("The request body is larger than %d bytes.", maxRequestBody))
		default:
			s.serveSQS(w, r, target, buf.Bytes())
		}
		return
	}
	switch {
	case err != nil:
		s.writeQueryError(w, "", snsError(http.StatusBadRequest, "MalformedQueryString", "could not read the request body: %v", err))
	case tooLarge:
		s.writeQueryError(w, "", snsError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is larger than %d bytes.", maxRequestBody))
	default:
		s.serveQuery(w, r, buf.Bytes())
	}
}

func (s *Server) serveGet(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/health", "/_emulator/health":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	case "/_emulator/stats":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Stats())
	default:
		if r.URL.Query().Get("Action") != "" {
			// Query-protocol calls by GET, as in the UnsubscribeURL of a notification.
			s.serveQuery(w, r, nil)
			return
		}
		http.NotFound(w, r)
	}
}

// requestID returns a fresh id for the x-amzn-RequestId header.
func requestID() string { return newMsgID().String() }

// queueURL is the URL of a queue on this server.
func (s *Server) queueURL(name string) string {
	return s.endpoint + "/" + s.opts.AccountID + "/" + name
}

// now is the state's clock.
func (s *Server) now() time.Time { return s.state.clock() }

// isDone reports whether Close has begun.
func (s *Server) isDone() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// trimLower is strings.ToLower for ASCII header fragments.
func trimLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
