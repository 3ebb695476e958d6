// Package senderfn is the Lambda handler of the sends queue: each message
// is one mail.Request, and the mail.Pipeline sends it at most once, paced
// to the account's SES rate across every concurrent invocation.
package senderfn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/mail"
	"github.com/leadflow/leadflow/shared/mail/mailcontact"
	"github.com/leadflow/leadflow/shared/mailer/sesmailer"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/token"
)

// Environment beyond the catalog's.
const (
	// EnvMaxSendRate caps the send rate (messages per second) below the
	// account's SES maximum, or sets it when SES's GetAccount cannot be read
	// (the local SES server, missing permission). The stack sets it from the
	// sesMaxSendRate context when given.
	EnvMaxSendRate = "SES_MAX_SEND_RATE"
	// EnvInDoubtAfter shortens the in-doubt window (a Go duration; tests).
	// The stack never sets it.
	EnvInDoubtAfter = "SEND_IN_DOUBT_AFTER"
)

// DefaultSendRate is used when neither SES nor the settings say: the rate
// of a new (sandbox) SES account, so a misconfigured sender is slow, never
// throttled.
const DefaultSendRate = 1

// Config is read from the environment once, at cold start.
type Config struct {
	Table     string
	QueueURL  string
	ConfigSet string
	BaseURL   string
	Secrets   []string
	// Settings gives the repo's sending settings (definitions/sending.json),
	// decoded and checked on the first call and kept: the pipeline's
	// fallback settings, the pacer's fallback rate and the circuit breaker.
	// Reading them took ~0.7 ms of each cold start (decoding, validating,
	// loading the default time zone); CI and the stack's synth refuse a
	// broken file, and should one get through, the first batch fails with
	// the reason (see Handle) instead of every cold start.
	Settings func() (mail.Settings, error)
	// MaxSendRate from the environment (0: not set).
	MaxSendRate  float64
	InDoubtAfter time.Duration
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Table:     getenv(catalog.EnvTableName),
		QueueURL:  getenv(catalog.QueueURLEnv(catalog.SendsQueue)),
		ConfigSet: getenv(catalog.EnvSESConfigSet),
		BaseURL:   strings.TrimRight(getenv(catalog.EnvPublicBaseURL), "/"),
		Secrets:   token.ParseSecrets(getenv(catalog.EnvSigningSecrets)),
	}
	var missing []string
	for name, v := range map[string]string{
		catalog.EnvTableName: c.Table, catalog.QueueURLEnv(catalog.SendsQueue): c.QueueURL, catalog.EnvPublicBaseURL: c.BaseURL,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("sender: %s must be set", strings.Join(missing, ", "))
	}
	if _, err := token.NewSigner(c.Secrets...); err != nil {
		// Never echo the value: it signs every unsubscribe link.
		return c, fmt.Errorf("sender: %s: %w", catalog.EnvSigningSecrets, err)
	}
	if v := getenv(EnvMaxSendRate); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			return c, fmt.Errorf("sender: %s must be a positive number of messages per second, got %q", EnvMaxSendRate, v)
		}
		c.MaxSendRate = r
	}
	if v := getenv(EnvInDoubtAfter); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 14*time.Minute {
			return c, fmt.Errorf("sender: %s must be a duration up to 14m, got %q", EnvInDoubtAfter, v)
		}
		c.InDoubtAfter = d
	}
	c.Settings = definitions.OnFirstUse("sender: the repo's sending settings (definitions/sending.json)", definitions.Sending)
	// Templates are read and compiled through the registry when a send
	// first needs one (compiling every repo template took ~10 ms of each
	// cold start); CI and the stack's synth refuse a broken one.
	return c, nil
}

// Handler consumes the sends queue.
type Handler struct {
	// pipeline is built on the first batch (New), once: it needs the
	// repo's sending settings, which the cold start does not read.
	pipeline func() (*mail.Pipeline, error)
	log      *slog.Logger
	// counters, when set, take campaign sends' outcomes.
	counters campaign.Counters
}

