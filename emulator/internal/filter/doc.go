// Package filter is the SNS subscription filter policy engine of the
// embedded emulator: it parses and validates a FilterPolicy as SNS does
// when a subscription is created or changed, and decides, for each
// published message, whether the subscription receives it.
//
// Parse turns the policy text into a Policy once, rejecting what AWS
// rejects with AWS's own InvalidParameter message (an *Error); Match then
// evaluates a message without touching the policy text again, reading the
// message attributes (FilterPolicyScope MessageAttributes, the default) or
// the JSON body (MessageBody), the body in a single pass that skips what
// the policy does not name.
//
// The rules are those of the Amazon SNS Developer Guide: keys are ANDed, the
// values listed for a key are ORed, "$or" ORs whole sub-policies; values
// match exactly (strings case-sensitively, numbers numerically), or by
// prefix, suffix, equals-ignore-case, cidr, numeric comparison and ranges,
// anything-but, and exists. A String.Array attribute matches when one of
// its elements does; a body array likewise, with conditions inside one
// array required to hold in the same element. Binary attributes are
// ignored. Where the documentation is silent, the choice made is written
// down next to the code that makes it.
//
// The package depends on the standard library only and knows nothing of
// the emulator: the emulator hands it strings and maps.
package filter
