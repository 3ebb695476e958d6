package awsapi_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdksch "github.com/aws/aws-sdk-go-v2/service/scheduler"

	"github.com/leadflow/leadflow/shared/awsapi/internal/sdkconv"
	"github.com/leadflow/leadflow/shared/awsapi/scheduler"
	schtypes "github.com/leadflow/leadflow/shared/awsapi/scheduler/types"
)

func schedulerClients(c *capture) (*sdksch.Client, *scheduler.Client) {
	return sdksch.NewFromConfig(c.config(), func(o *sdksch.Options) { o.RetryMaxAttempts = 1 }),
		scheduler.NewFromConfig(c.config(), func(o *scheduler.Options) { o.RetryMaxAttempts = 1 })
}

func TestSchedulerRequestsMatchTheSDKsWire(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2026, 12, 24, 18, 0, 0, 500_000_000, time.UTC)
	target := &schtypes.Target{Arn: aws.String("arn:aws:sqs:us-east-1:1:campaigns"), RoleArn: aws.String("arn:aws:iam::1:role/s"),
		Input:            aws.String(`{"campaign":"c1","at":"<aws.scheduler.scheduled-time>"}`),
		RetryPolicy:      &schtypes.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(3600), MaximumRetryAttempts: aws.Int32(10)},
		DeadLetterConfig: &schtypes.DeadLetterConfig{Arn: aws.String("arn:aws:sqs:us-east-1:1:dlq")}}
	t.Run("CreateSchedule", func(t *testing.T) {
		c := newCapture(t, 200, `{"ScheduleArn":"arn:aws:scheduler:us-east-1:1:schedule/g/c-c1"}`)
		in := &scheduler.CreateScheduleInput{Name: aws.String("c-c1"), GroupName: aws.String("leadflow"), ClientToken: aws.String("tok-1"),
			ScheduleExpression: aws.String("cron(0 9 * * ? *)"), ScheduleExpressionTimezone: aws.String("Europe/Paris"),
			FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeOff}, Target: target,
			State: schtypes.ScheduleStateEnabled, ActionAfterCompletion: schtypes.ActionAfterCompletionDelete, EndDate: &end}
		var sin sdksch.CreateScheduleInput
		if err := sdkconv.Convert(&sin, in); err != nil {
			t.Fatal(err)
		}
		sdk, ours := schedulerClients(c)
		sout, err := sdk.CreateSchedule(ctx, &sin)
		if err != nil {
			t.Fatal(err)
		}
		out, err := ours.CreateSchedule(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		sameREST(t, c)
		sameOutput(t, sout, out)
	})
	t.Run("UpdateSchedule", func(t *testing.T) {
		c := newCapture(t, 200, `{"ScheduleArn":"arn:x"}`)
		in := &scheduler.UpdateScheduleInput{Name: aws.String("ab-c1.decide_2"), GroupName: aws.String("leadflow"), ClientToken: aws.String("tok-2"),
			ScheduleExpression: aws.String("at(2026-12-24T18:00:00)"), ScheduleExpressionTimezone: aws.String("UTC"),
			FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(5)},
			Target:             target, State: schtypes.ScheduleStateEnabled}
		var sin sdksch.UpdateScheduleInput
		if err := sdkconv.Convert(&sin, in); err != nil {
			t.Fatal(err)
		}
		sdk, ours := schedulerClients(c)
		if _, err := sdk.UpdateSchedule(ctx, &sin); err != nil {
			t.Fatal(err)
		}
		if _, err := ours.UpdateSchedule(ctx, in); err != nil {
			t.Fatal(err)
		}
		sameREST(t, c)
	})
	t.Run("DeleteSchedule", func(t *testing.T) {
		c := newCapture(t, 200, `{}`)
		in := &scheduler.DeleteScheduleInput{Name: aws.String("c-c1"), GroupName: aws.String("lead flow/x"), ClientToken: aws.String("tok-3")}
		var sin sdksch.DeleteScheduleInput
		if err := sdkconv.Convert(&sin, in); err != nil {
			t.Fatal(err)
		}
		sdk, ours := schedulerClients(c)
		if _, err := sdk.DeleteSchedule(ctx, &sin); err != nil {
			t.Fatal(err)
		}
		if _, err := ours.DeleteSchedule(ctx, in); err != nil {
			t.Fatal(err)
		}
		sameREST(t, c)
	})
	// Without a token both fill in a fresh UUID, so that a retried attempt
	// is the same request to the Scheduler.
	t.Run("idempotency token", func(t *testing.T) {
		c := newCapture(t, 200, `{}`)
		sdk, ours := schedulerClients(c)
		if _, err := sdk.DeleteSchedule(ctx, &sdksch.DeleteScheduleInput{Name: aws.String("n")}); err != nil {
			t.Fatal(err)
		}
		if _, err := ours.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("n")}); err != nil {
			t.Fatal(err)
		}
		uuid := regexp.MustCompile(`^/schedules/n\?clientToken=[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
		for i, who := range []string{"SDK", "ours"} {
			if !uuid.MatchString(c.uris[i]) {
				t.Errorf("%s: %s", who, c.uris[i])
			}
		}
	})
}

// ebscheduler tells "exists" (then updates) and "not found" (a delete of
// nothing) apart by type.
func TestSchedulerErrorsMapToTheSDKsTypes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		status    int
		errorType string
	}{
		{409, "ConflictException"},
		{404, "ResourceNotFoundException"},
		{400, "ValidationException"},
		{429, "ThrottlingException"},
		{500, "InternalServerException"},
	} {
		c := newCapture(t, tc.status, `{"Message":"schedule c-c1 says `+tc.errorType+`"}`)
		c.errorType = tc.errorType
		sdk, ours := schedulerClients(c)
		_, serr := sdk.DeleteSchedule(ctx, &sdksch.DeleteScheduleInput{Name: aws.String("c-c1")})
		_, oerr := ours.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("c-c1")})
		sameError(t, serr, oerr)
	}
}
