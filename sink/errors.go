package sink

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// EntryError is why AWS rejected one entry of a batch request: the message
// it came from fails with it. When Permanent (the sender's fault, such as a
// validation error or a message that is too large) the failure is marked
// flow.Permanent, so the source dead-letters the message instead of
// retrying it.
type EntryError struct {
	Target    string // the topic ARN or queue URL
	Code      string // AWS's error code, e.g. "InvalidParameter"
	Message   string
	Permanent bool
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("sink: %s rejected a message: %s: %s", e.Target, e.Code, e.Message)
}

// fatalCodes are AWS error codes that make every request fail, so a sink
// that meets one stops the pipeline instead of failing message after message.
var fatalCodes = map[string]bool{
	"AuthorizationError":                      true, // SNS: not allowed to publish
	"AccessDenied":                            true,
	"AccessDeniedException":                   true,
	"InvalidClientTokenId":                    true,
	"UnrecognizedClientException":             true,
	"SignatureDoesNotMatch":                   true,
	"NotFound":                                true, // SNS: the topic is gone
	"QueueDoesNotExist":                       true,
	"AWS.SimpleQueueService.NonExistentQueue": true,
	"KMSAccessDenied":                         true,
	"KMSDisabled":                             true,
}

// fatal reports whether err means the sink cannot work at all.
func fatal(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && fatalCodes[api.ErrorCode()]
}

// retriableEntry reports whether a failed batch entry is worth another try:
// AWS's fault, or throttling.
func retriableEntry(code string, senderFault bool) bool {
	switch code {
	case "Throttled", "Throttling", "ThrottlingException", "RequestThrottled", "KMSThrottling":
		return true
	}
	return !senderFault
}
