// Package processorfn is the Lambda handler of the events queue: it decodes
// the SQS batch, lets the contact processor apply it, and reports the
// messages that must be retried as batch item failures.
package processorfn

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/bus"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/fn/segmentfn"
	"github.com/leadflow/leadflow/shared/journeyrun"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/mail/mailcontact"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
	"github.com/leadflow/leadflow/shared/webhook"
)

// Config is read from the environment once, at cold start.
type Config struct {
	Table string
	// EventRetention is how long timeline events are kept (0: forever).
	EventRetention time.Duration
	// RoutingQueueURL receives qualified leads for the router.
	RoutingQueueURL string
	// SendsQueueURL receives double opt-in confirmation mail and journey mail.
	SendsQueueURL string
	// EventBusName receives segment.entered and segment.exited, and the
	// journey.* events of notify steps.
	EventBusName string
	// Journeys: the webhook endpoints notify steps may also go to (through
	// the webhooks queue), and the factor that shortens waits (make dev,
	// integration tests; 1: real time).
	WebhooksQueueURL string
	WebhookURLs      []string
	JourneyWaitScale float64
}

// EnvJourneyWaitScale shortens journey waits by a factor ("0.0001": two
// days pass in about 17 seconds). For make dev and the integration tests;
// unset in production.
const EnvJourneyWaitScale = "JOURNEY_WAIT_SCALE"

// EnvEventRetentionDays optionally bounds how long events are kept.
const EnvEventRetentionDays = "EVENT_RETENTION_DAYS"

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv(catalog.EnvTableName)}
	if c.Table == "" {
		return c, fmt.Errorf("processor: %s must be set", catalog.EnvTableName)
	}
	// The interest rules and scoring model are read through the registry
	// on first use (repo files checked then, and by CI and the synth).
	if c.RoutingQueueURL = getenv(catalog.QueueURLEnv(catalog.RoutingQueue)); c.RoutingQueueURL == "" {
		return c, fmt.Errorf("processor: %s must be set", catalog.QueueURLEnv(catalog.RoutingQueue))
	}
	if c.SendsQueueURL = getenv(catalog.QueueURLEnv(catalog.SendsQueue)); c.SendsQueueURL == "" {
		return c, fmt.Errorf("processor: %s must be set", catalog.QueueURLEnv(catalog.SendsQueue))
	}
	if c.EventBusName = getenv(catalog.EnvEventBusName); c.EventBusName == "" {
		return c, fmt.Errorf("processor: %s must be set", catalog.EnvEventBusName)
	}
	c.WebhooksQueueURL = getenv(catalog.QueueURLEnv(catalog.WebhooksQueue))
	urls, err := webhook.ParseURLs(getenv(catalog.EnvWebhookURLs))
	if err != nil {
		return c, fmt.Errorf("processor: %s: %w", catalog.EnvWebhookURLs, err)
	}
	c.WebhookURLs = urls
	if v := getenv(EnvJourneyWaitScale); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			return c, fmt.Errorf("processor: %s=%q must be a number in (0, 1]", EnvJourneyWaitScale, v)
		}
		c.JourneyWaitScale = f
	}
	if d := getenv(EnvEventRetentionDays); d != "" {
		days, err := strconv.Atoi(d)
		if err != nil || days < 0 {
			return c, fmt.Errorf("processor: %s=%q is not a number of days", EnvEventRetentionDays, d)
		}
		c.EventRetention = time.Duration(days) * 24 * time.Hour
	}
	return c, nil
}

// processorParallel is how many contacts an invocation writes at once,
// and groupWindow how long a chunk or member write waits for others to
// share its BatchWriteItem: an import's batch of 1,000 contacts fills
// groups of 25 at once; a single tracked event waits at most the window.
const (
	processorParallel = 32
	groupWindow       = 5 * time.Millisecond
)