// New wires the handler with only the clients it uses: DynamoDB, SQS (for
// re-queued sends) and SES. It makes no AWS call and reads no definition:
// the send rate is read from SES by the pacer on the first batch (see
// accountRate), so a cold start does not wait on GetAccount, and the
// pipeline around the repo's sending settings is built on the first batch.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	ses := sesmailer.NewClient(awsCfg)
	signer, _ := token.NewSigner(cfg.Secrets...) // checked by ConfigFromEnv
	reg := definitions.Reader(store)             // kinds read and checked on first use
	requeue := sqsqueue.New(sqs.NewFromConfig(awsCfg), cfg.QueueURL)
	h := &Handler{log: log, counters: store}
	h.pipeline = sync.OnceValues(func() (*mail.Pipeline, error) {
		settings, err := cfg.Settings()
		if err != nil {
			return nil, err
		}
		fallback, _ := SendRate(0, errAccountNotRead, cfg.MaxSendRate, settings.MaxSendRate)
		return &mail.Pipeline{
			Settings:       settings,
			SettingsSource: definitions.SendingCache(reg).Default,
			Links:          mail.Links{Signer: signer, BaseURL: cfg.BaseURL},
			ConfigSet:      cfg.ConfigSet,
			Sends:          store,
			Suppressions:   store,
			Caps:           store,
			Recipients:     mailcontact.Recipients{Profiles: store},
			// A batch's sends, contacts, caps and suppressions in three or
			// four requests instead of four reads a mail.
			Batch:     mailcontact.BatchReader{Store: store},
			Templates: definitions.CompiledTemplates(reg),
			Mailer:    sesmailer.New(ses),
			Requeue:   requeue,
			Pacer:     mail.NewReadingPacer(store, fallback, accountRate(ses, cfg.MaxSendRate, settings.MaxSendRate, log)),
			Circuit:   NewCircuit(store, settings.CircuitBreaker, time.Minute, log).WithReports(store),
			// A paused campaign's sends wait, a cancelled one's are skipped.
			Holds:           &campaign.Gate{States: store, TTL: campaignHoldTTL},
			ConfirmTemplate: contact.ConfirmTemplate,
			InDoubtAfter:    cfg.InDoubtAfter,
			Log:             log,
		}, nil
	})
	return h
}

// campaignHoldTTL is how long a campaign's state is trusted for its sends:
// with mail.HoldDelay, a pause takes effect within a minute.
const campaignHoldTTL = 10 * time.Second

// accountReadTimeout bounds the quota read on the first batch. The SES
// client makes one attempt (sesmailer.NewClient); a failed read leaves the
// pacer on its fallback rate until it asks again.
const accountReadTimeout = 5 * time.Second

var errAccountNotRead = errors.New("SES GetAccount not read yet")

// accountRate reads the account's SES maximum send rate for the pacer and
// applies the configured caps (SendRate). A failed read is logged and
// returned: the pacer stays on the fallback rate and asks again later.
func accountRate(ses sesmailer.AccountAPI, envRate, settingsRate float64, log *slog.Logger) mail.RateReader {
	return func(ctx context.Context) (float64, error) {
		ctx, cancel := context.WithTimeout(ctx, accountReadTimeout)
		defer cancel()
		account, err := sesmailer.AccountRate(ctx, ses)
		rate, source := SendRate(account, err, envRate, settingsRate)
		if err != nil {
			log.WarnContext(ctx, "send rate", "max_send_rate", rate, "source", source, "get_account_error", err.Error())
			return 0, err
		}
		log.InfoContext(ctx, "send rate", "max_send_rate", rate, "source", source)
		return rate, nil
	}
}

// NewWith builds a handler around a pipeline (tests).
func NewWith(p *mail.Pipeline, log *slog.Logger) *Handler {
	return &Handler{pipeline: func() (*mail.Pipeline, error) { return p, nil }, log: log}
}

// SendRate picks the paced rate: the account's SES maximum, lowered (never
// raised) by an override from the environment or the settings; without
// the account's figure, the override, else DefaultSendRate.
func SendRate(account float64, accountErr error, envRate, settingsRate float64) (float64, string) {
	override, from := envRate, "env "+EnvMaxSendRate
	if override <= 0 {
		override, from = settingsRate, "definitions/sending.json max_send_rate"
	}
	switch {
	case accountErr == nil && account > 0 && override > 0 && override < account:
		return override, from + " (below the account's " + strconv.FormatFloat(account, 'f', -1, 64) + "/s)"
	case accountErr == nil && account > 0:
		return account, "SES GetAccount"
	case override > 0:
		return override, from + " (SES GetAccount unavailable)"
	}
	return DefaultSendRate, "default (SES GetAccount unavailable and no override)"
}

