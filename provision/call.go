package provision

import (
	"sort"
	"strings"
)

// Options control a provisioning run.
type Options struct {
	// DryRun performs every read (GetQueueUrl, GetQueueAttributes,
	// GetTopicAttributes, ListTopics, ListSubscriptionsByTopic, ...) but makes
	// no change: each mutating call is recorded in the result, marked DryRun,
	// and skipped. Resources that do not exist yet are assumed to be created
	// with AWS's defaults, so every Set attribute on them is planned.
	DryRun bool
}

// Call is one mutating AWS call a run made or, in a dry run, would make.
type Call struct {
	Action string  // the API action, e.g. "CreateQueue"
	Target string  // what it acts on: a queue name or URL, a topic name or ARN
	Params []Param // the request's parameters, in a stable order
	DryRun bool    // planned, not made
}

// Param is one parameter of a Call.
type Param struct{ Name, Value string }

// String formats the call on one line, e.g.
// "SetQueueAttributes dev-billing VisibilityTimeout=30".
func (c Call) String() string {
	var b strings.Builder
	b.WriteString(c.Action)
	b.WriteByte(' ')
	b.WriteString(c.Target)
	for _, p := range c.Params {
		b.WriteByte(' ')
		b.WriteString(p.Name)
		b.WriteByte('=')
		b.WriteString(p.Value)
	}
	return b.String()
}

// params turns an attribute map into parameters sorted by name.
func params(attrs map[string]string) []Param {
	ps := make([]Param, 0, len(attrs))
	for k, v := range attrs {
		ps = append(ps, Param{k, v})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// run carries one provisioning run: the clients, the options and the calls.
type run struct {
	c     Clients
	opts  Options
	calls []Call
}

// mutate records c and, unless this is a dry run, makes it by calling do.
func (r *run) mutate(c Call, do func() error) error {
	c.DryRun = r.opts.DryRun
	r.calls = append(r.calls, c)
	if r.opts.DryRun {
		return nil
	}
	return do()
}
