package flow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults used when no option overrides them.
const (
	// DefaultDrainTimeout bounds how long Run waits, after its context is
	// cancelled, for messages in flight to finish.
	DefaultDrainTimeout = 30 * time.Second
	// DefaultFlushTimeout bounds how long background tasks (such as a source's
	// batched deletes) may take to flush after the stages have stopped.
	DefaultFlushTimeout = 10 * time.Second
	// DefaultBuffer is the capacity of the channel behind each Stream. A few
	// slots let neighbouring stages work in short bursts instead of handing
	// over one item per context switch; it is small so that what sits between
	// stages stays negligible next to the sources' in-flight windows.
	DefaultBuffer = 8
)

// Option configures a Pipeline.
type Option func(*options)

type options struct {
	drainTimeout time.Duration
	flushTimeout time.Duration
	buffer       int
	logger       *slog.Logger
	onError      func(*StageError)
	errs         []error
}

// WithDrainTimeout sets how long Run waits, after its context is cancelled,
// for messages in flight to finish (default [DefaultDrainTimeout]). It must be
// positive.
func WithDrainTimeout(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.errs = append(o.errs, fmt.Errorf("flow: WithDrainTimeout(%v): must be positive", d))
			return
		}
		o.drainTimeout = d
	}
}

// WithFlushTimeout sets how long background tasks may take to flush once the
// stages have stopped (default [DefaultFlushTimeout]). It must be positive.
func WithFlushTimeout(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.errs = append(o.errs, fmt.Errorf("flow: WithFlushTimeout(%v): must be positive", d))
			return
		}
		o.flushTimeout = d
	}
}

// WithBuffer sets the capacity of the channel behind each stream (default
// [DefaultBuffer]); 0 makes them unbuffered. It must be between 0 and 1024.
func WithBuffer(n int) Option {
	return func(o *options) {
		if n < 0 || n > 1024 {
			o.errs = append(o.errs, fmt.Errorf("flow: WithBuffer(%d): must be between 0 and 1024", n))
			return
		}
		o.buffer = n
	}
}

// WithLogger sets the logger for failed messages and pipeline events
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithErrorHandler sets a function called for every failed message, after it
// has been logged. It is called from stage goroutines, concurrently, and must
// not block.
func WithErrorHandler(fn func(*StageError)) Option {
	return func(o *options) { o.onError = fn }
}

// A Pipeline owns the stages of a message pipeline and every goroutine they
// run. Build it by attaching sources, stages and sinks, then call Run once.
// Building is not safe for concurrent use; Run is called once.
type Pipeline struct {
	opts options

	mu      sync.Mutex
	ran     bool
	errs    []error // build errors, returned by Run
	hooks   []task
	tasks   []task
	bg      []bgTask
	streams []streamRef
	seq     map[string]int

	drain       context.Context // cancelled when the drain begins
	startDrainF context.CancelFunc

	// Source contexts are cancelled by startDrain itself, before Draining is
	// closed, so that no source takes a message once the drain has begun.
	srcMu      sync.Mutex
	srcSeq     uint64
	srcCancels map[uint64]context.CancelFunc
	srcStopped bool
	started     chan struct{} // closed when the start hooks are done and the stages start
}

type task struct {
	name string
	fn   func(ctx context.Context) error
}

type bgTask struct {
	name string
	fn   func(ctx context.Context, stopped <-chan struct{}) error
}

// streamRef lets Run check that every stream has a consumer.
type streamRef interface {
	taken() bool
	producer() string
}

// New returns an empty pipeline configured by opts.
func New(opts ...Option) *Pipeline {
	p := &Pipeline{
		opts: options{
			drainTimeout: DefaultDrainTimeout,
			flushTimeout: DefaultFlushTimeout,
			buffer:       DefaultBuffer,
			logger:       slog.Default(),
		},
		seq:        map[string]int{},
		started:    make(chan struct{}),
		srcCancels: map[uint64]context.CancelFunc{},
	}
	p.drain, p.startDrainF = context.WithCancel(context.Background())
	for _, o := range opts {
		o(&p.opts)
	}
	p.errs = append(p.errs, p.opts.errs...)
	return p
}

