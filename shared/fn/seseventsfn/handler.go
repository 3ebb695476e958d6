// Package seseventsfn is the Lambda handler of SES's events, which
// EventBridge delivers one per invocation from the configuration set's
// event destination. It settles send records (including sends left in
// doubt by a crash or a lost answer: SES's Send event proves the message
// went, so it is never sent again), suppresses hard-bounced and
// complaining addresses on Leadflow's list and SES's account list, counts
// soft bounces, unsubscribes complainers, records bounces, complaints,
// opens and clicks on the contact's timeline through the events queue, and
// counts bounces and complaints for the bulk-mail circuit breaker.
//
// Every step is idempotent, and a failed step fails the invocation so
// Lambda retries it whole: EventBridge delivers at least once.
package seseventsfn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/sesv2"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/engagement"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/mailer/seslist"
	"github.com/leadflow/leadflow/shared/preference"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/sesevent"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// Config is read from the environment once, at cold start.
type Config struct {
	Table          string
	EventsQueueURL string
	SoftBounces    sesevent.SoftBouncePolicy
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv(catalog.EnvTableName), EventsQueueURL: getenv(catalog.QueueURLEnv(catalog.EventsQueue)), SoftBounces: sesevent.DefaultSoftBounces}
	if c.Table == "" || c.EventsQueueURL == "" {
		return c, fmt.Errorf("sesevents: %s and %s must be set", catalog.EnvTableName, catalog.QueueURLEnv(catalog.EventsQueue))
	}
	return c, nil
}

// Store is what the handler reads and writes (the DynamoDB store).
type Store interface {
	preference.Store
	GetSend(ctx context.Context, sendID string) (mail.SendState, error)
	ResolveInDoubt(ctx context.Context, sendID, messageID, state string) error
	MarkSend(ctx context.Context, sendID, state, reason string) error
	NoteSend(ctx context.Context, sendID, note string) error
	Suppress(ctx context.Context, email, reason string) error
	AddSoftBounce(ctx context.Context, email string, b sesevent.SoftBounce, keep time.Duration) ([]sesevent.SoftBounce, error)
	CountMailOnce(ctx context.Context, key string, at time.Time, add sesevent.Counts) (bool, error)
}

var _ Store = (*dynamo.Store)(nil)

// AccountList is SES's account-level suppression list.
type AccountList interface {
	Suppress(ctx context.Context, email, reason string) error
}

// Deps are the handler's collaborators.
type Deps struct {
	Store       Store
	AccountList AccountList
	Events      engagement.Queue
	SoftBounces sesevent.SoftBouncePolicy
	// Reports gets the dashboard's delivered count (nil: none).
	Reports report.Writer
	// Campaigns counts a campaign send's delivery, bounce and complaint in
	// its results, once each (nil: none).
	Campaigns campaign.SendCounter
	// Now may be nil (time.Now).
	Now func() time.Time
}

// Handler applies SES events.
type Handler struct {
	d       Deps
	log     *slog.Logger
	reports *report.Batch // nil without Deps.Reports
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	return NewWith(Deps{
		Store:       store,
		AccountList: seslist.New(sesv2.NewFromConfig(awsCfg)),
		Events:      sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.EventsQueueURL),
		SoftBounces: cfg.SoftBounces,
		Reports:     store,
		Campaigns:   store,
	}, log)
}

// NewWith builds a handler from its collaborators (tests).
func NewWith(d Deps, log *slog.Logger) *Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.SoftBounces.Threshold == 0 {
		d.SoftBounces = sesevent.DefaultSoftBounces
	}
	h := &Handler{d: d, log: log}
	if d.Reports != nil {
		h.reports = report.NewBatch(d.Reports)
	}
	return h
}

// Result is what one event did, for the log line and tests.
type Result struct {
	Type   string `json:"type"`
	SendID string `json:"send_id,omitempty"`
	// Settled: the send was claimed or in doubt when read, and this event
	// settled it (unless another write got there first, which is fine).
	Settled bool `json:"settled,omitempty"`
	// Suppressed counts addresses suppressed (never logged themselves).
	Suppressed   int  `json:"suppressed,omitempty"`
	Unsubscribed bool `json:"unsubscribed,omitempty"`
	Timeline     int  `json:"timeline,omitempty"`
	// Counted: the event was added to the mail counters (first delivery).
	Counted bool `json:"counted,omitempty"`
}

// Handle applies one event. A malformed or unsupported event is logged and
// dropped (a retry would fail the same way); any other failure is returned
// so Lambda retries the invocation.
func (h *Handler) Handle(ctx context.Context, ev events.EventBridgeEvent) (Result, error) {
	e, err := sesevent.Parse(ev.Detail, ev.Time)
	if err != nil {
		level := slog.LevelError
		if errors.Is(err, sesevent.ErrUnsupported) {
			level = slog.LevelWarn
		}
		h.log.Log(ctx, level, "unreadable SES event dropped", "event_id", ev.ID, "detail_type", ev.DetailType, "error", err)
		return Result{}, nil
	}
	plan := sesevent.Decide(e)
	res := Result{Type: e.Type, SendID: e.SendID()}
	if err := h.apply(ctx, e, plan, &res); err != nil {
		h.log.ErrorContext(ctx, "apply SES event", "event_id", ev.ID, "type", e.Type, "send_id", e.SendID(), "contact_id", e.ContactID(), "error", err)
		return res, err
	}
	h.countDelivery(ctx, e)
	h.logResult(ctx, e, res)
	return res, nil
}

