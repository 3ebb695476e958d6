// Package job is the contract of background jobs: long work split into
// pages, each page one queue message that queues its continuation, so no
// invocation runs long and a crash repeats at most one page.
package job

import (
	"context"
	"encoding/json"
	"fmt"
)

// Kinds of job.
const (
	// Rescore recomputes scores made under an older scoring model.
	Rescore = "rescore"
	// Import reads one page of a CSV import (shared/imports); Pages is the
	// page number, ID the import.
	Import = "import"
	// Export writes one page of a segment or list export (shared/exports);
	// Pages is the page number, ID the export.
	Export = "export"
	// SegmentRebuild evaluates a new or changed segment over every
	// identified contact, one chain of pages per contacts shard.
	SegmentRebuild = "segment-rebuild"
	// SuppressionBackfill marks contacts whose address was suppressed
	// before profiles recorded it (shared/suppression), one chain of pages
	// per contacts shard; ID names the run.
	SuppressionBackfill = "suppression-backfill"
)

// Job is one page of background work.
type Job struct {
	Kind string `json:"kind"`
	// ModelVersion is the scoring model the job was started for; a page
	// that finds a newer model in force stops, since that model's own
	// change started its own jobs.
	ModelVersion string `json:"model_version,omitempty"`
	// Segment and Build name a segment rebuild (Build: the definition
	// version it evaluates); a page of an older build stops.
	Segment string `json:"segment,omitempty"`
	Build   string `json:"build,omitempty"`
	Shard   int    `json:"shard"`
	Cursor  string `json:"cursor,omitempty"`
	// Pages counts the pages done so far, for logs.
	Pages int `json:"pages,omitempty"`
	// ID names what the job works on (an import).
	ID string `json:"id,omitempty"`
}

// Queue is where jobs go.
type Queue interface {
	Enqueue(ctx context.Context, body string) error
}

// Send enqueues a job page.
func Send(ctx context.Context, q Queue, j Job) error {
	body, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode %s job: %w", j.Kind, err)
	}
	if err := q.Enqueue(ctx, string(body)); err != nil {
		return fmt.Errorf("queue %s job shard %d: %w", j.Kind, j.Shard, err)
	}
	return nil
}

// Decode reads a job from a queue body.
func Decode(body string) (Job, error) {
	var j Job
	if err := json.Unmarshal([]byte(body), &j); err != nil {
		return j, fmt.Errorf("decode job: %w", err)
	}
	switch j.Kind {
	case Rescore, SegmentRebuild:
	case Import, Export, SuppressionBackfill:
		if j.ID == "" {
			return j, fmt.Errorf("%s job without an id", j.Kind)
		}
	default:
		return j, fmt.Errorf("unknown job kind %q", j.Kind)
	}
	return j, nil
}

// StartRescore queues one rescore chain per contacts shard.
func StartRescore(ctx context.Context, q Queue, modelVersion string, shards int) error {
	for s := 0; s < shards; s++ {
		if err := Send(ctx, q, Job{Kind: Rescore, ModelVersion: modelVersion, Shard: s}); err != nil {
			return err
		}
	}
	return nil
}

// StartSegmentRebuild queues one rebuild chain per contacts shard.
func StartSegmentRebuild(ctx context.Context, q Queue, segment, build string, shards int) error {
	for s := 0; s < shards; s++ {
		if err := Send(ctx, q, Job{Kind: SegmentRebuild, Segment: segment, Build: build, Shard: s}); err != nil {
			return err
		}
	}
	return nil
}
