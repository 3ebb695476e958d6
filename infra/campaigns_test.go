package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/campaign"
)

// TestRepoCampaignSchedules: given campaigns kept in the repo, when the
// stack is synthesized, then each that is still to fire has an EventBridge
// Scheduler schedule in the stack's campaign group, with its expression and
// zone, its end, the fire message as the campaigns queue's input, the
// Scheduler role, an hour of retries and the dead-letter queue; a
// one-time campaign already past and a "now" campaign have none.
func TestRepoCampaignSchedules(t *testing.T) {
	repo, err := definitions.RepoCampaigns()
	if err != nil || len(repo) == 0 {
		t.Fatalf("repo campaigns %v, %v", repo, err)
	}
	base := repo[0]
	at := func(id, when string) campaign.Campaign {
		c := base
		c.ID, c.Schedule = id, campaign.Schedule{Type: campaign.At, At: when, Zone: "Europe/Berlin"}
		return c
	}
	now := base
	now.ID, now.Schedule = "right-away", campaign.Schedule{Type: campaign.Now}
	camps := []campaign.Campaign{repo[0], at("webinar", "2027-03-02T10:00"), at("last-year", "2026-01-10T10:00"), now}
	ctx := cdkJSONContext(t)
	app := awscdk.NewApp(&awscdk.AppProps{Context: &ctx, Outdir: outDir(t)})
	stack := NewLeadflowStack(app, "Leadflow", &LeadflowStackProps{AssetDir: assetDir, ConsoleDir: consoleDir,
		Campaigns: &camps, Now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)})
	tpl := assertions.Template_FromStack(stack, nil)

	recurring, _, err := campaign.PlanOf(repo[0])
	if err != nil {
		t.Fatal(err)
	}
	fire := func(id string) string {
		return campaign.Chunk{Kind: campaign.ChunkFire, Campaign: id, Occurrence: campaign.ScheduledTimeField}.Encode()
	}
	target := func(id string) map[string]any {
		return map[string]any{
			"Arn":              map[string]any{"Fn::GetAtt": assertions.Match_AnyValue()},
			"Input":            fire(id),
			"RoleArn":          map[string]any{"Fn::GetAtt": assertions.Match_AnyValue()},
			"RetryPolicy":      map[string]any{"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 10},
			"DeadLetterConfig": map[string]any{"Arn": map[string]any{"Fn::GetAtt": assertions.Match_AnyValue()}},
		}
	}
	tpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
		"Name":                       RepoScheduleName(repo[0].ID),
		"GroupName":                  assertions.Match_AnyValue(),
		"ScheduleExpression":         recurring.Expression,
		"ScheduleExpressionTimezone": recurring.Zone,
		"EndDate":                    assertions.Match_StringLikeRegexp(jsii.String("^2027-12-31T")),
		"Target":                     assertions.Match_ObjectLike(&map[string]any{"Input": fire(repo[0].ID)}),
	})
	tpl.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), map[string]any{
		"Name":                       "r-webinar",
		"ScheduleExpression":         "at(2027-03-02T10:00:00)",
		"ScheduleExpressionTimezone": "Europe/Berlin",
		"Target":                     target("webinar"),
	})
	for _, id := range []string{"last-year", "right-away"} {
		found := tpl.FindResources(jsii.String("AWS::Scheduler::Schedule"), map[string]any{"Properties": map[string]any{"Name": RepoScheduleName(id)}})
		if found != nil && len(*found) != 0 {
			b, _ := json.Marshal(found)
			t.Errorf("%s has a schedule: %s", id, b)
		}
	}
	// The schedules sit in the campaign group, whose DLQ and role they use.
	group := tpl.FindResources(jsii.String("AWS::Scheduler::ScheduleGroup"), nil)
	if group == nil || len(*group) != 1 {
		t.Fatalf("schedule groups %v", group)
	}
}
