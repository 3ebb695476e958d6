package main

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
)

// campaignScheduling is what campaign schedules need: a schedule group of
// the stack's own, the role the Scheduler sends to the campaigns queue
// with, and the dead-letter queue of firings it could not deliver after
// its retries (ebscheduler.Retry: an hour).
type campaignScheduling struct {
	group awsscheduler.ScheduleGroup
	role  awsiam.Role
	dlq   awssqs.Queue
}

func (b *builder) managesSchedules() bool {
	for _, f := range b.cat.Functions {
		if f.Access.ManagesSchedules {
			return true
		}
	}
	return false
}

// addCampaignScheduling creates the group, role and DLQ (after the queues).
func (b *builder) addCampaignScheduling() {
	if !b.managesSchedules() {
		return
	}
	target, ok := b.queues[catalog.CampaignsQueue]
	if !ok {
		panic("leadflow stack: a function manages campaign schedules but there is no " + catalog.CampaignsQueue + " queue")
	}
	cs := &campaignScheduling{}
	cs.group = awsscheduler.NewScheduleGroup(b.stack, jsii.String("CampaignScheduleGroup"), &awsscheduler.ScheduleGroupProps{
		ScheduleGroupName: jsii.String(*b.stack.StackName() + "-campaigns"),
		RemovalPolicy:     b.removal,
	})
	cs.dlq = awssqs.NewQueue(b.stack, jsii.String("CampaignSchedulesDeadLetterQueue"), &awssqs.QueueProps{
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(dlqRetentionDays)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RemovalPolicy:   b.removal,
	})
	cdknag.NagSuppressions_AddResourceSuppressions(cs.dlq, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-SQS3"),
		Reason: jsii.String("This queue is the dead-letter queue of the campaign schedules (EventBridge Scheduler target DLQ; cdk-nag only recognises SQS redrive DLQs); it has its own alarm."),
	}, {
		Id:     jsii.String("Serverless-SQSRedrivePolicy"),
		Reason: jsii.String("This queue is itself a dead-letter queue: firings stay 14 days for a replay, and an alarm fires on the first one."),
	}}, jsii.Bool(true))
	cs.role = awsiam.NewRole(b.stack, jsii.String("CampaignSchedulerRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil),
		Description: jsii.String("EventBridge Scheduler sends campaign firings to the campaigns queue"),
	})
	target.GrantSendMessages(cs.role)
	cs.dlq.GrantSendMessages(cs.role)
	b.campaignSchedules = cs
}

// campaignScheduleEnv adds the Scheduler's resources to a function's
// environment.
func (b *builder) campaignScheduleEnv(f catalog.Function, env map[string]*string) {
	cs := b.campaignSchedules
	if !f.Access.ManagesSchedules || cs == nil {
		return
	}
	env[catalog.EnvScheduleGroup] = cs.group.ScheduleGroupName()
	env[catalog.EnvSchedulerRoleARN] = cs.role.RoleArn()
	env[catalog.EnvCampaignsQueueARN] = b.queues[catalog.CampaignsQueue].QueueArn()
	env[catalog.EnvSchedulerDLQARN] = cs.dlq.QueueArn()
}

// grantCampaignSchedules lets a function create, change and delete the
// schedules of the group (not others), and pass the Scheduler its role.
func (b *builder) grantCampaignSchedules(f catalog.Function, role awsiam.Role) {
	cs := b.campaignSchedules
	if !f.Access.ManagesSchedules || cs == nil {
		return
	}
	schedules := b.stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("scheduler"), Resource: jsii.String("schedule"),
		ResourceName: jsii.String(*cs.group.ScheduleGroupName() + "/*"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"),
		Resources: &[]*string{schedules},
	}))
	cs.role.GrantPassRole(role)
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id:     jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("Campaign schedules are created at runtime, one per campaign, in the stack's own schedule group: the grant names that group's schedules (schedule/<group>/*) and nothing else."),
	}}, jsii.Bool(true))
}

// addCampaignScheduleAlarm alarms on the first firing the Scheduler could
// not deliver.
func (b *builder) addCampaignScheduleAlarm(action awscloudwatch.IAlarmAction) {
	cs := b.campaignSchedules
	if cs == nil {
		return
	}
	alarm := awscloudwatch.NewAlarm(b.stack, jsii.String("CampaignSchedulesDeadLetterAlarm"), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Campaign firings EventBridge Scheduler could not deliver to the campaigns queue after an hour of retries: the campaign did not start. Inspect, fix, then send the message to the campaigns queue."),
		Metric: cs.dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Statistic: jsii.String("Maximum"),
		}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(action)
}

// RepoScheduleName is the stack's schedule of a campaign kept in the repo
// (campaign.RepoScheduleName, which the local runner uses too).
func RepoScheduleName(id string) string { return campaign.RepoScheduleName(id) }

// addRepoCampaignSchedules gives each campaign kept in definitions/campaigns
// its EventBridge Scheduler schedule, in the stack's group, with the same
// target, retry policy and dead-letter queue as the runtime's (ebscheduler):
// a reviewed repo campaign goes out without anyone scheduling it through the
// API. One-time schedules stay after firing (ActionAfterCompletion NONE) so
// CloudFormation's view stays true; a schedule that ended before the synth
// is left out. The list is campaign.RepoSchedules, which the local runner
// keeps too.
func (b *builder) addRepoCampaignSchedules(campaigns []campaign.Campaign, now time.Time) {
	cs := b.campaignSchedules
	if cs == nil {
		return
	}
	queue := b.queues[catalog.CampaignsQueue]
	schedules, err := campaign.RepoSchedules(campaigns, now)
	if err != nil {
		panic(fmt.Sprintf("leadflow stack: %v", err))
	}
	for _, rs := range schedules {
		plan := rs.SchedulePlan
		props := &awsscheduler.ScheduleProps{
			ScheduleName:  jsii.String(rs.Name),
			ScheduleGroup: cs.group,
			Description:   jsii.String("Campaign " + rs.Campaign + " (definitions/campaigns)"),
			Schedule:      awsscheduler.ScheduleExpression_Expression(jsii.String(plan.Expression), awscdk.TimeZone_Of(jsii.String(plan.Zone))),
			Target: awsschedulertargets.NewSqsSendMessage(queue, &awsschedulertargets.SqsSendMessageProps{
				Input:           awsscheduler.ScheduleTargetInput_FromText(jsii.String(plan.Message.Encode())),
				Role:            cs.role,
				DeadLetterQueue: cs.dlq,
				MaxEventAge:     awscdk.Duration_Seconds(jsii.Number(3600)),
				RetryAttempts:   jsii.Number(10),
			}),
		}
		if !plan.End.IsZero() {
			end := plan.End
			props.End = &end
		}
		awsscheduler.NewSchedule(b.stack, jsii.String("CampaignSchedule"+logicalSuffix(rs.Campaign)), props)
	}
}

// logicalSuffix makes a campaign id a construct id (letters and digits).
func logicalSuffix(id string) string {
	var sb strings.Builder
	up := true
	for _, r := range id {
		if r == '-' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
