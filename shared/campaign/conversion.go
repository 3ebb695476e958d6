package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/tracking"
)

// ConversionReactor attributes goal events to campaigns in the processor
// pass: a human open or click of a campaign mail becomes the contact's
// campaign touch (kept on the profile, a few bytes), and a later event
// that is that campaign's goal, within its window, counts as the send's
// conversion with its revenue. Counting is once per send (a mark on the
// send record in the counters' transaction), so a retried pass, whose
// reactors run again, adds nothing.
type ConversionReactor struct {
	Sends       SendCounter
	Definitions Definitions
	Log         *slog.Logger
}

var _ contact.Reactor = (*ConversionReactor)(nil)

// React implements contact.Reactor.
func (r *ConversionReactor) React(ctx context.Context, c *contact.Change) error {
	if len(c.Events) == 0 {
		return nil
	}
	touch := c.After.CampaignTouch
	evs := slices.Clone(c.Events)
	slices.SortStableFunc(evs, func(a, b tracking.Message) int { return a.Timestamp.Compare(b.Timestamp) })
	var camp *Campaign
	for _, ev := range evs {
		if sendID, ok := humanCampaignEngagement(ev); ok {
			if touch != nil && touch.SendID == sendID {
				if ev.Timestamp.After(touch.At) {
					t := *touch
					t.At = ev.Timestamp.UTC()
					touch = &t
				}
				continue
			}
			rec, err := r.Sends.GetSend(ctx, sendID)
			if err != nil {
				// A send without a record (deleted by its TTL) attributes
				// nothing; anything else is retried with the pass.
				if isNotFound(err) {
					continue
				}
				return fmt.Errorf("campaign touch of %s: %w", c.After.ID, err)
			}
			if rec.Source.Campaign == "" {
				continue
			}
			touch, camp = &contact.CampaignTouch{SendID: sendID, Campaign: rec.Source.Campaign, At: ev.Timestamp.UTC()}, nil
			continue
		}
		if touch == nil || ev.Type != tracking.TypeTrack || ev.Event == "" {
			continue
		}
		if camp == nil || camp.ID != touch.Campaign {
			d, err := r.Definitions.Campaign(ctx, touch.Campaign)
			if err != nil {
				// A deleted campaign converts nothing; its touch stays
				// until a newer one replaces it.
				r.Log.DebugContext(ctx, "campaign of a touch unreadable", "contact_id", c.After.ID, "campaign_id", touch.Campaign, "error", err)
				continue
			}
			camp = &d
		}
		g := camp.Goal
		if g == nil || !strings.EqualFold(g.Event, ev.Event) {
			continue
		}
		if ev.Timestamp.Before(touch.At) || ev.Timestamp.Sub(touch.At) > g.WindowDuration() {
			continue
		}
		counted, err := CountConversion(ctx, r.Sends, touch.SendID, Revenue(ev, g.RevenueProperty))
		if err != nil {
			return fmt.Errorf("conversion of %s for campaign %s: %w", c.After.ID, touch.Campaign, err)
		}
		if counted {
			r.Log.InfoContext(ctx, "campaign conversion", "contact_id", c.After.ID, "campaign_id", touch.Campaign, "send_id", touch.SendID)
		}
	}
	c.After.CampaignTouch = touch
	return nil
}

// humanCampaignEngagement is a person's open or click of a campaign mail.
// Only Leadflow's own producers (links, SES events) address a contact by
// id: a website's "Email Opened" never does, so it cannot claim a touch.
func humanCampaignEngagement(ev tracking.Message) (string, bool) {
	if ev.Type != tracking.TypeTrack || ev.ContactID == "" {
		return "", false
	}
	if ev.Event != engagement.EventOpened && ev.Event != engagement.EventClicked {
		return "", false
	}
	if machine, _ := ev.Properties["machine"].(bool); machine {
		return "", false
	}
	sendID, _ := ev.Properties["send_id"].(string)
	if !mail.IsCampaignSendID(sendID) {
		return "", false
	}
	return sendID, true
}

// Revenue reads a goal event's numeric property in cents (0 when missing,
// not a number, negative or absurd).
func Revenue(ev tracking.Message, property string) int64 {
	if property == "" {
		return 0
	}
	var v float64
	switch x := ev.Properties[property].(type) {
	case float64:
		v = x
	case int:
		v = float64(x)
	case int64:
		v = float64(x)
	default:
		return 0
	}
	if math.IsNaN(v) || v <= 0 || v > 1e10 {
		return 0
	}
	return int64(math.Round(v * 100))
}

func isNotFound(err error) bool { return errors.Is(err, mail.ErrSendNotFound) }
