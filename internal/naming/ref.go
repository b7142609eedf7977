package naming

import (
	"fmt"
	"net/url"
	"strings"
)

// RefKind says how a queue is addressed.
type RefKind int

// The ways to address a queue.
const (
	// RefName is a plain queue name, to be prefixed and looked up.
	RefName RefKind = iota + 1
	// RefURL is a queue URL (http:// or https://), used as it is.
	RefURL
	// RefARN is an SQS queue ARN, looked up by its name and owner account,
	// never prefixed.
	RefARN
)

// String returns "name", "URL" or "ARN".
func (k RefKind) String() string {
	switch k {
	case RefName:
		return "name"
	case RefURL:
		return "URL"
	case RefARN:
		return "ARN"
	}
	return fmt.Sprintf("RefKind(%d)", int(k))
}

// QueueRef is a parsed queue address: a name, URL or ARN.
type QueueRef struct {
	Kind RefKind
	// Name is the queue name: as given for RefName (without any prefix), or
	// the last path segment of a URL or the last segment of an ARN.
	Name string
	// URL is the queue URL as given (RefURL only).
	URL string
	// Account is the owning account id from a URL path or ARN, or "" when
	// unknown. An all-zero account (as local emulators use) is reported as "".
	Account string
	// Region and Partition are set for RefARN only.
	Region, Partition string
}

// InvalidRefError reports a queue URL or ARN that cannot be parsed.
type InvalidRefError struct {
	Ref    string // the address as given
	Detail string // what is wrong with it
}

// Error returns "invalid queue address <ref>: <detail>".
func (e *InvalidRefError) Error() string {
	return fmt.Sprintf("invalid queue address %q: %s", e.Ref, e.Detail)
}

// ParseQueueRef classifies ref as a queue URL (it starts with http:// or
// https://), an SQS ARN (it starts with "arn:" and has the service "sqs"), or a
// plain name, and extracts its parts. A URL must have a queue name as its last
// path segment; an ARN must have the form arn:<partition>:sqs:<region>:<account>:<name>
// with an all-digit account. Names are returned without being validated or
// prefixed: callers prefix RefName only, which avoids tomodachi's quirk of
// prefixing names taken from ARNs.
func ParseQueueRef(ref string) (QueueRef, error) {
	switch {
	case strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://"):
		return parseQueueURL(ref)
	case strings.HasPrefix(ref, "arn:"):
		return parseQueueARN(ref)
	case ref == "":
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: "is empty"}
	}
	return QueueRef{Kind: RefName, Name: ref}, nil
}

func parseQueueURL(ref string) (QueueRef, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: err.Error()}
	}
	if u.Host == "" {
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: "has no host"}
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	name := segs[len(segs)-1]
	if name == "" {
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: "has no queue name in its path"}
	}
	r := QueueRef{Kind: RefURL, Name: name, URL: ref}
	if len(segs) >= 2 && isDigits(segs[len(segs)-2]) {
		r.Account = ownerAccount(segs[len(segs)-2])
	}
	return r, nil
}

func parseQueueARN(ref string) (QueueRef, error) {
	parts := strings.SplitN(ref, ":", 6)
	if len(parts) != 6 {
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: "is not of the form arn:<partition>:sqs:<region>:<account>:<name>"}
	}
	partition, service, region, account, name := parts[1], parts[2], parts[3], parts[4], parts[5]
	switch {
	case service != "sqs":
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: fmt.Sprintf("is an ARN for service %q, not sqs", service)}
	case partition == "":
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: "has an empty partition"}
	case !isDigits(account):
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: fmt.Sprintf("has account %q; an account id is all digits", account)}
	case name == "" || strings.ContainsAny(name, ":/"):
		return QueueRef{}, &InvalidRefError{Ref: ref, Detail: fmt.Sprintf("has queue name %q", name)}
	}
	return QueueRef{Kind: RefARN, Name: name, Account: ownerAccount(account), Region: region, Partition: partition}, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ownerAccount drops the all-zero account id local emulators use.
func ownerAccount(account string) string {
	if strings.Trim(account, "0") == "" {
		return ""
	}
	return account
}
