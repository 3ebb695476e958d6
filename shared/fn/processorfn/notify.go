package processorfn

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/leadflow/leadflow/shared/bus"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/webhook"
)

// Notifier carries out journey notify steps: the journey.* event on the
// bus and, when the step asks, a delivery to each webhook endpoint through
// the webhooks queue (which signs and retries). The notification's id is
// run + step: the same on a repeat, for receivers to de-duplicate.
type Notifier struct {
	Bus      bus.Publisher
	Webhooks mail.Queue // any queue of string bodies
	URLs     []string
}

var _ journeyrun.Notifier = (*Notifier)(nil)

// Notify implements journeyrun.Notifier.
func (n *Notifier) Notify(ctx context.Context, note journeyrun.Notification) error {
	body, err := json.Marshal(note)
	if err != nil {
		return fmt.Errorf("encode %s: %w", note.Event, err)
	}
	if n.Bus != nil {
		if err := n.Bus.Publish(ctx, bus.Event{DetailType: note.Event, Detail: json.RawMessage(body), Time: note.At, Resources: []string{note.ContactID}}); err != nil {
			return fmt.Errorf("publish %s: %w", note.Event, err)
		}
	}
	if !note.Webhooks || n.Webhooks == nil {
		return nil
	}
	for i, u := range n.URLs {
		d := webhook.Delivery{ID: webhook.DeliveryID(note.ID, i), URL: u, Event: note.Event, Body: body, Attempt: 1}
		msg, err := d.Encode()
		if err == nil {
			err = n.Webhooks.Enqueue(ctx, msg)
		}
		if err != nil {
			return fmt.Errorf("queue %s webhook %d: %w", note.Event, i, err)
		}
	}
	return nil
}
