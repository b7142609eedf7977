// Package testpb holds a small generated protobuf message for the envelope
// package's tests and examples.
package testpb

//go:generate protoc -I ../../.. --go_out=../../.. --go_opt=paths=source_relative envelope/internal/testpb/person.proto
