package mailcontact

import (
	"context"
	"fmt"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/tracking"
)

// EngagementRecorder is a processor reactor that notes a send's first open
// and click on its record, so the contact page lists each message with what
// happened to it without reading the timeline. The pixel, the click
// redirect and SES's own open and click events all arrive here as events
// with the send's id; the processor has removed duplicates, and the store
// keeps the first time only, so a retried pass writes nothing new.
func EngagementRecorder(st mail.EngagementStore) contact.Reactor {
	return contact.ReactorFunc(func(ctx context.Context, c *contact.Change) error {
		for _, ev := range c.Events {
			act, sendID, machine, ok := engagementOf(ev)
			if !ok {
				continue
			}
			if err := st.NoteEngagement(ctx, sendID, ev.ContactID, act, machine, ev.Timestamp); err != nil {
				return fmt.Errorf("contact %s: %w", c.After.ID, err)
			}
		}
		return nil
	})
}

func engagementOf(ev tracking.Message) (mail.Act, string, bool, bool) {
	// Only Leadflow's own producers (the links and SES events functions)
	// address a contact by id; a website's "Email Opened" never does, so it
	// cannot mark a send opened.
	if ev.Type != tracking.TypeTrack || ev.ContactID == "" {
		return "", "", false, false
	}
	var act mail.Act
	switch ev.Event {
	case engagement.EventOpened:
		act = mail.ActOpened
	case engagement.EventClicked:
		act = mail.ActClicked
	default:
		return "", "", false, false
	}
	sendID, _ := ev.Properties["send_id"].(string)
	if sendID == "" {
		return "", "", false, false
	}
	machine, _ := ev.Properties["machine"].(bool)
	return act, sendID, machine, true
}