// Handle sends a batch. Messages that could not be handled now (a store
// error, another invocation holding the send) are reported as batch item
// failures, so SQS brings them back; every other outcome, including a
// deferred or re-queued send, acknowledges the message.
//
// A pipeline that cannot be built (the repo's sending settings do not
// load: a broken build) fails the whole batch with the reason, on every
// batch, as a failed cold start did: SQS brings the messages back and,
// after maxReceiveCount, the DLQ keeps them.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	start := time.Now()
	var resp events.SQSEventResponse
	pipeline, err := h.pipeline()
	if err != nil {
		h.log.ErrorContext(ctx, "sender cannot send", "messages", len(ev.Records), "error", err)
		return resp, err
	}
	reqs := make([]mail.Request, 0, len(ev.Records))
	ids := make([]string, 0, len(ev.Records))
	undecodable := 0
	for _, r := range ev.Records {
		req, err := mail.Decode(r.Body)
		if err != nil {
			// Nothing can fix it; after maxReceiveCount the DLQ keeps it.
			h.log.ErrorContext(ctx, "undecodable send request", "sqs_message_id", r.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
			undecodable++
			continue
		}
		reqs = append(reqs, req)
		ids = append(ids, r.MessageId)
	}
	results := pipeline.Process(ctx, reqs)
	if h.counters != nil {
		if err := campaign.CountOutcomes(ctx, h.counters, reqs, results); err != nil {
			// The sends are recorded; only a live result counter lags.
			h.log.WarnContext(ctx, "campaign result counters", "error", err)
		}
	}
	counts := map[string]int{}
	for i, res := range results {
		counts[res.Outcome]++
		if res.Err != nil {
			h.log.WarnContext(ctx, "send not handled", "send_id", res.SendID, "contact_id", res.ContactID, "outcome", res.Outcome, "error", res.Err)
		}
		if res.Retry {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ids[i]})
		}
	}
	attrs := []any{"messages", len(ev.Records), "ms", time.Since(start).Milliseconds(), "retry", len(resp.BatchItemFailures)}
	if undecodable > 0 {
		attrs = append(attrs, "undecodable", undecodable)
	}
	for _, o := range []string{mail.OutcomeSent, mail.OutcomeSkipped, mail.OutcomeDeferred, mail.OutcomeFailed, mail.OutcomeInDoubt,
		mail.OutcomeDuplicate, mail.OutcomeWaiting, mail.OutcomeThrottled, mail.OutcomePaced} {
		if counts[o] > 0 {
			attrs = append(attrs, o, counts[o])
		}
	}
	h.log.InfoContext(ctx, "sends", attrs...)
	return resp, nil
}

// StatsStore keeps the hourly mail counters.
type StatsStore interface {
	CountMail(ctx context.Context, at time.Time, add dynamo.MailStats) error
	MailStatsSince(ctx context.Context, since, now time.Time) (dynamo.MailStats, error)
}

// Circuit is the circuit breaker over the hourly counters, read at most
// once per ttl per invocation environment.
type Circuit struct {
	store StatsStore
	cb    mail.CircuitBreaker
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger

	// reports gets the day's sent count for the dashboard (nil: none).
	reports *report.Batch

	mu     sync.Mutex
	at     time.Time
	open   bool
	reason string
}

// WithReports also adds each batch's sends to the dashboard's counters.
func (c *Circuit) WithReports(w report.Writer) *Circuit {
	c.reports = report.NewBatch(w)
	return c
}

// NewCircuit builds the circuit breaker.
func NewCircuit(store StatsStore, cb mail.CircuitBreaker, ttl time.Duration, log *slog.Logger) *Circuit {
	return &Circuit{store: store, cb: cb, ttl: ttl, now: time.Now, log: log}
}

// Open implements mail.Circuit.
func (c *Circuit) Open(ctx context.Context) (bool, string, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && now.Sub(c.at) < c.ttl {
		return c.open, c.reason, nil
	}
	st, err := c.store.MailStatsSince(ctx, now.Add(-time.Duration(c.cb.WindowHours)*time.Hour), now)
	if err != nil {
		// Keep the last decision (closed before the first read) and look
		// again in a few seconds: a failed read of the counters must not
		// hold up every marketing send, nor open the breaker by itself.
		c.at = now.Add(-c.ttl + 5*time.Second)
		if c.log != nil {
			c.log.WarnContext(ctx, "circuit breaker counters unavailable; keeping the last decision", "open", c.open, "error", err)
		}
		return c.open, c.reason, nil
	}
	c.open, c.reason = c.cb.Open(st.Sent, st.Bounces, st.Complaints)
	c.at = now
	return c.open, c.reason, nil
}

// CountSent implements mail.Circuit. The dashboard's count rides along
// (one more write per batch); its failure is logged, never retried, so a
// send is counted at most once there.
func (c *Circuit) CountSent(ctx context.Context, n int) error {
	now := c.now()
	var wg sync.WaitGroup
	if c.reports != nil && n > 0 {
		// Beside the breaker's count, not after it: the batch waits for
		// one write's time instead of two.
		wg.Go(func() {
			c.reports.Add(report.Tally{report.DayOf(now): {report.Sent: int64(n)}})
			if err := c.reports.Flush(ctx); err != nil && c.log != nil {
				c.log.WarnContext(ctx, "dashboard sent count lost", "sent", n, "error", err)
			}
		})
	}
	err := c.store.CountMail(ctx, now, dynamo.MailStats{Sent: int64(n)})
	wg.Wait()
	return err
}
