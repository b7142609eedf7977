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
	Run func(ctx context.Context, env *Env) error
}

// impls lists the implementations in the order of the report.
var impls = []Impl{
	{Name: "sqsflow", Short: "sf", Provisions: true, Run: runSQSFlow},
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
