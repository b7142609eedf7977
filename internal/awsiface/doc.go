// Package awsiface declares the small interfaces over the AWS SDK clients that
// sqsflow uses, one method per AWS call it makes. *sqs.Client, *sns.Client and
// *sts.Client satisfy them (checked at compile time below), and tests pass
// hand-written fakes that wrap a real client and inject failures.
//
// Every method has the SDK's own signature, so a fake can embed the interface,
// delegate to a real client and override only the calls it wants to break.
package awsiface
