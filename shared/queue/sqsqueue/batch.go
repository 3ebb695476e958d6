package sqsqueue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/awsapi/sqs/types"
)

// BatchAPI is the part of the SQS client a Batch uses.
type BatchAPI interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Batch sends many messages to one queue, ten per request (a campaign's
// fan-out: one request per ten recipients instead of ten).
type Batch struct {
	client BatchAPI
	url    string
}

// NewBatch returns a Batch for the queue URL.
func NewBatch(client BatchAPI, url string) *Batch { return &Batch{client: client, url: url} }

// EnqueueBatch sends every body; entries SQS refused are sent again a few
// times before it gives up with an error (the caller's message is then
// retried, and the bodies are idempotent sends).
func (q *Batch) EnqueueBatch(ctx context.Context, bodies []string) error {
	for len(bodies) > 0 {
		n := min(len(bodies), 10)
		chunk := bodies[:n]
		for attempt := 0; len(chunk) > 0; attempt++ {
			if attempt == 4 {
				return fmt.Errorf("send batch to %s: %d entries refused 4 times", q.url, len(chunk))
			}
			if attempt > 0 {
				time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
			}
			entries := make([]types.SendMessageBatchRequestEntry, len(chunk))
			for i, b := range chunk {
				entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)}
			}
			out, err := q.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.url), Entries: entries})
			if err != nil {
				return fmt.Errorf("send batch to %s: %w", q.url, err)
			}
			var again []string
			for _, f := range out.Failed {
				i, err := strconv.Atoi(aws.ToString(f.Id))
				if err != nil || i < 0 || i >= len(chunk) {
					return fmt.Errorf("send batch to %s: unknown failed entry %q", q.url, aws.ToString(f.Id))
				}
				again = append(again, chunk[i])
			}
			chunk = again
		}
		bodies = bodies[n:]
	}
	return nil
}
