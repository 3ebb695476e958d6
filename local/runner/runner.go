// Package runner runs Leadflow's catalog of functions locally the way AWS
// runs them: an HTTP server in API Gateway's v2 payload shape, SQS pollers
// that behave like Lambda's event source mapping, and the schedules. The
// handlers are the production ones, invoked through the same JSON path as
// the Lambda runtime, with the production adapters pointed at local servers.
package runner

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/bucket"
	"github.com/leadflow/leadflow/shared/campaign"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/fn/adminfn"
	"github.com/leadflow/leadflow/shared/fn/jobsfn"
	"github.com/leadflow/leadflow/shared/site"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// Options configure a local platform.
type Options struct {
	Endpoints Endpoints
	// Denied, when set, is told of every DynamoDB call the local IAM
	// check refused (function, why), including ones a handler only logs.
	Denied func(function, why string)
	// Table is the DynamoDB table name.
	Table string
	// QueuePrefix prefixes queue names, so test runs can share a server.
	QueuePrefix string
	AdminToken  string
	// Site is created (or updated) at start, so a newcomer can post at once.
	Site site.Site
	// VisibilityTimeout overrides the catalog's per-queue value (tests use a
	// few seconds to see redelivery quickly); 0 keeps the catalog's.
	VisibilityTimeout time.Duration
	// BatchWindow overrides the catalog's maximum batching window; 0 keeps it.
	BatchWindow time.Duration
	// NoSchedules disables the periodic timers (tests fire them by hand).
	NoSchedules bool
	// TimerClock, when set, is the timer wheel's tick clock: a test moves
	// it forward and fires the tick (FireSchedule) to see a timer due
	// hours later fire now. nil: time.Now.
	TimerClock func() time.Time
	// Campaigns replaces the repo's campaigns (definitions/campaigns)
	// whose schedules the runner keeps, as the stack's Campaigns prop
	// does (tests); nil: the repo's.
	Campaigns *[]campaign.Campaign
	Log       *slog.Logger
	// APIOptions add SDK middleware to every handler's clients (the bench
	// counts requests and consumed capacity with it).
	APIOptions []func(*middleware.Stack) error
	// WebhookURLs is where lead.qualified webhooks go, comma-separated
	// (WEBHOOK_URLS); empty sends none.
	WebhookURLs string
	// WebhookSecret signs the webhooks (WEBHOOK_SECRET, 32 characters or
	// more); empty gets a random one, which is fine when nobody verifies.
	WebhookSecret string
	// SigningSecret signs email links (generated when empty).
	SigningSecret string
	// PublicBaseURL is where email links point (the local API).
	PublicBaseURL string
	// RateLimitSecret keys the form rate-limit counters (RATE_LIMIT_SECRET,
	// 32 characters or more); empty gets a random one for this run.
	RateLimitSecret string
	// UserPool is the console's pool on the local Cognito server
	// (ProvisionUserPool); nil accepts only the admin token.
	UserPool *UserPool
	// ConsoleDir is the built console (console/dist) served at /console/;
	// "" serves only its config.json.
	ConsoleDir string
	// ImportPageSize overrides the rows per import page (0: the default).
	ImportPageSize int
	// ExportPageSize overrides the members per export page (0: the default).
	ExportPageSize int
	// SESEventDelay is how long after SES's answer the SES proxy publishes
	// a message's events (Send, Delivery...), as SES does seconds later;
	// 0: DefaultSESEventDelay, negative: at once after the answer.
	SESEventDelay time.Duration
	// Bucket is the imports/exports bucket on the local S3 server
	// (default QueuePrefix + "leadflow-files"), created at start.
	Bucket string
}

// Platform is a running local Leadflow.
type Platform struct {
	opts      Options
	cat       catalog.Catalog
	awsCfg    aws.Config
	sqs       *sqs.Client
	handlers  map[string]*sandboxes
	queueURLs map[string]string
	dlqURLs   map[string]string
	log       *slog.Logger
	stats     *Stats
	// received remembers the message ids the pollers received, to count
	// redeliveries (Stats.Failures "<function>:redelivered").
	received  receivedIDs
	bus       *eventBus
	ses       *sesProxy
	scheduler *localScheduler
	wg        sync.WaitGroup
	// held counts the batches pollers have received and not yet finished.
	held atomic.Int64
}

