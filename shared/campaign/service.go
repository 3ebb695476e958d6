package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Scheduler keeps a campaign's schedule where it fires from: EventBridge
// Scheduler on AWS (one schedule per campaign in the stack's group), the
// local runner's list locally. Both fire a ChunkFire message whose
// occurrence is the scheduled time.
type Scheduler interface {
	// PutSchedule creates or replaces the campaign's schedule.
	PutSchedule(ctx context.Context, id string, p SchedulePlan) error
	// DeleteSchedule removes it; a missing schedule is not an error.
	DeleteSchedule(ctx context.Context, id string) error
}

// SchedulePlan is what a Scheduler needs: the expression and zone, the
// end of a recurring schedule, and the message to fire.
type SchedulePlan struct {
	Expression string
	Zone       string
	End        time.Time
	Message    Chunk
}

// ScheduledTimeField is EventBridge Scheduler's context attribute for the
// time a firing was scheduled for; the local runner fills in the same.
const ScheduledTimeField = "<aws.scheduler.scheduled-time>"

// PlanOf is the schedule a campaign needs, false for "now" (it starts
// when scheduled).
func PlanOf(c Campaign) (SchedulePlan, bool, error) {
	if c.Schedule.Type == Now {
		return SchedulePlan{}, false, nil
	}
	expr, zone, err := c.Schedule.Expression()
	if err != nil {
		return SchedulePlan{}, false, err
	}
	p := SchedulePlan{Expression: expr, Zone: zone, Message: Chunk{Kind: ChunkFire, Campaign: c.ID, Occurrence: ScheduledTimeField}}
	if end, ok := c.Schedule.Ends(); ok {
		p.End = end
	}
	return p, true, nil
}

// NormalizeOccurrence turns a firing's scheduled time (RFC 3339, as the
// Scheduler fills it in) into an occurrence id; an id stays as it is.
func NormalizeOccurrence(v string) (string, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return OccurrenceID(t), nil
	}
	if _, err := ParseOccurrenceID(v); err != nil {
		return "", err
	}
	return v, nil
}

