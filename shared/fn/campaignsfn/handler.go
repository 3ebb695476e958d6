// Package campaignsfn is the Lambda handler of the campaigns queue: a
// schedule's firing, one fan-out page, an A/B decision or one step of a
// recipient-time wave per message.
package campaignsfn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/scheduler"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/campaign/ebscheduler"
	"github.com/leadflow/leadflow/shared/campaign/memberaudience"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/timer"
)

// EnvABWait, when set (local runs and tests only; the stack never sets
// it), replaces every A/B test's wait.
const EnvABWait = "CAMPAIGN_AB_WAIT"

// Config is read from the environment once, at cold start.
type Config struct {
	Table                            string
	CampaignsQueueURL, SendsQueueURL string
	Schedules                        ebscheduler.Config
	ABWait                           time.Duration
}

// SchedulerConfig reads the Scheduler's resources (this function and the
// admin API both manage schedules).
func SchedulerConfig(getenv func(string) string) (ebscheduler.Config, error) {
	c := ebscheduler.Config{Group: getenv(catalog.EnvScheduleGroup), RoleARN: getenv(catalog.EnvSchedulerRoleARN),
		QueueARN: getenv(catalog.EnvCampaignsQueueARN), DLQARN: getenv(catalog.EnvSchedulerDLQARN)}
	if c.Group == "" || c.RoleARN == "" || c.QueueARN == "" || c.DLQARN == "" {
		return c, fmt.Errorf("%s, %s, %s and %s must be set", catalog.EnvScheduleGroup, catalog.EnvSchedulerRoleARN, catalog.EnvCampaignsQueueARN, catalog.EnvSchedulerDLQARN)
	}
	return c, nil
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv(catalog.EnvTableName), CampaignsQueueURL: getenv(catalog.QueueURLEnv(catalog.CampaignsQueue)),
		SendsQueueURL: getenv(catalog.QueueURLEnv(catalog.SendsQueue))}
	if c.Table == "" || c.CampaignsQueueURL == "" || c.SendsQueueURL == "" {
		return c, fmt.Errorf("campaigns: %s, %s and %s must be set", catalog.EnvTableName, catalog.QueueURLEnv(catalog.CampaignsQueue), catalog.QueueURLEnv(catalog.SendsQueue))
	}
	var err error
	if c.Schedules, err = SchedulerConfig(getenv); err != nil {
		return c, fmt.Errorf("campaigns: %w", err)
	}
	if v := getenv(EnvABWait); v != "" {
		if c.ABWait, err = time.ParseDuration(v); err != nil || c.ABWait <= 0 {
			return c, fmt.Errorf("campaigns: %s must be a positive duration", EnvABWait)
		}
	}
	return c, nil
}

// earlyWait bounds how long an early page message waits for its
// checkpoint within an invocation (the function's timeout is far longer).
const earlyWait = 3 * time.Second

// Handler runs campaign messages.
type Handler struct {
	fanout *campaign.Fanout
	log    *slog.Logger
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	reg := definitions.Reader(store) // kinds read and checked on first use
	q := sqs.NewFromConfig(awsCfg)
	sch := ebscheduler.New(scheduler.NewFromConfig(awsCfg), cfg.Schedules)
	audience := &memberaudience.Pager{Index: store, Profiles: store}
	f := &campaign.Fanout{
		Store: store, Definitions: definitions.Campaigns{C: definitions.CampaignCache(reg)},
		Members: audience, Zones: audience,
		Queue:    sqsqueue.New(q, cfg.CampaignsQueueURL),
		Sends:    sqsqueue.NewBatch(q, cfg.SendsQueueURL),
		Counters: store, Timers: sch, Schedules: sch,
		// Recipient-time waves: chunks in the table, a timer per zone.
		Waves: store, WaveTimers: campaign.WheelWaves{Wheel: timer.NewWheel(store, nil, nil)},
		Results:      campaign.CountResults{Counts: store},
		WaitOverride: cfg.ABWait,
		Log:          log,
	}
	// A page picked up before its checkpoint waits for it a moment, not a
	// visibility timeout (BENCHMARKS.md "Campaigns on the local stack").
	f.EarlyWait = earlyWait
	return NewWith(f, log)
}

// NewWith builds a handler around a fan-out (tests).
func NewWith(f *campaign.Fanout, log *slog.Logger) *Handler { return &Handler{fanout: f, log: log} }

// Handle runs each message; a failed one is retried by SQS (every step is
// safe to repeat), the others are not.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		c, err := campaign.DecodeChunk(r.Body)
		if err != nil {
			// Nothing will ever read it: log it and let it go.
			h.log.ErrorContext(ctx, "campaign message dropped", "message_id", r.MessageId, "error", err)
			continue
		}
		if err := h.fanout.Handle(ctx, c); err != nil {
			level := slog.LevelError
			if errors.Is(err, campaign.ErrEarly) {
				level = slog.LevelInfo
			}
			h.log.Log(ctx, level, "campaign message failed; SQS retries it", "campaign_id", c.Campaign, "occurrence", c.Occurrence, "kind", c.Kind, "seq", c.Seq, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp, nil
}