// Stats counts what the local platform did, for tests and the bench.
type Stats struct {
	mu          sync.Mutex
	Invocations map[string]int
	Failures    map[string]int
	// Busy is the summed wall time of each function's invocations.
	Busy map[string]time.Duration
}

func (s *Stats) add(m map[string]int, k string, n int) {
	s.mu.Lock()
	m[k] += n
	s.mu.Unlock()
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() (inv, fail map[string]int) {
	inv, fail, _ = s.SnapshotBusy()
	return inv, fail
}

// SnapshotBusy copies the counters and the busy times.
func (s *Stats) SnapshotBusy() (inv, fail map[string]int, busy map[string]time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := func(m map[string]int) map[string]int {
		out := make(map[string]int, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	b := make(map[string]time.Duration, len(s.Busy))
	for k, v := range s.Busy {
		b[k] = v
	}
	return cp(s.Invocations), cp(s.Failures), b
}

// New creates the table, queues and demo site, and builds every handler in
// the catalog.
func New(ctx context.Context, opts Options) (*Platform, error) {
	cat := catalog.Load()
	if err := cat.Validate(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	p := &Platform{
		opts: opts, cat: cat,
		handlers: map[string]*sandboxes{}, queueURLs: map[string]string{}, dlqURLs: map[string]string{},
		log:   opts.Log,
		stats: &Stats{Invocations: map[string]int{}, Failures: map[string]int{}, Busy: map[string]time.Duration{}},
	}
	bus, err := startEventBus(ctx, p)
	if err != nil {
		return nil, err
	}
	p.bus = bus
	p.opts.Endpoints.EventBridge = bus.url
	if p.scheduler, err = startScheduler(ctx, p); err != nil {
		return nil, err
	}
	p.opts.Endpoints.Scheduler = p.scheduler.url
	if p.opts.Endpoints.SES != "" {
		// Handlers talk to SES through the proxy (events, faults, records).
		if p.ses, err = startSESProxy(ctx, p, p.opts.Endpoints.SES); err != nil {
			return nil, err
		}
		p.opts.Endpoints.SES = p.ses.url
	}
	awsCfg := AWSConfig(p.opts.Endpoints)
	awsCfg.APIOptions = append(awsCfg.APIOptions, opts.APIOptions...)
	p.awsCfg, p.sqs = awsCfg, sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		o.APIOptions = append(o.APIOptions, logFailedAttempts(p.log))
	})
	db := dynamodb.NewFromConfig(awsCfg)
	if err := dynamo.CreateTable(ctx, db, opts.Table); err != nil {
		return nil, err
	}
	for _, q := range cat.Queues {
		if err := p.createQueue(ctx, q); err != nil {
			return nil, err
		}
	}
	if opts.Site.Key != "" {
		st := dynamo.New(db, opts.Table)
		s := opts.Site
		now := time.Now().UTC()
		if old, err := st.GetSite(ctx, s.Key); err == nil {
			s.CreatedAt = old.CreatedAt
			if s.IdentitySecret == "" {
				// A secret set through the admin API survives a restart.
				s.IdentitySecret = old.IdentitySecret
			}
		} else {
			s.CreatedAt = now
		}
		s.UpdatedAt = now
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("demo site: %w", err)
		}
		if err := st.PutSite(ctx, s); err != nil {
			return nil, fmt.Errorf("seed demo site: %w", err)
		}
	}
	if opts.SigningSecret == "" {
		opts.SigningSecret = rand.Text() + rand.Text()
	}
	if opts.PublicBaseURL == "" {
		opts.PublicBaseURL = "http://localhost:3000"
	}
	// Kept for SigningSecret() and PublicBaseURL(): tests sign links with them.
	p.opts.SigningSecret, p.opts.PublicBaseURL = opts.SigningSecret, opts.PublicBaseURL
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = rand.Text() + rand.Text()
	}
	if opts.RateLimitSecret == "" {
		// Counters keyed with it live an hour or a day; a new secret per
		// run only starts them afresh.
		opts.RateLimitSecret = rand.Text() + rand.Text()
	}
	if opts.Bucket == "" {
		opts.Bucket = opts.QueuePrefix + "leadflow-files"
	}
	p.opts.Bucket = opts.Bucket
	if p.opts.Endpoints.S3 != "" {
		if err := bucket.New(awsCfg, opts.Bucket).Create(ctx); err != nil {
			return nil, err
		}
	}
	res := catalog.Resources{
		Bucket: opts.Bucket,
		Table:  opts.Table, QueueURLs: p.queueURLs, AdminTokenHash: adminfn.HashToken(opts.AdminToken),
		EventBusName: "leadflow", SESConfigSet: "leadflow", LogLevel: "INFO",
		WebhookURLs: opts.WebhookURLs, WebhookSecret: opts.WebhookSecret,
		SigningSecrets: opts.SigningSecret, PublicBaseURL: opts.PublicBaseURL,
		RateLimitSecret: opts.RateLimitSecret,
	}
	if up := opts.UserPool; up != nil {
		res.UserPoolID, res.UserPoolIssuer, res.UserPoolClientID = up.ID, up.Issuer, up.ClientID
	}
	// Campaign schedules go to the runner's Scheduler, which sends their
	// firings to the local campaigns queue (named in the ARN).
	res.ScheduleGroup, res.SchedulerRoleARN = "leadflow-campaigns", "arn:aws:iam::000000000000:role/leadflow-scheduler"
	res.CampaignsQueueARN = "arn:aws:sqs:us-east-1:000000000000:" + opts.QueuePrefix + catalog.CampaignsQueue
	res.SchedulerDLQARN = "arn:aws:sqs:us-east-1:000000000000:" + opts.QueuePrefix + catalog.CampaignsQueue + "-schedules-dlq"
	for _, f := range cat.Functions {
		env := f.Env(res)
		// Each function's clients refuse what its IAM policy in the stack
		// would refuse: DynamoDB Local enforces no IAM, and a catalog
		// declaration too narrow for the code must fail here, not in AWS.
		policy, err := dynamo.PolicyFor(f.Access.Items)
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", f.Name, err)
		}
		fnCfg := awsCfg.Copy()
		fnCfg.APIOptions = append(slices.Clone(awsCfg.APIOptions), policy.EnforceReporting(f.Name, opts.Denied))
		if opts.ImportPageSize > 0 && f.Name == "jobs" {
			env[jobsfn.EnvImportPageSize] = strconv.Itoa(opts.ImportPageSize)
		}
		if opts.ExportPageSize > 0 && f.Name == "jobs" {
			env[jobsfn.EnvExportPageSize] = strconv.Itoa(opts.ExportPageSize)
		}
		mk := func() (lambda.Handler, error) {
			h, err := build(f.Name, fnCfg, func(k string) string { return env[k] }, opts.Log.With("function", f.Name), opts.TimerClock)
			if err != nil {
				return nil, fmt.Errorf("build %s: %w", f.Name, err)
			}
			return h, nil
		}
		// The first instance is built now, so a configuration error
		// stops the start; more come as invocations overlap.
		h, err := mk()
		if err != nil {
			return nil, err
		}
		p.handlers[f.Name] = newSandboxes(h, mk)
	}
	// The repo's campaigns get the schedules the stack gives them.
	repo := opts.Campaigns
	if repo == nil {
		cs, err := definitions.RepoCampaigns()
		if err != nil {
			return nil, fmt.Errorf("repo campaigns: %w", err)
		}
		repo = &cs
	}
	if err := p.scheduler.keepRepoSchedules(*repo, res.ScheduleGroup, res.CampaignsQueueARN, time.Now()); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Platform) createQueue(ctx context.Context, q catalog.Queue) error {
	dlq, err := p.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(p.opts.QueuePrefix + q.DLQName()),
		Attributes: map[string]string{"MessageRetentionPeriod": strconv.Itoa(14 * 86400)},
	})
	if err != nil {
		return fmt.Errorf("create queue %s: %w", q.DLQName(), err)
	}
	attrs, err := p.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: dlq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return fmt.Errorf("read %s arn: %w", q.DLQName(), err)
	}
	vis := q.VisibilityTimeoutSeconds
	if p.opts.VisibilityTimeout > 0 {
		vis = int(p.opts.VisibilityTimeout / time.Second)
	}
	redrive, _ := json.Marshal(map[string]any{
		"deadLetterTargetArn": attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
		"maxReceiveCount":     q.MaxReceiveCount,
	})
	// The queue server moves a message to the DLQ after maxReceiveCount
	// receives, as SQS does; the runner only deletes or leaves messages.
	main, err := p.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(p.opts.QueuePrefix + q.Name),
		Attributes: map[string]string{
			"VisibilityTimeout":      strconv.Itoa(vis),
			"MessageRetentionPeriod": strconv.Itoa(q.RetentionDays * 86400),
			"MaximumMessageSize":     "262144",
			"RedrivePolicy":          string(redrive),
		},
	})
	if err != nil {
		return fmt.Errorf("create queue %s: %w", q.Name, err)
	}
	p.queueURLs[q.Name] = aws.ToString(main.QueueUrl)
	p.dlqURLs[q.Name] = aws.ToString(dlq.QueueUrl)
	return nil
}