// countDelivery adds a delivery to the dashboard's day, after everything
// else succeeded (a failed invocation is retried and counts then). Bounces,
// complaints, opens, clicks and unsubscribes are counted by the processor
// from the timeline events, de-duplicated there; a delivery has no timeline
// event, so it is counted here, one write per event.
func (h *Handler) countDelivery(ctx context.Context, e sesevent.Event) {
	if h.reports == nil || e.Type != sesevent.TypeDelivery {
		return
	}
	at := e.At
	if at.IsZero() {
		at = h.d.Now()
	}
	h.reports.Add(report.Tally{report.DayOf(at): {report.Delivered: 1}})
	if err := h.reports.Flush(ctx); err != nil {
		h.log.WarnContext(ctx, "dashboard delivered count lost", "send_id", e.SendID(), "error", err)
	}
}

func (h *Handler) apply(ctx context.Context, e sesevent.Event, plan sesevent.Plan, res *Result) error {
	var err error
	var rec *mail.SendState
	if res.Settled, rec, err = h.settle(ctx, e, plan); err != nil {
		return err
	}
	for _, addr := range plan.Suppress {
		if err := h.suppress(ctx, addr, plan.SuppressReason, true); err != nil {
			return err
		}
		res.Suppressed++
	}
	for _, addr := range plan.SoftBounce {
		list, err := h.d.Store.AddSoftBounce(ctx, addr, sesevent.SoftBounceOf(e), h.d.SoftBounces.Window)
		if err != nil {
			return err
		}
		if h.d.SoftBounces.Exceeded(list, h.d.Now()) {
			// Not on SES's account list: its reasons are bounce and
			// complaint, and a full mailbox may come back; Leadflow's list
			// can be lifted by hand.
			if err := h.suppress(ctx, addr, sesevent.ReasonSoftBounces, false); err != nil {
				return err
			}
			res.Suppressed++
			// The timeline's bounce event says so (the profile notes it).
			plan.SuppressReason = sesevent.ReasonSoftBounces
		}
	}
	if t, ok := sesevent.Target(e); ok && plan.Unsubscribe {
		_, wrote, err := preference.Update(ctx, h.d.Store, t.ContactID, h.d.Now(), func(p *contact.Profile) bool {
			return preference.Unsubscribe(p, "")
		})
		if err != nil && !errors.Is(err, contact.ErrNotFound) {
			return fmt.Errorf("unsubscribe complainer %s: %w", t.ContactID, err)
		}
		res.Unsubscribed = wrote
	}
	if msgs := sesevent.Timeline(e, plan); len(msgs) > 0 {
		if err := engagement.Publish(ctx, h.d.Events, requestID(ctx, e), h.d.Now(), msgs...); err != nil {
			return err
		}
		res.Timeline = len(msgs)
	}
	// Last: the counter is the one step a retry must not repeat, and it is
	// guarded by its own marker, so everything above may run again.
	if plan.CountKey != "" {
		at := e.SentAt
		if at.IsZero() {
			at = e.At
		}
		if res.Counted, err = h.d.Store.CountMailOnce(ctx, plan.CountKey, at, plan.Count); err != nil {
			return err
		}
	}
	return h.countCampaign(ctx, e, rec)
}

// campaignOutcomes are the SES events a campaign's results count.
var campaignOutcomes = map[string]string{
	sesevent.TypeDelivery:  campaign.CountDelivered,
	sesevent.TypeBounce:    campaign.CountBounced,
	sesevent.TypeComplaint: campaign.CountComplained,
}

// countCampaign adds a campaign send's delivery, bounce or complaint to
// its results (SES tags the mail campaign_id). Counted once per send and
// outcome, with a mark on the send record, so a redelivered event and a
// retried invocation add nothing.
func (h *Handler) countCampaign(ctx context.Context, e sesevent.Event, rec *mail.SendState) error {
	name, ok := campaignOutcomes[e.Type]
	if !ok || h.d.Campaigns == nil || e.Tags[mail.TagCampaign] == "" || e.SendID() == "" {
		return nil
	}
	count := func() (bool, error) { return campaign.CountSendOutcome(ctx, h.d.Campaigns, e.SendID(), name) }
	if rec != nil {
		// settle read the record for this event: its source is all the
		// count needs (one GetItem less per delivery).
		count = func() (bool, error) { return campaign.CountRecordOutcome(ctx, h.d.Campaigns, *rec, name) }
	}
	if _, err := count(); err != nil {
		return fmt.Errorf("campaign %s %s count: %w", e.Tags[mail.TagCampaign], name, err)
	}
	return nil
}

