package main

import "context"

// An Impl is one implementation of the scenarios. Run consumes the job's
// input queue, calling env.work (or env.Tracker.Handle) for every message
// its handler processed, until ctx is cancelled (the harness cancels it
// once every message is handled and acked); then it shuts down as its
// documentation says to (finishing what it holds) and returns.
type Impl struct {
	Name string
	// Short is a short form for queue names.
	Short string
	// Provisions says the implementation subscribes its queue to the topic
	// itself (the harness then only creates the topic and the queue).
	Provisions bool
	// Raw says its subscription uses raw message delivery, so pre-filled
	// bodies are the envelope itself rather than an SNS notification.
	Raw bool
	// Scenarios, if set, are the only scenarios it runs.
	Scenarios []string
	Run       func(ctx context.Context, env *Env) error
}

// runs reports whether the implementation runs scenario sc.
func (im Impl) runs(sc string) bool {
	return im.Scenarios == nil || contains(im.Scenarios, sc)
}

// impls lists the implementations in the order of the report.
var impls = []Impl{
	{Name: "sqsflow", Short: "sf", Provisions: true, Run: runSQSFlow},
	// sqsflow with source.Options.StrictOrder: what keeping FIFO groups in
	// order across failures costs (it changes nothing without groups).
	{Name: "sqsflow-strict", Short: "sfs", Provisions: true, Scenarios: []string{ScenarioFIFO}, Run: runSQSFlowStrict},
	{Name: "rawsdk", Short: "raw", Run: runRawSDK},
	{Name: "tomodachi-pattern", Short: "tmd", Run: runTomodachi},
	{Name: "watermill", Short: "wm", Provisions: true, Raw: true, Run: runWatermill},
	{Name: "gocloud", Short: "gc", Run: runGoCloud},
}

func implByName(name string) (Impl, bool) {
	for _, im := range impls {
		if im.Name == name {
			return im, true
		}
	}
	return Impl{}, false
}

func implNames() []string {
	names := make([]string, len(impls))
	for i, im := range impls {
		names[i] = im.Name
	}
	return names
}
