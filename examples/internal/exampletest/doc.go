// Package exampletest runs the examples in tests: each test gets a fresh
// embedded emulator, or the endpoint SQSFLOW_TEST_ENDPOINT names (see
// internal/testenv), and a context that bounds how long the example may take.
package exampletest
