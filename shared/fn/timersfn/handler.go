// Package timersfn is the Lambda handler of the per-minute timers schedule:
// it runs one tick of the timer wheel and sends the fired timers to the
// events queue as tracking batches, where the processor applies them like
// any other event.
package timersfn

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/timer"
	"github.com/leadflow/leadflow/shared/tracking"
)

// InternalSiteKey marks batches that Leadflow produced itself rather than
// received from a website's write key.
const InternalSiteKey = "internal"

// Config is read from the environment once, at cold start.
type Config struct {
	Table    string
	QueueURL string
	// CampaignsQueueURL takes recipient-time campaign waves.
	CampaignsQueueURL string
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv(catalog.EnvTableName), QueueURL: getenv(catalog.QueueURLEnv(catalog.EventsQueue)),
		CampaignsQueueURL: getenv(catalog.QueueURLEnv(catalog.CampaignsQueue))}
	if c.Table == "" || c.QueueURL == "" || c.CampaignsQueueURL == "" {
		return c, fmt.Errorf("timers: %s, %s and %s must be set", catalog.EnvTableName, catalog.QueueURLEnv(catalog.EventsQueue), catalog.QueueURLEnv(catalog.CampaignsQueue))
	}
	return c, nil
}

// Handler runs the wheel's tick.
type Handler struct {
	wheel *timer.Wheel
	log   *slog.Logger
	now   func() time.Time
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	return NewClocked(awsCfg, cfg, log, nil)
}

// NewClocked is New with the tick's clock (nil: time.Now): the local
// runner's tests move it forward to fire a later wave without waiting.
func NewClocked(awsCfg aws.Config, cfg Config, log *slog.Logger, now func() time.Time) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	q := sqs.NewFromConfig(awsCfg)
	// The lookahead fires a timer at the tick before it is due, on an SQS
	// delay, so a timed wait runs within seconds of its time instead of at
	// the next minute's tick. Campaign waves keep firing at the tick after
	// their time (their dispatcher does not delay).
	wheel := timer.NewWheel(store, NewQueueDispatcher(sqsqueue.New(q, cfg.QueueURL), now), now).
		WithRoute(campaign.WaveRoute, WaveDispatcher{Queue: sqsqueue.New(q, cfg.CampaignsQueueURL), Log: log}).
		WithLookahead(timer.BucketWidth)
	return NewWith(wheel, log, now)
}

// NewWith builds a handler around a wheel (tests, the local runner). now may
// be nil (time.Now).
func NewWith(wheel *timer.Wheel, log *slog.Logger, now func() time.Time) *Handler {
	if now == nil {
		now = time.Now
	}
	return &Handler{wheel: wheel, log: log, now: now}
}

// Handle runs one tick. Nothing is read from the event: what EventBridge
// Scheduler delivers depends on the target's configured input, and a late
// or repeated invocation must fire what is due by the clock, not by the time
// the event was meant for.
//
// A failed tick returns its error so it counts in the function's Errors
// metric; nothing retries it, because the next minute's tick starts from the
// same cursor and redoes the work.
func (h *Handler) Handle(ctx context.Context, _ events.EventBridgeEvent) (timer.TickResult, error) {
	now := h.now().UTC()
	res, err := h.wheel.Tick(ctx, now)
	// One line per tick, never per timer: a large scheduled send fires
	// thousands of timers in a minute.
	attrs := []any{
		"from", res.From, "to", res.To, "buckets", res.Buckets, "fired", res.Fired,
		"not_yet_due", res.NotYetDue, "cursor", res.Cursor, "behind", res.Behind,
		// How far the wheel trails the clock; alarm on it, not on "behind".
		"lag_seconds", int64(now.Sub(res.Cursor) / time.Second),
	}
	if err != nil {
		h.log.ErrorContext(ctx, "timer tick failed", append(attrs, "error", err)...)
		return res, fmt.Errorf("timer tick at %s: %w", now.Format(time.RFC3339), err)
	}
	h.log.InfoContext(ctx, "timer tick", attrs...)
	return res, nil
}

// Enqueuer is the queue the dispatcher writes to (sqsqueue.Queue).
type Enqueuer interface {
	Enqueue(ctx context.Context, body string) error
}

// DelayEnqueuer is a queue that can also delay a message (sqsqueue.Queue).
type DelayEnqueuer interface {
	Enqueuer
	EnqueueDelayed(ctx context.Context, body string, delay time.Duration) error
}

// QueueDispatcher implements timer.Dispatcher by sending fired timers to the
// events queue in the format the ingest function writes, so the processor
// needs no second input path.
type QueueDispatcher struct {
	queue Enqueuer
	now   func() time.Time
}

