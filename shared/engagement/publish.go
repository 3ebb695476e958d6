package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/leadflow/leadflow/shared/tracking"
)

// InternalSiteKey marks batches Leadflow produced itself (the timers
// function uses the same value).
const InternalSiteKey = "internal"

// Queue is the events queue (sqsqueue.Queue): the processor applies what
// arrives there to the contact, scores it and writes the timeline, so email
// events need no second path into the contact.
type Queue interface {
	Enqueue(ctx context.Context, body string) error
}

// Publish sends messages to the events queue as one batch, in the format
// the ingest function writes.
func Publish(ctx context.Context, q Queue, requestID string, now time.Time, msgs ...tracking.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	bodies, err := tracking.EncodeBatches(tracking.Batch{RequestID: requestID, SiteKey: InternalSiteKey, ReceivedAt: now.UTC(), Messages: msgs})
	if err != nil {
		return fmt.Errorf("encode %d email events: %w", len(msgs), err)
	}
	for _, body := range bodies {
		if err := q.Enqueue(ctx, body); err != nil {
			return fmt.Errorf("queue %s for contact %s: %w", msgs[0].Event, msgs[0].ContactID, err)
		}
	}
	return nil
}