// Service runs the lifecycle actions: each checks the state machine,
// writes the state with a compare-and-set, and then arms or disarms the
// schedule. A failed side effect leaves the state written and is repeated
// by the same action (each is idempotent).
type Service struct {
	Store       Store
	Definitions Definitions
	Scheduler   Scheduler
	Fanout      *Fanout
	// ApprovalRequired reads the sending settings' campaign_approval.
	ApprovalRequired func(ctx context.Context) (bool, error)
	Now              func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// State returns a campaign's state; a campaign never acted on is a draft.
func (s *Service) State(ctx context.Context, id string) (State, error) {
	st, err := s.Store.CampaignState(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return State{ID: id, Status: Draft}, nil
	}
	return st, err
}

func (s *Service) approvalRequired(ctx context.Context) (bool, error) {
	if s.ApprovalRequired == nil {
		return false, nil
	}
	return s.ApprovalRequired(ctx)
}

// update applies a transition and saves it, re-reading on a concurrent
// change (a few times: actions are rare and quick).
func (s *Service) update(ctx context.Context, id string, f func(State) (State, error)) (State, State, error) {
	for attempt := 0; ; attempt++ {
		prev, err := s.State(ctx, id)
		if err != nil {
			return State{}, State{}, err
		}
		next, err := f(prev)
		if err != nil {
			return prev, prev, err
		}
		err = s.Store.SaveCampaignState(ctx, next, prev.Version)
		if errors.Is(err, ErrStateConflict) && attempt < 3 {
			continue
		}
		if err != nil {
			return prev, prev, fmt.Errorf("campaign %s: %w", id, err)
		}
		next.Version = prev.Version + 1
		return prev, next, nil
	}
}

// CheckEdit refuses a content change once the first send started.
func (s *Service) CheckEdit(ctx context.Context, id string) error {
	st, err := s.State(ctx, id)
	if err != nil {
		return err
	}
	if !st.Editable() {
		return ErrLocked
	}
	return nil
}

// Edited records a saved content change (after the registry saved it).
func (s *Service) Edited(ctx context.Context, id, hash, by string) (State, error) {
	req, err := s.approvalRequired(ctx)
	if err != nil {
		return State{}, err
	}
	prev, next, err := s.update(ctx, id, func(st State) (State, error) {
		st.ID = id
		return st.Edited(hash, by, req, s.now())
	})
	if err != nil {
		return next, err
	}
	return next, s.sync(ctx, id, prev, next)
}

// Schedule asks for the campaign to go out.
func (s *Service) Schedule(ctx context.Context, id, by string) (State, error) {
	if _, err := s.Definitions.Campaign(ctx, id); err != nil {
		return State{}, err
	}
	req, err := s.approvalRequired(ctx)
	if err != nil {
		return State{}, err
	}
	prev, next, err := s.update(ctx, id, func(st State) (State, error) {
		st.ID = id
		return st.Schedule(by, req, s.now())
	})
	if err != nil {
		return next, err
	}
	return next, s.sync(ctx, id, prev, next)
}

// Approve records an approval (the caller checked the role).
func (s *Service) Approve(ctx context.Context, id, by string) (State, error) {
	prev, next, err := s.update(ctx, id, func(st State) (State, error) { return st.Approve(by, s.now()) })
	if err != nil {
		return next, err
	}
	return next, s.sync(ctx, id, prev, next)
}

// Pause stops the fan-out and the queued sends; the schedule stays (a
// firing while paused is held and sent on resume).
func (s *Service) Pause(ctx context.Context, id string) (State, error) {
	_, next, err := s.update(ctx, id, func(st State) (State, error) { return st.Pause(s.now()) })
	return next, err
}

// Resume continues from the checkpoint.
func (s *Service) Resume(ctx context.Context, id string) (State, error) {
	prev, next, err := s.update(ctx, id, func(st State) (State, error) { return st.ResumeFromPause(s.now()) })
	if err != nil {
		return next, err
	}
	if err := s.sync(ctx, id, prev, next); err != nil {
		return next, err
	}
	return next, s.Fanout.Resume(ctx, id)
}

// Cancel stops for good and removes the schedule.
func (s *Service) Cancel(ctx context.Context, id string) (State, error) {
	prev, next, err := s.update(ctx, id, func(st State) (State, error) { return st.Cancel(s.now()) })
	if err != nil {
		if errors.Is(err, ErrTransition) && prev.Status == Cancelled {
			return prev, s.Scheduler.DeleteSchedule(ctx, id) // a retried cancel
		}
		return next, err
	}
	return next, s.sync(ctx, id, prev, next)
}

// sync arms or disarms the schedule after a transition: scheduled (and
// not yet started) arms it; waiting for approval, draft or the end
// disarm it. A "now" campaign fires at once.
func (s *Service) sync(ctx context.Context, id string, prev, next State) error {
	switch next.Status {
	case Scheduled:
		if prev.Status == Scheduled {
			return nil
		}
		c, err := s.Definitions.Campaign(ctx, id)
		if err != nil {
			return err
		}
		plan, ok, err := PlanOf(c)
		if err != nil {
			return err
		}
		if !ok {
			return s.Fanout.Fire(ctx, id, OccurrenceID(next.ScheduledAt))
		}
		if err := s.Scheduler.PutSchedule(ctx, id, plan); err != nil {
			return fmt.Errorf("campaign %s: arm the schedule: %w", id, err)
		}
	case AwaitingApproval, Draft, Cancelled, Sent:
		if prev.Status == Scheduled || prev.Status == Paused || prev.Status == Sending || next.Status == Cancelled {
			if err := s.Scheduler.DeleteSchedule(ctx, id); err != nil {
				return fmt.Errorf("campaign %s: remove the schedule: %w", id, err)
			}
		}
	}
	return nil
}
