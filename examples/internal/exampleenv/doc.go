// Package exampleenv is the plumbing the runnable examples share, so that
// each example's main.go is about its pipeline: the command-line flags that
// say where an example runs, the embedded emulator it runs on by default,
// names that keep one run's topics and queues apart from another's, and the
// small helpers the examples use to know when they are done.
//
// Every example runs on an embedded SNS+SQS emulator (package emulator)
// started in-process, so `go run ./examples/etl` needs nothing but Go. The
// same program runs elsewhere by configuration only:
//
//	go run ./examples/etl -endpoint http://127.0.0.1:4566   # sqsflow local, fauxqs, moto
//	go run ./examples/etl -aws                              # the default AWS credential chain
//
// Away from the embedded emulator, topics and queues get a prefix unique to
// the run, and are deleted when the example ends (unless -keep).
//
// It is for the examples only; nothing else imports it.
package exampleenv
