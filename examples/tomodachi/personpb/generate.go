// Package personpb holds the generated code of a small protobuf message,
// Person, that the tomodachi example publishes and consumes in tomodachi's
// protobuf envelope.
package personpb

//go:generate protoc -I ../../.. --go_out=../../.. --go_opt=paths=source_relative examples/tomodachi/personpb/person.proto
