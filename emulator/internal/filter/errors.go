package filter

// Error reports a filter policy or filter policy scope that SNS would refuse.
//
// Reason is the text AWS puts after "Invalid parameter: ", for example
// `FilterPolicy: Filter policy is too complex`. SetSubscriptionAttributes
// answers with Error() verbatim; Subscribe, which carries the policy inside
// its Attributes map, answers "Invalid parameter: Attributes Reason: " +
// Reason. Both go out as the InvalidParameter error code.
//
// Where AWS's text comes from its JSON parser (it appends
// "\n at [Source: ...; line: 1, column: N]"), Reason carries only the first
// line: the position suffix is an artefact of AWS's Java parser, not part of
// the contract.
type Error struct {
	Reason string
}

// Error returns the message AWS sends for SetSubscriptionAttributes.
func (e *Error) Error() string { return "Invalid parameter: " + e.Reason }

// policyError is an invalid filter policy; AWS prefixes almost all of these
// with the attribute name.
func policyError(reason string) *Error { return &Error{Reason: "FilterPolicy: " + reason} }
