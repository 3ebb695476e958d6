// Package routerfn is the Lambda handler of the routing queue. The
// processor queues a routing.Request when a contact reaches the routing
// stage (MQL by default); the router assigns an owner, publishes
// lead.qualified on the Leadflow bus, and queues one signed webhook
// delivery per configured endpoint.
//
// Each request is claimed with a conditional write before any step and
// marked done after the last, so a redelivered request that finished is a
// no-op. A crash in between leaves the claim open, and the redelivery
// redoes the remaining steps: the assignment is reused (the profile
// remembers the request that made it), while the event and the webhooks
// may go out twice. Delivery is at least once, as EventBridge's own is:
// subscribers de-duplicate by the event's id, which is the request's id and
// never changes.
package routerfn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/bus"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/webhook"
)

// Config is read from the environment once, at cold start.
type Config struct {
	Table        string
	EventBusName string
	// WebhooksQueueURL is where deliveries are queued.
	WebhooksQueueURL string
	// WebhookURLs are the endpoints every lead.qualified goes to; none is
	// fine (the bus event still goes out).
	WebhookURLs []string
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Table:            getenv(catalog.EnvTableName),
		EventBusName:     getenv(catalog.EnvEventBusName),
		WebhooksQueueURL: getenv(catalog.QueueURLEnv(catalog.WebhooksQueue)),
	}
	if c.Table == "" || c.EventBusName == "" || c.WebhooksQueueURL == "" {
		return c, fmt.Errorf("router: %s, %s and %s must be set",
			catalog.EnvTableName, catalog.EnvEventBusName, catalog.QueueURLEnv(catalog.WebhooksQueue))
	}
	urls, err := webhook.ParseURLs(getenv(catalog.EnvWebhookURLs))
	if err != nil {
		return c, fmt.Errorf("router: %s: %w", catalog.EnvWebhookURLs, err)
	}
	c.WebhookURLs = urls
	return c, nil
}

// Store is what routing reads and writes (dynamo.Store).
type Store interface {
	// GetProfiles reads strongly consistent profiles: the processor has just
	// written the stage change this request is about.
	GetProfiles(ctx context.Context, ids []string) (map[string]*contact.Profile, error)
	SaveProfile(ctx context.Context, p *contact.Profile) error
	ClaimRoute(ctx context.Context, id, contactID string, now time.Time) (dynamo.RouteState, error)
	FinishRoute(ctx context.Context, id string, now time.Time) error
	NextCounter(ctx context.Context, team string) (int64, error)
}

// Queue takes webhook deliveries (sqsqueue.Queue).
type Queue interface {
	Enqueue(ctx context.Context, body string) error
}

var _ Store = (*dynamo.Store)(nil)

// Handler consumes the routing queue.
type Handler struct {
	store    Store
	engine   func(context.Context) (*scoring.Engine, error)
	bus      bus.Publisher
	webhooks Queue
	urls     []string
	log      *slog.Logger
	now      func() time.Time
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	// Cached for definition.CacheTTL: an admin's change reaches every
	// router within a minute, at one read a minute per instance.
	reg := definitions.Reader(store) // kinds read and checked on first use
	source := definitions.ScoringCache(reg)
	pub := bus.NewEventBridge(eventbridge.NewFromConfig(awsCfg), cfg.EventBusName)
	queue := sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.WebhooksQueueURL)
	return NewWith(store, source.Default, pub, queue, cfg.WebhookURLs, log, nil)
}

// NewWith builds a handler from its parts (tests). now may be nil.
func NewWith(store Store, engine func(context.Context) (*scoring.Engine, error), pub bus.Publisher, webhooks Queue, urls []string, log *slog.Logger, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{store: store, engine: engine, bus: pub, webhooks: webhooks, urls: urls, log: log, now: now}
}

