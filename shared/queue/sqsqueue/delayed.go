package sqsqueue

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/sqs"
)

// MaxDelay is the longest delay SQS accepts on one message.
const MaxDelay = 15 * time.Minute

// EnqueueDelayed sends one message that becomes visible after delay, so a
// retry can wait without a timer or a sleeping Lambda. The delay is rounded
// up to whole seconds and clamped to SQS's 0..15 minutes. Uses SendMessage,
// not SendMessageBatch: the local queue server ignores batch delays.
func (q *Queue) EnqueueDelayed(ctx context.Context, body string, delay time.Duration) error {
	secs := int32(min(max((delay+time.Second-1)/time.Second, 0), MaxDelay/time.Second))
	_, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:     aws.String(q.url),
		MessageBody:  aws.String(body),
		DelaySeconds: secs,
	})
	if err != nil {
		return fmt.Errorf("send to %s with a %ds delay: %w", q.url, secs, err)
	}
	return nil
}
