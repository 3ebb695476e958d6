// Package webhooksfn is the Lambda handler of the webhooks queue: each
// message is one delivery of one event to one endpoint. A failed attempt is
// not retried by SQS's visibility timeout but re-queued as a new message
// with the schedule's delay, so the wait grows (10 s ... 15 min) instead of
// repeating the queue's fixed two minutes; after the last attempt the
// message is reported failed and SQS's redrive moves it to the dead-letter
// queue, where an alarm fires.
package webhooksfn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/webhook"
)

// EnvBackoff optionally replaces the retry schedule, e.g.
// "200ms,200ms,200ms" (tests; each wait at most 15m). The stack never sets
// it; the schedule's length plus one is the number of attempts.
const EnvBackoff = "WEBHOOK_BACKOFF"

// MinSecretLength matches the stack's WebhookSigningSecret parameter: 32
// characters, e.g. `openssl rand -hex 32` (64).
const MinSecretLength = 32

// Config is read from the environment once, at cold start.
type Config struct {
	// QueueURL is the webhooks queue itself: retries go back onto it.
	QueueURL string
	Secret   []byte
	Backoff  webhook.Schedule
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		QueueURL: getenv(catalog.QueueURLEnv(catalog.WebhooksQueue)),
		Secret:   []byte(getenv(catalog.EnvWebhookSecret)),
		Backoff:  webhook.DefaultSchedule,
	}
	if c.QueueURL == "" {
		return c, fmt.Errorf("webhooks: %s must be set", catalog.QueueURLEnv(catalog.WebhooksQueue))
	}
	if len(c.Secret) < MinSecretLength {
		// Never echo the value: it is the signing key.
		return c, fmt.Errorf("webhooks: %s must be at least %d characters (e.g. openssl rand -hex 32)", catalog.EnvWebhookSecret, MinSecretLength)
	}
	if v := getenv(EnvBackoff); v != "" {
		s, err := webhook.ParseSchedule(v)
		if err != nil {
			return c, fmt.Errorf("webhooks: %s: %w", EnvBackoff, err)
		}
		c.Backoff = s
	}
	return c, nil
}

// Sender makes one attempt of a delivery (webhook.Sender).
type Sender interface {
	Send(ctx context.Context, d webhook.Delivery) webhook.Result
}

// Retries re-queues a delivery after a delay (sqsqueue.Queue).
type Retries interface {
	EnqueueDelayed(ctx context.Context, body string, delay time.Duration) error
}

// Handler consumes the webhooks queue.
type Handler struct {
	sender   Sender
	retries  Retries
	schedule webhook.Schedule
	log      *slog.Logger
}

// New wires the handler with only the clients it uses: SQS, and an HTTP
// client kept across invocations so connections to receivers are reused.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	queue := sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.QueueURL)
	return NewWith(webhook.NewSender(cfg.Secret, nil, nil), queue, cfg.Backoff, log)
}

// NewWith builds a handler from its parts (tests).
func NewWith(sender Sender, retries Retries, schedule webhook.Schedule, log *slog.Logger) *Handler {
	return &Handler{sender: sender, retries: retries, schedule: schedule, log: log}
}

// Handle delivers a batch. Deliveries run concurrently: each may take the
// full 10 s timeout, and the function has 20 s for the whole batch.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var (
		resp events.SQSEventResponse
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	for _, r := range ev.Records {
		wg.Go(func() {
			if err := h.deliver(ctx, r); err != nil {
				mu.Lock()
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return resp, nil
}

// errDeadLetter asks SQS to keep the message until its redrive moves it to
// the dead-letter queue.
var errDeadLetter = errors.New("webhook delivery gave up")

// deliver makes the message's attempt and decides what comes next. A nil
// error acknowledges the message: delivered, dropped (410), or re-queued
// as the next attempt.
func (h *Handler) deliver(ctx context.Context, r events.SQSMessage) error {
	d, err := webhook.Decode(r.Body)
	if err != nil {
		// Nothing can fix it; the dead-letter queue keeps it for a human.
		h.log.ErrorContext(ctx, "undeliverable webhook message", "sqs_message_id", r.MessageId, "error", err)
		return errDeadLetter
	}
	attrs := []any{"delivery_id", d.ID, "event", d.Event, "endpoint", webhook.Redact(d.URL), "attempt", d.Attempt}
	res := h.sender.Send(ctx, d)
	switch res.Outcome {
	case webhook.Delivered:
		h.log.InfoContext(ctx, "webhook delivered", append(attrs, "status", res.Status)...)
		return nil
	case webhook.Gone:
		h.log.WarnContext(ctx, "webhook endpoint answered 410 Gone; delivery dropped", attrs...)
		return nil
	}
	delay, ok := h.schedule.Delay(d.Attempt, res.RetryAfter)
	if !ok {
		// The last attempt: failing the message leaves it to SQS, which
		// retries it at the visibility timeout and then dead-letters it
		// after maxReceiveCount receives, raising the DLQ alarm.
		h.log.ErrorContext(ctx, "webhook failed on its last attempt; leaving it for the dead-letter queue",
			append(attrs, "reason", res.Reason, "max_attempts", h.schedule.MaxAttempts())...)
		return errDeadLetter
	}
	next, err := d.Next(res.Reason).Encode()
	if err == nil {
		err = h.retries.EnqueueDelayed(ctx, next, delay)
	}
	if err != nil {
		// The retry was not queued: fail this message so SQS brings it
		// back, rather than losing the delivery.
		h.log.ErrorContext(ctx, "queue webhook retry", append(attrs, "reason", res.Reason, "error", err)...)
		return fmt.Errorf("queue retry of %s: %w", d.ID, err)
	}
	h.log.WarnContext(ctx, "webhook failed; retry scheduled", append(attrs, "reason", res.Reason, "retry_in", delay.String())...)
	return nil
}