// Logger returns the pipeline's logger.
func (p *Pipeline) Logger() *slog.Logger { return p.opts.logger }

// Started returns a channel that is closed once every OnStart hook has
// succeeded (queues and topics are provisioned) and the stages are starting:
// from then on, what is published to the pipeline's topics reaches it. It is
// never closed if Run fails or is cancelled before that.
func (p *Pipeline) Started() <-chan struct{} { return p.started }

// Draining returns a channel that is closed when the pipeline starts to
// drain: its context was cancelled or a stage failed fatally.
func (p *Pipeline) Draining() <-chan struct{} { return p.drain.Done() }

// SourceContext returns a context derived from ctx that is also cancelled
// when the pipeline starts to drain, and its cancel function. Sources take
// new messages only while it is live, so that the drain can begin at once.
// It is cancelled before [Pipeline.Draining] is closed: whoever sees the
// drain begin can rely on no source taking anything more.
func (p *Pipeline) SourceContext(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, cancel := context.WithCancel(ctx)
	p.srcMu.Lock()
	if p.srcStopped {
		p.srcMu.Unlock()
		cancel()
		return sctx, cancel
	}
	id := p.srcSeq
	p.srcSeq++
	p.srcCancels[id] = cancel
	p.srcMu.Unlock()
	return sctx, func() {
		p.srcMu.Lock()
		delete(p.srcCancels, id)
		p.srcMu.Unlock()
		cancel()
	}
}

// startDrain stops every source, then announces the drain. It may be called
// more than once.
func (p *Pipeline) startDrain() {
	p.srcMu.Lock()
	p.srcStopped = true
	cancels := p.srcCancels
	p.srcCancels = map[uint64]context.CancelFunc{}
	p.srcMu.Unlock()
	for _, cancel := range cancels {
		cancel()
	}
	p.startDrainF()
}

// Errorf records a build error: Run will return it (with any others) instead
// of running. Stage constructors use it to report bad arguments, since they
// return streams rather than errors.
func (p *Pipeline) Errorf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = append(p.errs, fmt.Errorf(format, args...))
}

// OnStart registers fn to run before anything else starts, after the hooks
// registered before it. An error stops Run before any stage starts. Sources
// provision their queues here.
func (p *Pipeline) OnStart(name string, fn func(ctx context.Context) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hooks = append(p.hooks, task{name, fn})
}

// Background registers fn to run for the whole life of the pipeline beside
// its stages, for work that must outlive them, such as flushing a source's
// batched acknowledgements. stopped is closed once every stage goroutine has
// returned; fn must then finish promptly and return. ctx is not cancelled by
// the drain: it is cancelled only when the flush timeout has passed after
// stopped was closed.
func (p *Pipeline) Background(name string, fn func(ctx context.Context, stopped <-chan struct{}) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bg = append(p.bg, bgTask{name, fn})
}

// Stage returns a new stage handle named kind#N, unique in the pipeline.
// Stage constructors use it to run goroutines and report failures.
func (p *Pipeline) Stage(kind string) *Stage {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq[kind]++
	return &Stage{p: p, name: fmt.Sprintf("%s#%d", kind, p.seq[kind])}
}

func (p *Pipeline) addTask(t task) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tasks = append(p.tasks, t)
}

func (p *Pipeline) addStream(s streamRef) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.streams = append(p.streams, s)
}

