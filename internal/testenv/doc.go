// Package testenv gives integration tests an SNS+SQS endpoint and ready SDK
// clients.
//
// By default every call to New starts a fresh embedded emulator (package
// emulator) for the test and closes it when the test ends, so tests need no
// setup and may run in parallel. When the environment variable
// SQSFLOW_TEST_ENDPOINT is set (for example to http://127.0.0.1:4566 where
// fauxqs or moto listens), New points the clients at that endpoint instead,
// with region us-east-1 and static credentials "test"/"test". Tests share
// such an endpoint, so they must use unique queue and topic names: take them
// from Env.Name, or create resources with Env.CreateQueue and
// Env.CreateTopic, which also delete them when the test ends.
package testenv