// Handle routes a batch. Requests are few (one per qualified lead), so
// they run one after another and each logs one line. A failed request is
// reported alone and comes back after the visibility timeout; after the
// queue's maxReceiveCount it is dead-lettered and the DLQ alarm fires.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		req, err := routing.Decode(r.Body)
		if err == nil {
			err = h.route(ctx, req)
		}
		if err != nil {
			h.log.ErrorContext(ctx, "route lead", "sqs_message_id", r.MessageId, "contact_id", req.ContactID, "qualified_id", req.ID, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp, nil
}

// maxMergeHops bounds following MergedInto pointers; merges chain only when
// a survivor is merged again, and a loop would be a bug.
const maxMergeHops = 5

// maxSaveTries bounds optimistic retries of the profile write; a conflict
// means the processor wrote the contact meanwhile.
const maxSaveTries = 5

func (h *Handler) route(ctx context.Context, req routing.Request) error {
	now := h.now()
	state, err := h.store.ClaimRoute(ctx, req.ID, req.ContactID, now)
	if err != nil {
		return err
	}
	if state == dynamo.RouteDone {
		h.log.InfoContext(ctx, "routing request already done; skipped", "contact_id", req.ContactID, "qualified_id", req.ID)
		return nil
	}
	engine, err := h.engine(ctx)
	if err != nil {
		return err
	}
	p, err := h.profile(ctx, req.ContactID)
	if err != nil {
		return err
	}
	p, a, err := h.assign(ctx, engine.Model().Routing, p, req)
	if err != nil {
		return err
	}
	q := engine.Qualified(p.ID, p.Email, p.Score, req.Change, a)
	// The request's id, not one derived from the survivor of a merge: it is
	// what subscribers de-duplicate by, so it must never change.
	q.ID = req.ID
	body, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("encode lead.qualified %s: %w", q.ID, err)
	}
	// At least once: a redelivery after a crash past this point publishes
	// again with the same id, and subscribers de-duplicate by it.
	if err := h.bus.Publish(ctx, bus.Event{DetailType: scoring.QualifiedType, Detail: json.RawMessage(body), Time: now, Resources: []string{p.ID}}); err != nil {
		return fmt.Errorf("publish lead.qualified %s: %w", q.ID, err)
	}
	for i, u := range h.urls {
		d := webhook.Delivery{ID: webhook.DeliveryID(q.ID, i), URL: u, Event: scoring.QualifiedType, Body: body, Attempt: 1}
		msg, err := d.Encode()
		if err == nil {
			err = h.webhooks.Enqueue(ctx, msg)
		}
		if err != nil {
			return fmt.Errorf("queue webhook %s to %s: %w", d.ID, webhook.Redact(u), err)
		}
	}
	if err := h.store.FinishRoute(ctx, req.ID, h.now()); err != nil {
		return err
	}
	h.log.InfoContext(ctx, "lead routed", "contact_id", p.ID, "qualified_id", q.ID, "stage", q.Stage,
		"team", a.Team, "owner", a.Owner, "webhooks", len(h.urls), "resumed", state == dynamo.RouteOpen)
	return nil
}

// profile reads a contact, following merges to the survivor.
func (h *Handler) profile(ctx context.Context, id string) (*contact.Profile, error) {
	for range maxMergeHops {
		got, err := h.store.GetProfiles(ctx, []string{id})
		if err != nil {
			return nil, fmt.Errorf("load contact %s: %w", id, err)
		}
		p := got[id]
		if p == nil {
			return nil, fmt.Errorf("load contact %s: %w", id, contact.ErrNotFound)
		}
		if p.MergedInto == "" {
			return p, nil
		}
		id = p.MergedInto
	}
	return nil, fmt.Errorf("load contact %s: more than %d merges to follow", id, maxMergeHops)
}

// assign gives the contact its owner for this request and saves it. A
// profile already routed by this request keeps its assignment, so a
// redelivery neither draws another round-robin turn nor changes the owner.
func (h *Handler) assign(ctx context.Context, r scoring.Routing, p *contact.Profile, req routing.Request) (*contact.Profile, scoring.Assignment, error) {
	if p.RoutedID == req.ID {
		return p, reused(r, p), nil
	}
	a, err := r.Assign(p.Facts(), func(team string) (int64, error) { return h.store.NextCounter(ctx, team) })
	if err != nil {
		return nil, a, fmt.Errorf("assign contact %s: %w", p.ID, err)
	}
	if a.Team == "" {
		// Routing has no teams: the lead still goes out, unowned, and any
		// earlier owner stays.
		return p, a, nil
	}
	// The turn is drawn once; a conflict only re-applies it to the fresh
	// profile, so retries do not skip a team member.
	for try := 1; ; try++ {
		p.Owner, p.Team, p.RoutedID = a.Owner, a.Team, req.ID
		err := h.store.SaveProfile(ctx, p)
		if err == nil {
			return p, a, nil
		}
		if !errors.Is(err, contact.ErrConflict) || try == maxSaveTries {
			return nil, a, fmt.Errorf("save owner of %s: %w", p.ID, err)
		}
		if p, err = h.profile(ctx, p.ID); err != nil {
			return nil, a, err
		}
		if p.RoutedID == req.ID {
			return p, reused(r, p), nil
		}
	}
}

// reused is the assignment a profile already holds. Its reason is not
// stored; routing the same facts again gives it when the team still
// matches.
func reused(r scoring.Routing, p *contact.Profile) scoring.Assignment {
	a := scoring.Assignment{Team: p.Team, Owner: p.Owner, Reason: "assigned earlier by this qualification"}
	if again := r.Route(p.Facts()); again.Team == p.Team {
		a.Reason = again.Reason
	}
	return a
}