var _ timer.DelayDispatcher = (*QueueDispatcher)(nil)

// NewQueueDispatcher returns a dispatcher on queue. now may be nil (time.Now).
func NewQueueDispatcher(queue Enqueuer, now func() time.Time) *QueueDispatcher {
	if now == nil {
		now = time.Now
	}
	return &QueueDispatcher{queue: queue, now: now}
}

// Dispatch sends the messages as one batch: one queue message for a page of
// timers (SQS bills per message, not per event), split only when the
// encoded batch is over the queue's size limit.
func (d *QueueDispatcher) Dispatch(ctx context.Context, msgs []tracking.Message) error {
	return d.send(ctx, msgs, 0)
}

// DispatchDelayed sends the messages as Dispatch does, to arrive after
// delay (the wheel's lookahead). The queue must be a DelayEnqueuer.
func (d *QueueDispatcher) DispatchDelayed(ctx context.Context, msgs []tracking.Message, delay time.Duration) error {
	return d.send(ctx, msgs, delay)
}

func (d *QueueDispatcher) send(ctx context.Context, msgs []tracking.Message, delay time.Duration) error {
	if len(msgs) == 0 {
		return nil
	}
	b := tracking.Batch{
		RequestID: requestID(ctx, msgs),
		SiteKey:   InternalSiteKey,
		// A delayed batch is received when it arrives.
		ReceivedAt: d.now().UTC().Add(delay),
		Messages:   msgs,
	}
	bodies, err := tracking.EncodeBatches(b)
	if err != nil {
		return fmt.Errorf("encode %d fired timers: %w", len(msgs), err)
	}
	enqueue, err := enqueuer(d.queue, delay)
	if err != nil {
		return fmt.Errorf("enqueue %d fired timers: %w", len(msgs), err)
	}
	for i, body := range bodies {
		if err := enqueue(ctx, body); err != nil {
			return fmt.Errorf("enqueue fired timers (part %d of %d): %w", i+1, len(bodies), err)
		}
	}
	return nil
}

// enqueuer is how to put a message on q: at once, or (delay > 0) to
// arrive after delay, which q must then support.
func enqueuer(q Enqueuer, delay time.Duration) (func(ctx context.Context, body string) error, error) {
	if delay <= 0 {
		return q.Enqueue, nil
	}
	dq, ok := q.(DelayEnqueuer)
	if !ok {
		return nil, fmt.Errorf("%s ahead: the queue cannot delay messages", delay)
	}
	return func(ctx context.Context, body string) error { return dq.EnqueueDelayed(ctx, body, delay) }, nil
}

// WaveDispatcher implements timer.Dispatcher for campaign waves: each
// fired wave becomes its first message on the campaigns queue.
type WaveDispatcher struct {
	Queue Enqueuer
	Log   *slog.Logger
}

var _ timer.DelayDispatcher = WaveDispatcher{}

// Dispatch queues each wave. A timer that is no wave (nothing else uses
// the route) is skipped with the error kept for the tick's log: failing
// would fire the whole shard again every minute.
func (d WaveDispatcher) Dispatch(ctx context.Context, msgs []tracking.Message) error {
	return d.send(ctx, msgs, 0)
}

// DispatchDelayed queues each wave to arrive after delay (the wheel's
// lookahead), so a zone's wave starts within timer.DelayStep of its local
// time instead of at the first tick after it. The wave checks the
// campaign's state when it arrives, so a pause or cancel in between still
// holds or drops it. The queue must be a DelayEnqueuer.
func (d WaveDispatcher) DispatchDelayed(ctx context.Context, msgs []tracking.Message, delay time.Duration) error {
	return d.send(ctx, msgs, delay)
}

func (d WaveDispatcher) send(ctx context.Context, msgs []tracking.Message, delay time.Duration) error {
	enqueue, err := enqueuer(d.Queue, delay)
	if err != nil {
		return fmt.Errorf("enqueue %d campaign waves: %w", len(msgs), err)
	}
	var bad error
	for _, m := range msgs {
		c, err := campaign.WaveMessage(m)
		if err != nil {
			bad = err
			continue
		}
		if err := enqueue(ctx, c.Encode()); err != nil {
			return fmt.Errorf("enqueue campaign %s wave %s: %w", c.Campaign, c.Zone, err)
		}
	}
	if bad != nil {
		d.Log.WarnContext(ctx, "timer on the campaigns route is no wave; dropped", "error", bad)
	}
	return nil
}

// requestID ties the batch to the invocation that fired it, for tracing a
// fired timer from the timers log to the processor's; outside Lambda (local
// runs, tests) the first timer names it.
func requestID(ctx context.Context, msgs []tracking.Message) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return msgs[0].MessageID
}
