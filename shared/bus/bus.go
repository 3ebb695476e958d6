// Package bus publishes Leadflow's domain events (lead.qualified, ...) to
// an EventBridge bus that integrations subscribe to.
package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge/types"
)

// Source is the EventBridge source of every Leadflow event.
const Source = "leadflow"

// Event is one domain event.
type Event struct {
	DetailType string
	Detail     any
	Time       time.Time
	// Resources name what the event is about (contact ids), for rules.
	Resources []string
}

// Publisher is the port the domain publishes through.
type Publisher interface {
	Publish(ctx context.Context, events ...Event) error
}

// API is the part of the EventBridge client the adapter uses.
type API interface {
	PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridge publishes to one bus.
type EventBridge struct {
	client API
	bus    string
}

var _ Publisher = (*EventBridge)(nil)

// NewEventBridge returns a publisher for the named bus.
func NewEventBridge(client API, busName string) *EventBridge {
	return &EventBridge{client: client, bus: busName}
}

// Publish sends events, ten per call (PutEvents' limit), and fails if any
// entry failed so the caller retries: subscribers de-duplicate by the id
// inside the detail, since EventBridge itself may deliver twice.
func (b *EventBridge) Publish(ctx context.Context, events ...Event) error {
	for start := 0; start < len(events); start += 10 {
		var entries []types.PutEventsRequestEntry
		for _, e := range events[start:min(start+10, len(events))] {
			detail, err := json.Marshal(e.Detail)
			if err != nil {
				return fmt.Errorf("encode %s: %w", e.DetailType, err)
			}
			entries = append(entries, types.PutEventsRequestEntry{
				EventBusName: aws.String(b.bus), Source: aws.String(Source), DetailType: aws.String(e.DetailType),
				Detail: aws.String(string(detail)), Time: aws.Time(e.Time), Resources: e.Resources,
			})
		}
		res, err := b.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return fmt.Errorf("put %d events on %s: %w", len(entries), b.bus, err)
		}
		if res.FailedEntryCount > 0 {
			for _, r := range res.Entries {
				if r.ErrorCode != nil {
					return fmt.Errorf("put events on %s: %d failed, first: %s %s", b.bus, res.FailedEntryCount, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
				}
			}
			return fmt.Errorf("put events on %s: %d failed", b.bus, res.FailedEntryCount)
		}
	}
	return nil
}
