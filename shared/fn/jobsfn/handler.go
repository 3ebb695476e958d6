// Package jobsfn is the Lambda handler of the jobs queue: it runs one page
// of a background job and queues the next.
package jobsfn

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/awsapi/dynamodb"
	"github.com/leadflow/leadflow/shared/awsapi/eventbridge"
	"github.com/leadflow/leadflow/shared/awsapi/sqs"
	"github.com/leadflow/leadflow/shared/bucket"
	"github.com/leadflow/leadflow/shared/bus"
	"github.com/leadflow/leadflow/shared/catalog"
	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/exports"
	"github.com/leadflow/leadflow/shared/fn/segmentfn"
	"github.com/leadflow/leadflow/shared/imports"
	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/queue/sqsqueue"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/segment"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/suppression"
)

// Config is read from the environment once, at cold start.
type Config struct {
	Table        string
	JobsQueueURL string
	// EventsQueueURL takes imported rows; Bucket holds the files.
	EventsQueueURL, Bucket string
	// EventBusName receives segment.entered/exited caused by re-scoring.
	EventBusName string
}

// ConfigFromEnv reads the function's settings.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := Config{Table: getenv(catalog.EnvTableName), JobsQueueURL: getenv(catalog.QueueURLEnv(catalog.JobsQueue)), EventBusName: getenv(catalog.EnvEventBusName)}
	if c.Table == "" || c.JobsQueueURL == "" || c.EventBusName == "" {
		return c, fmt.Errorf("jobs: %s, %s and %s must be set", catalog.EnvTableName, catalog.QueueURLEnv(catalog.JobsQueue), catalog.EnvEventBusName)
	}
	c.EventsQueueURL, c.Bucket = getenv(catalog.QueueURLEnv(catalog.EventsQueue)), getenv(catalog.EnvBucketName)
	if c.EventsQueueURL == "" || c.Bucket == "" {
		return c, fmt.Errorf("jobs: %s and %s must be set", catalog.QueueURLEnv(catalog.EventsQueue), catalog.EnvBucketName)
	}
	return c, nil
}

// EnvImportPageSize sets the rows per import page. The stack never sets it
// (imports.DefaultPageSize); the local runner's tests do.
const EnvImportPageSize = "IMPORT_PAGE_SIZE"

// ImportPageSize sets the rows per import page.
func (h *Handler) ImportPageSize(n int) {
	if h.imports != nil {
		h.imports.PageSize = n
	}
}

// EnvExportPageSize sets the members per export page (tests; the stack
// never sets it: exports.DefaultPageSize).
const EnvExportPageSize = "EXPORT_PAGE_SIZE"

// ExportPageSize sets the members per export page.
func (h *Handler) ExportPageSize(n int) {
	if h.exports != nil {
		h.exports.PageSize = n
	}
}

// Pages reads contacts of a shard.
type Pages interface {
	ContactsPage(ctx context.Context, shard int, cursor string, limit int) ([]string, string, error)
}

// Handler runs job pages.
type Handler struct {
	pages  Pages
	proc   *contact.Processor
	engine func(context.Context) (*scoring.Engine, error)
	queue  job.Queue
	// progress, when set, counts each page once (the console's progress).
	progress job.Checkpoints
	log      *slog.Logger
	// segments runs segment rebuilds (nil: not configured).
	segments *Segments
	// PageSize is how many contacts one page visits.
	PageSize int
	// imports runs import pages (nil: import jobs fail).
	imports *imports.Runner
	// exports runs export pages (nil: export jobs fail).
	exports *exports.Runner
	// backfill runs the suppression backfill's pages (nil: they fail).
	backfill *suppression.Backfill
}

