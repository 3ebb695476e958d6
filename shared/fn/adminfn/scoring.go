package adminfn

import (
	"context"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/leadflow/leadflow/shared/contact"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/job"
	"github.com/leadflow/leadflow/shared/routing"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

func (h *Handler) scoringRoutes() map[string]routeFunc {
	return map[string]routeFunc{
		"GET /v1/contacts/{id}/score": h.contactScore,
		"PUT /v1/contacts/{id}/stage": h.moveStage,
		"GET /v1/scoring/rescore":     h.rescoreProgress,
	}
}

// ContactCounter counts identified contacts (the DynamoDB store).
type ContactCounter interface {
	CountContacts(ctx context.Context) (count int, capped bool, err error)
}

var (
	_ ContactCounter  = (*dynamo.Store)(nil)
	_ job.Checkpoints = (*dynamo.Store)(nil)
)

// rescoreProgress answers how many contacts a change of the scoring model
// re-scores, and the progress of the re-score under the model in force
// (run is null when none was started for it, such as the repo's model).
func (h *Handler) rescoreProgress(ctx context.Context, _ httpapi.Request) (httpapi.Response, error) {
	e, err := h.engine(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	cp, ok1 := h.store.(job.Checkpoints)
	cc, ok2 := h.store.(ContactCounter)
	if !ok1 || !ok2 {
		return httpapi.Fail(http.StatusNotImplemented, "not_implemented", "this store keeps no job progress", nil), nil
	}
	count, capped, err := cc.CountContacts(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := map[string]any{"model_version": e.Version(), "contacts": count, "contacts_capped": capped, "run": nil}
	run, found, err := cp.GetRun(ctx, job.Rescore, e.Version())
	if err != nil {
		return httpapi.Response{}, err
	}
	if found {
		out["run"] = run
		out["done"] = run.Done()
	}
	return httpapi.JSON(http.StatusOK, out, nil), nil
}

func (h *Handler) engine(ctx context.Context) (*scoring.Engine, error) {
	return h.scoring.Default(ctx)
}

// ScoreView explains a contact's score: the totals now, each rule's share,
// and the history of every change with the decay applied since.
type ScoreView struct {
	ContactID    string              `json:"contact_id"`
	Score        scoring.Score       `json:"score"`
	ModelVersion string              `json:"model_version"`
	Stale        bool                `json:"stale"`
	Breakdown    []scoring.RuleScore `json:"breakdown"`
	History      []HistoryEntry      `json:"history"`
	// Series is the score over time: one point per scoring event of the
	// history, oldest first, for the contact page's chart.
	Series       []ScorePoint          `json:"series"`
	Stage        scoring.Stage         `json:"stage"`
	StageHistory []scoring.StageChange `json:"stage_history"`
	Owner        string                `json:"owner,omitempty"`
	Team         string                `json:"team,omitempty"`
	At           time.Time             `json:"at"`
}

// HistoryEntry is one change: which event, which rule, how many points then
// and what they are worth now.
type HistoryEntry struct {
	dynamo.ScoredChange
	CurrentPoints float64 `json:"current_points"`
}

func (h *Handler) contactScore(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	limit, err := intParam(req.QueryStringParameters, "history", 100, 1, 1000)
	if err != nil {
		return httpapi.Response{}, err
	}
	e, err := h.engine(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	p, err := h.resolve(ctx, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	hist, err := h.store.ScoreHistory(ctx, partitions(p), limit)
	if err != nil {
		return httpapi.Response{}, err
	}
	now := h.now().UTC()
	v := ScoreView{
		ContactID: p.ID, Score: e.Score(p.Score, now), ModelVersion: p.Score.ModelVersion, Stale: e.Stale(p.Score),
		Breakdown: e.Breakdown(p.Score, now), History: []HistoryEntry{}, Stage: p.Stage,
		StageHistory: p.StageHistory, Owner: p.Owner, Team: p.Team, At: now,
	}
	if v.StageHistory == nil {
		v.StageHistory = []scoring.StageChange{}
	}
	if v.Breakdown == nil {
		v.Breakdown = []scoring.RuleScore{}
	}
	for _, c := range hist {
		v.History = append(v.History, HistoryEntry{ScoredChange: c, CurrentPoints: e.Decayed(c.Change, now)})
	}
	v.Series = scoreSeries(e, hist)
	return httpapi.JSON(http.StatusOK, v, nil), nil
}

// moveStage moves a contact by hand; unlike rules, it may move backwards.
func (h *Handler) moveStage(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Stage  scoring.Stage `json:"stage"`
		Reason string        `json:"reason"`
	}
	if err := decodeBody(req, &in); err != nil {
		return httpapi.Response{}, err
	}
	e, err := h.engine(ctx)
	if err != nil {
		return httpapi.Response{}, err
	}
	var change scoring.StageChange
	p, err := h.update(ctx, req.PathParameters["id"], func(p *contact.Profile) error {
		if err := scoring.Move(p.Stage, in.Stage, true); err != nil {
			return errBadRequest{"invalid_stage", err.Error()}
		}
		reason := in.Reason
		if reason == "" {
			reason = "moved through the admin API"
		}
		// The stage history names the person who moved the contact (their
		// email from the token), as the audit log does; the admin token
		// keeps its configured name.
		change = scoring.StageChange{From: p.Stage, To: in.Stage, At: h.now().UTC(), Reason: reason, By: h.savedBy(ctx)}
		p.RecordStage(change)
		return nil
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	if n := len(p.StageHistory); n > 0 && p.StageHistory[n-1] == change {
		h.countStageMove(ctx, p.StageHistory[:n-1], change)
	}
	if route := e.Model().Routing; route.Triggers(change.From, change.To) && h.routeQueue != nil {
		r := routing.Request{ID: scoring.QualifiedID(p.ID, change.To, change.At), ContactID: p.ID, Change: change}
		if err := routing.Send(ctx, h.routeQueue, r); err != nil {
			return httpapi.Response{}, err
		}
	}
	h.log.InfoContext(ctx, "stage moved", "contact_id", p.ID, "from", change.From, "to", change.To)
	return httpapi.JSON(http.StatusOK, normalize(p), nil), nil
}

// ScorePoint is the score just after one event scored, with the changes
// that event made: the explanation shown for the point.
type ScorePoint struct {
	At      time.Time             `json:"at"`
	Total   int                   `json:"total"`
	Fit     int                   `json:"fit"`
	Event   string                `json:"event"`
	Changes []dynamo.ScoredChange `json:"changes"`
}

// scoreSeries replays the history (newest first, as stored) oldest first:
// at each event's time the score is what the listed changes are worth then
// (engagement decayed from each change's own time, fit as awarded), the
// same arithmetic as the current score. Changes of one event (one message,
// or the same instant) make one point. A history cut at its limit starts
// from the oldest change it holds.
func scoreSeries(e *scoring.Engine, hist []dynamo.ScoredChange) []ScorePoint {
	asc := slices.Clone(hist)
	slices.Reverse(asc)
	slices.SortStableFunc(asc, func(a, b dynamo.ScoredChange) int { return a.At.Compare(b.At) })
	out := []ScorePoint{}
	for _, c := range asc {
		if n := len(out); n > 0 {
			last := &out[n-1]
			prev := last.Changes[len(last.Changes)-1]
			if c.At.Equal(last.At) && (c.MessageID == prev.MessageID || c.MessageID == "" || prev.MessageID == "") {
				last.Changes = append(last.Changes, c)
				continue
			}
		}
		out = append(out, ScorePoint{At: c.At, Event: c.Event, Changes: []dynamo.ScoredChange{c}})
	}
	// Each point counts its own changes and those of the points before it
	// (events of the same instant stay apart, in stored order).
	for i := range out {
		t := out[i].At
		var fit int
		var eng float64
		for _, pt := range out[:i+1] {
			for _, c := range pt.Changes {
				if c.Kind == scoring.KindFit {
					fit += c.Points
				} else {
					eng += e.Decayed(c.Change, t)
				}
			}
		}
		out[i].Fit = fit
		out[i].Total = fit + int(math.Round(eng))
	}
	return out
}