// Run runs the pipeline: the OnStart hooks in order, then every stage, until
// the pipeline drains. It returns nil when the pipeline finished cleanly:
// its finite sources were exhausted, or ctx was cancelled and everything in
// flight was finished within the drain timeout. It returns an error wrapping
// [ErrDrainTimeout] when the drain deadline passed, the first fatal error of a
// stage (which stops the pipeline at once), or the build errors recorded
// while the pipeline was assembled. Run returns only after every goroutine of
// the pipeline has returned. A pipeline runs once.
func (p *Pipeline) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.ran {
		p.mu.Unlock()
		return ErrAlreadyRun
	}
	p.ran = true
	errs := p.errs
	for _, s := range p.streams {
		if !s.taken() {
			errs = append(errs, fmt.Errorf("flow: the output of %s is not consumed: end it with a sink or stage.Each", s.producer()))
		}
	}
	hooks, tasks, bg := p.hooks, p.tasks, p.bg
	p.mu.Unlock()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}

	for _, h := range hooks {
		if err := ctx.Err(); err != nil {
			return nil // cancelled before start: nothing to drain
		}
		if err := h.fn(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("flow: start %s: %w", h.name, err)
		}
	}
	if ctx.Err() != nil {
		return nil
	}

	work, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	r := &run{p: p, work: work, cancelWork: cancel}
	close(p.started)
	return r.start(ctx, tasks, bg)
}

// run is the state of one Run.
type run struct {
	p          *Pipeline
	work       context.Context // given to stages; cancelled at the drain deadline or on a fatal error
	cancelWork context.CancelCauseFunc

	mu       sync.Mutex
	fatal    error
	timedOut bool
	finished bool // every stage has returned
}

func (r *run) startDrain() { r.p.startDrain() }

func (r *run) fail(name string, err error) {
	r.mu.Lock()
	if r.fatal == nil {
		r.fatal = fmt.Errorf("flow: %s: %w", name, err)
	}
	r.mu.Unlock()
	r.startDrain()
	r.cancelWork(err)
}

// guard runs fn, turning a panic into an error: a panic outside user code
// is a bug in a stage, and stops the pipeline rather than the process.
func guard(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = newPanicError(v)
		}
	}()
	return fn()
}

func (r *run) start(ctx context.Context, tasks []task, bg []bgTask) error {
	p := r.p
	// The drain begins when ctx is cancelled; the drain deadline starts then.
	var deadline *time.Timer
	armed := make(chan struct{})
	stopWatch := context.AfterFunc(ctx, func() {
		defer close(armed)
		r.startDrain()
		deadline = time.AfterFunc(p.opts.drainTimeout, func() {
			r.mu.Lock()
			if !r.finished {
				r.timedOut = true
			}
			r.mu.Unlock()
			r.cancelWork(ErrDrainTimeout)
		})
	})

	stopped := make(chan struct{})
	bgCtx, cancelBg := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBg()

	var bgWG sync.WaitGroup
	for _, t := range bg {
		bgWG.Add(1)
		go func() {
			defer bgWG.Done()
			if err := guard(func() error { return t.fn(bgCtx, stopped) }); err != nil {
				r.fail(t.name, err)
			}
		}()
	}

	var wg sync.WaitGroup
	for _, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := guard(func() error { return t.fn(r.work) }); err != nil {
				// After the work context is cancelled, stages return its
				// error; that is the consequence, not the cause.
				if r.work.Err() != nil && errors.Is(err, r.work.Err()) {
					return
				}
				r.fail(t.name, err)
			}
		}()
	}
	wg.Wait()

	// Every stage has returned: the drain is over, one way or the other.
	r.mu.Lock()
	r.finished = true
	r.mu.Unlock()
	if !stopWatch() {
		<-armed
		deadline.Stop()
	}
	r.startDrain()
	close(stopped)
	flush := time.AfterFunc(p.opts.flushTimeout, cancelBg)
	bgWG.Wait()
	flush.Stop()
	r.cancelWork(context.Canceled)

	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.fatal != nil:
		return r.fatal
	case r.timedOut:
		return fmt.Errorf("%w after %v: unfinished messages were left unacknowledged for redelivery", ErrDrainTimeout, p.opts.drainTimeout)
	}
	return nil
}