// Handler consumes the events queue.
type Handler struct {
	proc *contact.Processor
	log  *slog.Logger
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	store.EventTTL = cfg.EventRetention
	// Contacts are written many at once: timeline chunks and member items
	// share BatchWriteItem calls (BENCHMARKS.md, "CSV import, batched").
	store.GroupWrites(groupWindow)
	q := sqs.NewFromConfig(awsCfg)
	reg := definitions.Reader(store) // kinds read and checked on first use
	scores := definitions.ScoringCache(reg)
	sends := sqsqueue.New(q, cfg.SendsQueueURL)
	pub := bus.NewEventBridge(eventbridge.NewFromConfig(awsCfg), cfg.EventBusName)
	var hooks mail.Queue
	if cfg.WebhooksQueueURL != "" {
		hooks = sqsqueue.New(q, cfg.WebhooksQueueURL)
	}
	journeys := journeyrun.NewReactor(
		journeyrun.NewLibrary(reg, definitions.JourneyBodies),
		sends, timer.NewWheel(store, nil, nil), &Notifier{Bus: pub, Webhooks: hooks, URLs: cfg.WebhookURLs}, store, log,
		journeyrun.Options{WaitScale: cfg.JourneyWaitScale, Score: func(ctx context.Context, s scoring.State, at time.Time) (scoring.Score, error) {
			e, err := scores.Default(ctx)
			if err != nil {
				return scoring.Score{}, err
			}
			return e.Score(s, at), nil
		}, Award: func(ctx context.Context, s scoring.State, rule string, pts int, msgID string, at time.Time) (scoring.State, scoring.Change, error) {
			e, err := scores.Default(ctx)
			if err != nil {
				return s, scoring.Change{}, err
			}
			st, ch := e.Award(s, rule, pts, msgID, at)
			return st, ch, nil
		}, Timeline: store})
	// Segments first: journeys read the memberships they set.
	proc := contact.NewProcessor(store, log, nil).WithParallel(processorParallel).
		WithInterests(definitions.InterestCache(reg).Default).
		WithScoring(scores.Default, sqsqueue.New(q, cfg.RoutingQueueURL)).
		WithMail(sends).
		WithReactors(segmentfn.Reactor(store, reg, scores, pub, log).WithArrivals(store), journeys, report.NewCounter(store), mailcontact.EngagementRecorder(store)).
		// Campaign conversions: the goal event after a human open or click.
		WithReactors(&campaign.ConversionReactor{Sends: store, Definitions: definitions.Campaigns{C: definitions.CampaignCache(reg)}, Log: log})
	return NewWith(proc, log)
}

// NewWith builds a handler around a processor (tests, benchmarks).
func NewWith(proc *contact.Processor, log *slog.Logger) *Handler {
	return &Handler{proc: proc, log: log}
}

// Handle processes one SQS batch. A record that cannot be decoded is
// reported as failed, so after the queue's maxReceiveCount it lands in the
// dead-letter queue instead of blocking the rest.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	inputs := make([]contact.Input, 0, len(ev.Records))
	for _, r := range ev.Records {
		b, err := tracking.DecodeBatch(r.Body)
		if err != nil {
			h.log.ErrorContext(ctx, "undecodable queue message", "sqs_message_id", r.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			continue
		}
		inputs = append(inputs, contact.Input{ID: r.MessageId, Batch: b})
	}
	out, err := h.proc.Process(ctx, inputs)
	if err != nil {
		// Nothing was committed for anyone: retry the whole batch.
		h.log.ErrorContext(ctx, "process batch", "records", len(ev.Records), "error", err)
		resp.BatchItemFailures = resp.BatchItemFailures[:0]
		for _, r := range ev.Records {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
		return resp, nil
	}
	for _, id := range out.Failed {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	h.log.InfoContext(ctx, "batch processed", "records", len(ev.Records), "events", out.Messages,
		"applied", out.Applied, "duplicates", out.Duplicates, "contacts", out.Contacts,
		"new_contacts", out.NewContacts, "conflicts", out.Conflicts, "deferred", out.Deferred, "failed", len(resp.BatchItemFailures))
	return resp, nil
}
