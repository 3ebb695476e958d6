// Package sqsqueue is the SQS adapter for the queue ports of the domain.
package sqsqueue

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/sqs"
)

// API is the part of the SQS client the adapter uses.
type API interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Queue sends messages to one SQS queue.
type Queue struct {
	client API
	url    string
}

// New returns a Queue for the queue URL.
func New(client API, url string) *Queue { return &Queue{client: client, url: url} }

// Enqueue sends one message.
func (q *Queue) Enqueue(ctx context.Context, body string) error {
	if _, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(q.url), MessageBody: aws.String(body)}); err != nil {
		return fmt.Errorf("send to %s: %w", q.url, err)
	}
	return nil
}
