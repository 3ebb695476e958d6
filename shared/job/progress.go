package job

import (
	"context"
	"time"
)

// Run is the progress of one run of a job over every contacts shard: a
// re-score is one run per scoring model version.
type Run struct {
	Kind string `json:"kind"`
	// ID names the run (a re-score's model version).
	ID         string    `json:"id"`
	Shards     int       `json:"shards"`
	ShardsDone int       `json:"shards_done"`
	Visited    int       `json:"contacts_visited"`
	Changed    int       `json:"contacts_changed"`
	StartedAt  time.Time `json:"started_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Done reports whether every shard's chain has finished.
func (r Run) Done() bool { return r.Shards > 0 && r.ShardsDone >= r.Shards }

// Checkpoints keeps each run's progress, and per shard the cursor of the
// page to run next. A page is counted only when it moves its shard's
// cursor on, so a redelivered page (SQS runs a page again after a crash)
// does its idempotent work again but is never counted twice.
type Checkpoints interface {
	// StartRun records a run about to start (again: a run of the same id
	// starts from zero).
	StartRun(ctx context.Context, kind, id string, shards int, at time.Time) error
	// Checkpoint moves shard's cursor from cursor to next ("" when the
	// shard is done) and adds the page's counts; counted is false when the
	// cursor had already moved (the page was counted before).
	Checkpoint(ctx context.Context, kind, id string, shard int, cursor, next string, visited, changed int, at time.Time) (counted bool, err error)
	// GetRun returns a run's progress.
	GetRun(ctx context.Context, kind, id string) (Run, bool, error)
}
