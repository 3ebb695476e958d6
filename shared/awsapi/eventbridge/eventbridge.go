// Package eventbridge is Leadflow's EventBridge client for PutEvents, with
// the SDK's names and shapes (github.com/aws/aws-sdk-go-v2/service/eventbridge),
// over the JSON 1.1 protocol (AWSEvents.PutEvents). See package
// shared/awsapi for why.
package eventbridge

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge/types"
)

// ServiceID is the SDK's service ID for EventBridge.
const ServiceID = "EventBridge"

var service = awsapi.Service{
	ID: ServiceID, SigningName: "events", EndpointPrefix: "events",
	TargetPrefix: "AWSEvents", ContentType: "application/x-amz-json-1.1",
}

// Options are the client's settings (see awsapi.Options).
type Options = awsapi.Options

// Client is an EventBridge client.
type Client struct{ c *awsapi.Client }

// New returns a client with the given options.
func New(o Options, optFns ...func(*Options)) *Client {
	for _, fn := range optFns {
		fn(&o)
	}
	return &Client{c: awsapi.New(service, o)}
}

// NewFromConfig returns a client configured from cfg, as the SDK's does.
func NewFromConfig(cfg aws.Config, optFns ...func(*Options)) *Client {
	return New(awsapi.FromConfig(cfg, ServiceID), optFns...)
}

type PutEventsInput struct {
	Entries    []types.PutEventsRequestEntry
	EndpointId *string
}

type PutEventsOutput struct {
	Entries          []types.PutEventsResultEntry
	FailedEntryCount int32
}

// PutEvents puts up to 10 events.
func (c *Client) PutEvents(ctx context.Context, in *PutEventsInput, optFns ...func(*Options)) (*PutEventsOutput, error) {
	e := awsapi.Begin(make([]byte, 0, 512))
	if in.Entries != nil {
		e.Key("Entries")
		e.B = append(e.B, '[')
		for i, ev := range in.Entries {
			if i > 0 {
				e.B = append(e.B, ',')
			}
			o := awsapi.Begin(e.B)
			o.Str("Detail", ev.Detail)
			o.Str("DetailType", ev.DetailType)
			o.Str("EventBusName", ev.EventBusName)
			o.Strings("Resources", ev.Resources)
			o.Str("Source", ev.Source)
			o.Time("Time", ev.Time)
			o.Str("TraceHeader", ev.TraceHeader)
			e.B = o.End()
		}
		e.B = append(e.B, ']')
	}
	client := c.c
	if len(optFns) > 0 {
		client = New(c.c.Options(), optFns...).c
	}
	out, err := client.Do(ctx, "PutEvents", in, e.End(), func(data []byte) (any, error) {
		out := new(PutEventsOutput)
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("decode: %w", err)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return out.(*PutEventsOutput), nil
}