// QueueURL returns a queue's URL; DLQURL its dead-letter queue's.
func (p *Platform) QueueURL(name string) string { return p.queueURLs[name] }

// DLQURL returns the URL of a queue's dead-letter queue.
func (p *Platform) DLQURL(name string) string { return p.dlqURLs[name] }

// Bucket is the imports/exports bucket's name.
func (p *Platform) Bucket() string { return p.opts.Bucket }

// Stats returns the platform's counters.
func (p *Platform) Stats() *Stats { return p.stats }

// AWS returns the configuration the handlers use.
func (p *Platform) AWS() aws.Config { return p.awsCfg }

// Start runs the queue pollers and schedules until ctx ends.
func (p *Platform) Start(ctx context.Context) {
	// Campaign schedules fire whatever NoSchedules says: tests schedule
	// campaigns a few seconds ahead and wait for them.
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.scheduler.run(ctx)
	}()
	for _, f := range p.cat.Functions {
		if f.Queue != nil {
			q, _ := p.cat.QueueByName(f.Queue.Queue)
			p.wg.Add(1)
			go func(f catalog.Function) {
				defer p.wg.Done()
				p.poll(ctx, f, q)
			}(f)
		}
		if p.opts.NoSchedules {
			continue
		}
		for _, s := range f.Schedules {
			p.wg.Add(1)
			go func(f catalog.Function, s catalog.Schedule) {
				defer p.wg.Done()
				t := time.NewTicker(time.Duration(s.EverySeconds) * time.Second)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						if err := p.FireSchedule(ctx, f.Name, s.Name); err != nil {
							p.log.ErrorContext(ctx, "schedule", "schedule", s.Name, "error", err)
						}
					}
				}
			}(f, s)
		}
	}
}

