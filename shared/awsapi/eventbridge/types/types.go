// Package types holds the EventBridge shapes Leadflow sends, named and
// typed as in github.com/aws/aws-sdk-go-v2/service/eventbridge/types; see
// package shared/awsapi.
package types

import "time"

// PutEventsRequestEntry is one event of a PutEvents.
type PutEventsRequestEntry struct {
	Detail       *string
	DetailType   *string
	EventBusName *string
	Resources    []string
	Source       *string
	Time         *time.Time
	TraceHeader  *string
}

// PutEventsResultEntry is one event's result: an EventId, or an error.
type PutEventsResultEntry struct {
	ErrorCode    *string
	ErrorMessage *string
	EventId      *string
}
