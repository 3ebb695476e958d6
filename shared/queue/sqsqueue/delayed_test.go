package sqsqueue

import (
	"context"
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/awsapi/sqs"
)

type recordingClient struct{ in *sqs.SendMessageInput }

func (c *recordingClient) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	c.in = in
	return &sqs.SendMessageOutput{}, nil
}

func TestEnqueueDelayedRoundsUpAndClamps(t *testing.T) {
	tests := []struct {
		delay time.Duration
		want  int32
	}{
		{0, 0},
		{-time.Second, 0},
		{100 * time.Millisecond, 1}, // never earlier than asked
		{10 * time.Second, 10},
		{2*time.Minute + 500*time.Millisecond, 121},
		{15 * time.Minute, 900},
		{time.Hour, 900}, // SQS refuses more than 15 minutes
	}
	for _, tc := range tests {
		c := &recordingClient{}
		if err := New(c, "http://q").EnqueueDelayed(context.Background(), "b", tc.delay); err != nil {
			t.Fatal(err)
		}
		if c.in.DelaySeconds != tc.want || *c.in.MessageBody != "b" || *c.in.QueueUrl != "http://q" {
			t.Errorf("delay %s: DelaySeconds %d, want %d", tc.delay, c.in.DelaySeconds, tc.want)
		}
	}
}