// Wait blocks until the pollers and schedules have stopped.
func (p *Platform) Wait() { p.wg.Wait() }

// invoke runs a handler the way the Lambda runtime does: JSON in, JSON out,
// with a Lambda context carrying a request id and the function's deadline.
func (p *Platform) invoke(ctx context.Context, fn catalog.Function, payload any, out any) error {
	h, ok := p.handlers[fn.Name]
	if !ok {
		return fmt.Errorf("no handler for %s", fn.Name)
	}
	in, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", fn.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(fn.TimeoutSec)*time.Second)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       newRequestID(),
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:leadflow-" + fn.Name,
	})
	p.stats.add(p.stats.Invocations, fn.Name, 1)
	start := time.Now()
	res, err := h.Invoke(ctx, in)
	p.stats.mu.Lock()
	p.stats.Busy[fn.Name] += time.Since(start)
	p.stats.mu.Unlock()
	if err != nil {
		p.stats.add(p.stats.Failures, fn.Name, 1)
		return fmt.Errorf("%s: %w", fn.Name, err)
	}
	if out != nil {
		if err := json.Unmarshal(res, out); err != nil {
			return fmt.Errorf("decode %s result: %w", fn.Name, err)
		}
	}
	return nil
}

// FireSchedule invokes a schedule's function with the event EventBridge
// Scheduler sends.
func (p *Platform) FireSchedule(ctx context.Context, function, schedule string) error {
	f, ok := p.cat.Function(function)
	if !ok {
		return fmt.Errorf("no function %s", function)
	}
	now := time.Now().UTC()
	ev := map[string]any{
		"version": "0", "id": newRequestID(), "detail-type": "Scheduled Event", "source": "aws.scheduler",
		"account": "000000000000", "time": now.Format(time.RFC3339), "region": "us-east-1",
		"resources": []string{"arn:aws:scheduler:us-east-1:000000000000:schedule/default/" + schedule},
		"detail":    map[string]any{},
	}
	return p.invoke(ctx, f, ev, nil)
}
