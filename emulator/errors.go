package emulator

import (
	"fmt"
	"net/http"
)

// apiError is an error the emulator reports to a client the way AWS does.
// SQS renders it as JSON with a "__type" and an x-amzn-query-error header;
// SNS and STS render it as a query-protocol ErrorResponse document.
type apiError struct {
	status    int
	code      string // SQS: the error shape name; SNS/STS: the error code
	queryCode string // SQS only: the legacy query code when it differs from code
	receiver  bool   // the server, not the sender, is at fault
	msg       string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func (e *apiError) legacyCode() string {
	if e.queryCode != "" {
		return e.queryCode
	}
	return e.code
}

func newError(status int, code, queryCode, format string, args ...any) *apiError {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &apiError{status: status, code: code, queryCode: queryCode, msg: msg}
}

// SQS errors. Codes, legacy query codes and HTTP statuses follow the SQS API
// model (the awsQueryError traits of the service's Smithy model).

func errQueueDoesNotExist() *apiError {
	return newError(http.StatusBadRequest, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
		"The specified queue does not exist.")
}

func errQueueNameExists(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "QueueNameExists", "QueueAlreadyExists", format, args...)
}

func errInvalidParameterValue(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidParameterValue", "", format, args...)
}

func errMissingParameter(name string) *apiError {
	return newError(http.StatusBadRequest, "MissingParameter", "",
		"The request must contain the parameter %s.", name)
}

func errInvalidAttributeName(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidAttributeName", "", format, args...)
}

func errInvalidAttributeValue(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidAttributeValue", "", format, args...)
}

func errInvalidMessageContents(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "InvalidMessageContents", "", format, args...)
}

func errReceiptHandleIsInvalid(format string, args ...any) *apiError {
	return newError(http.StatusNotFound, "ReceiptHandleIsInvalid", "", format, args...)
}

func errMessageNotInflight() *apiError {
	return newError(http.StatusBadRequest, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
		"The message referred to isn't in flight.")
}

func errPurgeQueueInProgress(name string) *apiError {
	return newError(http.StatusForbidden, "PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
		"Only one PurgeQueue operation on %s is allowed every 60 seconds.", name)
}

func errEmptyBatchRequest(entry string) *apiError {
	return newError(http.StatusBadRequest, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
		"There should be at least one %s in the request.", entry)
}

func errTooManyEntriesInBatchRequest(n int) *apiError {
	return newError(http.StatusBadRequest, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
		"Maximum number of entries per request are 10. You have sent %d.", n)
}

func errBatchEntryIdsNotDistinct(id string) *apiError {
	return newError(http.StatusBadRequest, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
		"Id %s repeated.", id)
}

func errInvalidBatchEntryId(id string) *apiError {
	return newError(http.StatusBadRequest, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
		"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long. Invalid id: %q.", id)
}

func errBatchRequestTooLong(size, limit int) *apiError {
	return newError(http.StatusBadRequest, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong",
		"Batch requests cannot be longer than %d bytes. You have sent %d bytes.", limit, size)
}

func errOverLimit(format string, args ...any) *apiError {
	return newError(http.StatusForbidden, "OverLimit", "", format, args...)
}

func errUnsupportedOperation(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation", format, args...)
}

// Protocol-level errors shared by the JSON services (the "coral" framework
// names AWS uses before a request reaches the service).

func errSerialization(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, "com.amazon.coral.service#SerializationException", "SerializationException", format, args...)
}

func errUnknownOperation(target string) *apiError {
	return newError(http.StatusBadRequest, "com.amazon.coral.service#UnknownOperationException", "UnknownOperationException",
		"Unknown operation %s.", target)
}

func errInternal(format string, args ...any) *apiError {
	e := newError(http.StatusInternalServerError, "InternalError", "", format, args...)
	e.receiver = true
	return e
}
