// Package ebscheduler is the EventBridge Scheduler adapter of the campaign
// ports: a campaign's schedule (one-time at() or cron() with its zone) and
// the one-time firings the fan-out asks for (an A/B decision), each a
// schedule in the stack's group whose target is the campaigns queue, with
// the group's retry policy and dead-letter queue. Locally the runner
// serves the same API, so this adapter is the code path in both places.
package ebscheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/scheduler"
	"github.com/leadflow/leadflow/shared/awsapi/scheduler/types"
	"github.com/leadflow/leadflow/shared/campaign"
)

// API is the part of the Scheduler client the adapter uses.
type API interface {
	CreateSchedule(context.Context, *scheduler.CreateScheduleInput, ...func(*scheduler.Options)) (*scheduler.CreateScheduleOutput, error)
	UpdateSchedule(context.Context, *scheduler.UpdateScheduleInput, ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error)
	DeleteSchedule(context.Context, *scheduler.DeleteScheduleInput, ...func(*scheduler.Options)) (*scheduler.DeleteScheduleOutput, error)
}

// Config names the stack's resources.
type Config struct {
	Group string
	// RoleARN is the role the Scheduler assumes to send to the queue.
	RoleARN string
	// QueueARN is the campaigns queue, DLQARN the group's dead-letter queue.
	QueueARN, DLQARN string
}

// Scheduler implements campaign.Scheduler and campaign.Timers.
type Scheduler struct {
	api API
	cfg Config
}

var (
	_ campaign.Scheduler = (*Scheduler)(nil)
	_ campaign.Timers    = (*Scheduler)(nil)
)

// New returns the adapter.
func New(api API, cfg Config) *Scheduler { return &Scheduler{api: api, cfg: cfg} }

// Name is a campaign schedule's name: the Scheduler allows 64 characters
// of letters, digits and .-_ (campaign ids are at most 63 of [a-z0-9-]).
func Name(id string) string { return trim("c-" + id) }

func trim(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// Retry is the policy of every schedule: the Scheduler retries a failed
// delivery to the queue for up to an hour, then sends the event to the DLQ.
var Retry = &types.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(3600), MaximumRetryAttempts: aws.Int32(10)}

func (s *Scheduler) target(msg campaign.Chunk) *types.Target {
	return &types.Target{
		Arn: aws.String(s.cfg.QueueARN), RoleArn: aws.String(s.cfg.RoleARN), Input: aws.String(msg.Encode()),
		RetryPolicy:      Retry,
		DeadLetterConfig: &types.DeadLetterConfig{Arn: aws.String(s.cfg.DLQARN)},
	}
}

// PutSchedule creates the campaign's schedule, or updates it when it
// exists (a re-approval after an edit).
func (s *Scheduler) PutSchedule(ctx context.Context, id string, p campaign.SchedulePlan) error {
	return s.put(ctx, Name(id), p.Expression, p.Zone, p.End, p.Message, strings.HasPrefix(p.Expression, "at("))
}

// At schedules a one-time firing of msg (the A/B decision).
func (s *Scheduler) At(ctx context.Context, name string, at time.Time, msg campaign.Chunk) error {
	return s.put(ctx, trim(name), "at("+at.UTC().Format("2006-01-02T15:04:05")+")", "UTC", time.Time{}, msg, true)
}

func (s *Scheduler) put(ctx context.Context, name, expr, zone string, end time.Time, msg campaign.Chunk, once bool) error {
	in := &scheduler.CreateScheduleInput{
		Name: aws.String(name), GroupName: aws.String(s.cfg.Group),
		ScheduleExpression: aws.String(expr), ScheduleExpressionTimezone: aws.String(zone),
		FlexibleTimeWindow: &types.FlexibleTimeWindow{Mode: types.FlexibleTimeWindowModeOff},
		Target:             s.target(msg),
		State:              types.ScheduleStateEnabled,
	}
	if once {
		// A one-time schedule removes itself after firing.
		in.ActionAfterCompletion = types.ActionAfterCompletionDelete
	}
	if !end.IsZero() {
		in.EndDate = aws.Time(end)
	}
	_, err := s.api.CreateSchedule(ctx, in)
	var conflict *types.ConflictException
	if errors.As(err, &conflict) {
		_, err = s.api.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
			Name: in.Name, GroupName: in.GroupName, ScheduleExpression: in.ScheduleExpression,
			ScheduleExpressionTimezone: in.ScheduleExpressionTimezone, FlexibleTimeWindow: in.FlexibleTimeWindow,
			Target: in.Target, State: in.State, ActionAfterCompletion: in.ActionAfterCompletion, EndDate: in.EndDate,
		})
	}
	if err != nil {
		return fmt.Errorf("schedule %s (%s %s): %w", name, expr, zone, err)
	}
	return nil
}

// DeleteSchedule removes a campaign's schedule; none is fine.
func (s *Scheduler) DeleteSchedule(ctx context.Context, id string) error {
	_, err := s.api.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String(Name(id)), GroupName: aws.String(s.cfg.Group)})
	var missing *types.ResourceNotFoundException
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("delete schedule of campaign %s: %w", id, err)
	}
	return nil
}
