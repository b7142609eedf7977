// Package pb holds the generated Go code for the protobuf message of
// tomodachi's ProtobufBase envelope. The generated file is committed, so
// building and testing need no protoc.
package pb

//go:generate protoc -I ../../.. --go_out=../../.. --go_opt=paths=source_relative envelope/internal/pb/sns_sqs_message.proto