// settle moves the send record. The read first keeps the common case (a
// Send or Delivery event for a record the sender already marked sent) to
// one cheap read; the writes are conditional and order-safe either way, so
// a stale read costs at most a no-op write.
func (h *Handler) settle(ctx context.Context, e sesevent.Event, plan sesevent.Plan) (bool, *mail.SendState, error) {
	id := e.SendID()
	if id == "" || (plan.SendState == "" && plan.Note == "" && !plan.Accepted) {
		return false, nil, nil
	}
	rec, err := h.d.Store.GetSend(ctx, id)
	if errors.Is(err, mail.ErrSendNotFound) {
		return false, nil, nil // a test send, or mail sent outside the pipeline
	}
	if err != nil {
		return false, nil, fmt.Errorf("read send %s: %w", id, err)
	}
	settled := false
	if plan.Accepted && (rec.State == mail.Claimed || rec.State == mail.InDoubt) {
		state := plan.SendState
		if state == "" {
			state = mail.Sent // a delay, an open or a click: SES took it
		}
		if err := h.d.Store.ResolveInDoubt(ctx, id, e.MessageID, state); err != nil {
			return false, nil, err
		}
		h.log.InfoContext(ctx, "settling a send from SES's event", "send_id", id, "was", rec.State, "to", state, "type", e.Type)
		settled = true
	}
	// After a resolve too: the record may have moved on between the read
	// and the write (the sender recording "sent", or another of the
	// message's events settling it first), leaving the resolve a no-op.
	if plan.SendState != "" && plan.SendState != mail.Sent && (settled || plan.SendState != rec.State) {
		if err := h.d.Store.MarkSend(ctx, id, plan.SendState, plan.Reason); err != nil {
			return settled, nil, err
		}
	}
	if plan.Note != "" {
		if err := h.d.Store.NoteSend(ctx, id, plan.Note); err != nil {
			return settled, nil, err
		}
	}
	return settled, &rec, nil
}

// suppress puts an address on Leadflow's list, which every send checks,
// and, when asked, on SES's account list too. SES's list is a second guard:
// its failure is logged, not retried (the local SES server does not
// implement it, and Leadflow's own list already stops the mail).
func (h *Handler) suppress(ctx context.Context, addr, reason string, account bool) error {
	if err := h.d.Store.Suppress(ctx, addr, reason); err != nil {
		return err
	}
	if account && h.d.AccountList != nil {
		if err := h.d.AccountList.Suppress(ctx, addr, reason); err != nil {
			h.log.WarnContext(ctx, "SES account suppression list not updated", "reason", reason, "error", err)
		}
	}
	return nil
}

// logResult writes the invocation's one log line. For sends, bounces and
// complaints it is also a CloudWatch embedded-metric-format record, which
// CloudWatch turns into the Sends, Bounces and Complaints metrics the
// stack alarms on: no PutMetricData call, no extra log line. Sends come
// from SES's Send events (a rare duplicate delivery counts twice there,
// unlike the DynamoDB counters, which is fine for an alarm on rates).
func (h *Handler) logResult(ctx context.Context, e sesevent.Event, r Result) {
	attrs := []any{"type", r.Type, "send_id", r.SendID, "contact_id", e.ContactID(), "settled", r.Settled,
		"suppressed", r.Suppressed, "unsubscribed", r.Unsubscribed, "timeline", r.Timeline, "counted", r.Counted}
	var sends, bounces, complaints int
	switch {
	case e.Type == sesevent.TypeSend:
		sends = 1
	case r.Counted && e.Type == sesevent.TypeBounce:
		bounces = 1
	case r.Counted && e.Type == sesevent.TypeComplaint:
		complaints = 1
	}
	if sends+bounces+complaints > 0 {
		attrs = append(attrs, EMF(h.d.Now(), lambdacontext.FunctionName, sends, bounces, complaints)...)
	}
	h.log.InfoContext(ctx, "ses event applied", attrs...)
}

// EMF returns the log attributes of an embedded-metric-format record: the
// _aws directive and the metric values at the top level, where CloudWatch
// Logs looks for them in a JSON log line.
func EMF(at time.Time, function string, sends, bounces, complaints int) []any {
	directive := map[string]any{
		"Timestamp": at.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace":  sesevent.MetricsNamespace,
			"Dimensions": [][]string{{"Function"}},
			"Metrics": []map[string]string{
				{"Name": "Sends", "Unit": "Count"}, {"Name": "Bounces", "Unit": "Count"}, {"Name": "Complaints", "Unit": "Count"},
			},
		}},
	}
	return []any{"_aws", directive, "Function", function, "Sends", sends, "Bounces", bounces, "Complaints", complaints}
}

// requestID ties queued events to the invocation that made them.
func requestID(ctx context.Context, e sesevent.Event) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return e.MessageID
}
