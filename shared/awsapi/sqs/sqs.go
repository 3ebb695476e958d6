// Package sqs is Leadflow's SQS client for sending messages, with the
// SDK's names and shapes (github.com/aws/aws-sdk-go-v2/service/sqs), over
// SQS's JSON protocol (AmazonSQS.*, the protocol the SDK speaks and the
// local server goaws answers). See package shared/awsapi for why.
package sqs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi"
	"github.com/leadflow/leadflow/shared/awsapi/sqs/types"
)

// ServiceID is the SDK's service ID for SQS.
const ServiceID = "SQS"

var service = awsapi.Service{
	ID: ServiceID, SigningName: "sqs", EndpointPrefix: "sqs",
	TargetPrefix: "AmazonSQS", ContentType: "application/x-amz-json-1.0",
}

// Options are the client's settings (see awsapi.Options).
type Options = awsapi.Options

// Client is an SQS client.
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

type SendMessageInput struct {
	QueueUrl               *string
	MessageBody            *string
	DelaySeconds           int32
	MessageDeduplicationId *string
	MessageGroupId         *string
}

type SendMessageOutput struct {
	MD5OfMessageBody *string
	MessageId        *string
	SequenceNumber   *string
}

type SendMessageBatchInput struct {
	QueueUrl *string
	Entries  []types.SendMessageBatchRequestEntry
}

type SendMessageBatchOutput struct {
	Failed     []types.BatchResultErrorEntry
	Successful []types.SendMessageBatchResultEntry
}

func (c *Client) client(optFns []func(*Options)) *awsapi.Client {
	if len(optFns) == 0 {
		return c.c
	}
	return New(c.c.Options(), optFns...).c
}

// SendMessage sends one message.
func (c *Client) SendMessage(ctx context.Context, in *SendMessageInput, optFns ...func(*Options)) (*SendMessageOutput, error) {
	e := awsapi.Begin(make([]byte, 0, 128+len(aws.ToString(in.MessageBody))))
	e.Str("QueueUrl", in.QueueUrl)
	e.Str("MessageBody", in.MessageBody)
	if in.DelaySeconds != 0 {
		e.Int("DelaySeconds", int64(in.DelaySeconds))
	}
	e.Str("MessageDeduplicationId", in.MessageDeduplicationId)
	e.Str("MessageGroupId", in.MessageGroupId)
	out, err := c.client(optFns).Do(ctx, "SendMessage", in, e.End(), func(data []byte) (any, error) {
		out := new(SendMessageOutput)
		return out, unmarshal(data, out)
	})
	if err != nil {
		return nil, err
	}
	return out.(*SendMessageOutput), nil
}

// SendMessageBatch sends up to 10 messages.
func (c *Client) SendMessageBatch(ctx context.Context, in *SendMessageBatchInput, optFns ...func(*Options)) (*SendMessageBatchOutput, error) {
	size := 128
	for _, m := range in.Entries {
		size += 64 + len(aws.ToString(m.MessageBody))
	}
	e := awsapi.Begin(make([]byte, 0, size))
	e.Str("QueueUrl", in.QueueUrl)
	if in.Entries != nil {
		e.Key("Entries")
		e.B = append(e.B, '[')
		for i, m := range in.Entries {
			if i > 0 {
				e.B = append(e.B, ',')
			}
			o := awsapi.Begin(e.B)
			o.Str("Id", m.Id)
			o.Str("MessageBody", m.MessageBody)
			if m.DelaySeconds != 0 {
				o.Int("DelaySeconds", int64(m.DelaySeconds))
			}
			o.Str("MessageDeduplicationId", m.MessageDeduplicationId)
			o.Str("MessageGroupId", m.MessageGroupId)
			e.B = o.End()
		}
		e.B = append(e.B, ']')
	}
	out, err := c.client(optFns).Do(ctx, "SendMessageBatch", in, e.End(), func(data []byte) (any, error) {
		out := new(SendMessageBatchOutput)
		return out, unmarshal(data, out)
	})
	if err != nil {
		return nil, err
	}
	return out.(*SendMessageBatchOutput), nil
}

func unmarshal(data []byte, out any) error {
	if len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}
