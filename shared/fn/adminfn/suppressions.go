package adminfn

import (
	"context"
	"errors"
	"net/http"

	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/store/dynamo"
	"github.com/leadflow/leadflow/shared/suppression"
)

// suppressionRoutes start and follow the one-off backfill that records on
// each contact's profile that its address was suppressed before profiles
// kept it (shared/suppression).
func (h *Handler) suppressionRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"POST /v1/suppressions/backfill": func(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
			b, err := h.suppressionBackfill()
			if err != nil {
				return httpapi.Response{}, err
			}
			run, started, err := b.Start(ctx, dynamo.ContactShards)
			if err != nil {
				return httpapi.Response{}, err
			}
			status := http.StatusOK // a run under way: its progress
			if started {
				status = http.StatusAccepted
				h.log.InfoContext(ctx, "suppression backfill started", "shards", run.Shards)
			}
			return httpapi.JSON(status, backfillView(run), nil), nil
		},
		"GET /v1/suppressions/backfill": func(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
			b, err := h.suppressionBackfill()
			if err != nil {
				return httpapi.Response{}, err
			}
			run, found, err := b.Progress(ctx)
			if err != nil {
				return httpapi.Response{}, err
			}
			if !found {
				return httpapi.Fail(http.StatusNotFound, "not_found", "the suppression backfill has not been started", nil), nil
			}
			return httpapi.JSON(http.StatusOK, backfillView(run), nil), nil
		},
	}
}

func (h *Handler) suppressionBackfill() (*suppression.Backfill, error) {
	cp, ok := h.store.(job.Checkpoints)
	if !ok || h.jobs == nil {
		return nil, errors.New("suppression backfill: no job checkpoints or jobs queue configured")
	}
	return &suppression.Backfill{Checkpoints: cp, Jobs: h.jobs, Log: h.log, Now: h.now}, nil
}

// backfillView is the run as the API shows it: state running or done,
// contacts visited and marked suppressed.
func backfillView(run job.Run) map[string]any {
	state := "running"
	if run.Done() {
		state = "done"
	}
	return map[string]any{
		"state": state, "shards": run.Shards, "shards_done": run.ShardsDone,
		"contacts_visited": run.Visited, "contacts_marked": run.Changed,
		"started_at": run.StartedAt, "updated_at": run.UpdatedAt,
	}
}