// New wires the handler with only the clients it uses.
func New(awsCfg aws.Config, cfg Config, log *slog.Logger) *Handler {
	store := dynamo.New(dynamodb.NewFromConfig(awsCfg), cfg.Table)
	// No cache: a page must see the model in force now to know whether its
	// job is still wanted.
	reg := definitions.Reader(store) // kinds read and checked on first use
	src := definitions.ScoringCache(reg).WithTTL(0, nil)
	// Re-scoring and rebuilds move contacts between segments: the same
	// reactor as the processor's.
	pub := bus.NewEventBridge(eventbridge.NewFromConfig(awsCfg), cfg.EventBusName)
	reactor := segmentfn.Reactor(store, reg, src, pub, log)
	// A rebuild reads the scoring model as the processor does (cached for
	// the cache's TTL), not twice per contact: it evaluates scores as the
	// live path sees them (BENCHMARKS.md, "Segments on the local stack").
	rebuilds := segmentfn.Reactor(store, reg, definitions.ScoringCache(reg), pub, log)
	proc := contact.NewProcessor(store, log, nil).WithReactors(reactor)
	q := sqs.NewFromConfig(awsCfg)
	jobs := sqsqueue.New(q, cfg.JobsQueueURL)
	h := NewWith(store, proc, src.Default, jobs, log).
		WithSegments(Segments{Reactor: rebuilds, Index: store, Profiles: store, Shards: dynamo.ContactShards, Arrivals: store,
			Set: func(ctx context.Context) (*segment.Set, error) {
				segs, err := definitions.Segments(ctx, reg)
				if err != nil {
					return nil, err
				}
				return definitions.CompileSegments(segs, log)
			}}).
		WithCheckpoints(store)
	h.imports = &imports.Runner{
		Store: store, Blobs: bucket.New(awsCfg, cfg.Bucket), Events: sqsqueue.New(q, cfg.EventsQueueURL), Log: log,
		Window: imports.DefaultWindow,
		Next: func(ctx context.Context, id string, page int) error {
			return job.Send(ctx, jobs, job.Job{Kind: job.Import, ID: id, Pages: page})
		},
	}
	// The backfill applies through the same processor (segment reactor
	// included), so segments testing `suppressed` follow.
	h.backfill = &suppression.Backfill{Pages: store, Profiles: store, List: store, Apply: proc, Checkpoints: store, Jobs: jobs, Log: log, Now: time.Now}
	h.exports = &exports.Runner{
		Store: store, Members: store, Profiles: store, Blobs: bucket.New(awsCfg, cfg.Bucket), Log: log,
		Next: func(ctx context.Context, id string, page int) error {
			return job.Send(ctx, jobs, job.Job{Kind: job.Export, ID: id, Pages: page})
		},
	}
	return h
}

// WithCheckpoints records each re-score page's progress (the console polls it).
func (h *Handler) WithCheckpoints(c job.Checkpoints) *Handler {
	h.progress = c
	return h
}

// NewWith builds a handler from its parts (tests).
func NewWith(pages Pages, proc *contact.Processor, engine func(context.Context) (*scoring.Engine, error), queue job.Queue, log *slog.Logger) *Handler {
	return &Handler{pages: pages, proc: proc, engine: engine, queue: queue, log: log, PageSize: 100}
}

// Handle runs each job page. A failed page is retried by SQS; re-running a
// page is harmless because re-scoring is idempotent.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, r := range ev.Records {
		if err := h.run(ctx, r.Body); err != nil {
			h.log.ErrorContext(ctx, "job page failed", "sqs_message_id", r.MessageId, "error", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
		}
	}
	return resp, nil
}

func (h *Handler) run(ctx context.Context, body string) error {
	j, err := job.Decode(body)
	if err != nil {
		return err
	}
	if j.Kind == job.Import {
		if h.imports == nil {
			return fmt.Errorf("import %s: no import runner", j.ID)
		}
		return h.imports.RunPage(ctx, j.ID, j.Pages)
	}
	if j.Kind == job.Export {
		if h.exports == nil {
			return fmt.Errorf("export %s: no export runner", j.ID)
		}
		return h.exports.RunPage(ctx, j.ID, j.Pages)
	}
	if j.Kind == job.SuppressionBackfill {
		if h.backfill == nil {
			return fmt.Errorf("suppression backfill: not configured")
		}
		return h.backfill.RunPage(ctx, j)
	}
	if j.Kind == job.SegmentRebuild {
		return h.rebuild(ctx, j)
	}
	e, err := h.engine(ctx)
	if err != nil {
		return err
	}
	if e.Version() != j.ModelVersion {
		h.log.InfoContext(ctx, "job superseded by a newer model", "kind", j.Kind, "shard", j.Shard, "job_model", j.ModelVersion, "model", e.Version())
		return nil
	}
	start := time.Now()
	ids, next, err := h.pages.ContactsPage(ctx, j.Shard, j.Cursor, h.PageSize)
	if err != nil {
		return err
	}
	written := 0
	for _, id := range ids {
		wrote, err := h.proc.Rescore(ctx, e, id)
		if err != nil {
			return err
		}
		if wrote {
			written++
		}
	}
	if h.progress != nil {
		// After the work, before the next page is queued: a crash in
		// between repeats this page, which the checkpoint then skips
		// counting, and still queues the next.
		if _, err := h.progress.Checkpoint(ctx, j.Kind, j.ModelVersion, j.Shard, j.Cursor, next, len(ids), written, time.Now().UTC()); err != nil {
			return err
		}
	}
	j.Pages++
	h.log.InfoContext(ctx, "job page done", "kind", j.Kind, "shard", j.Shard, "page", j.Pages, "contacts", len(ids), "rescored", written, "ms", time.Since(start).Milliseconds(), "done", next == "")
	if next == "" {
		return nil
	}
	j.Cursor = next
	return job.Send(ctx, h.queue, j)
}
