// Package attrconv converts message attributes between the envelope
// package's wire type and the AWS SDK's SQS and SNS types.
package attrconv
