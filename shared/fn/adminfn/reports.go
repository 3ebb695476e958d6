package adminfn

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/leadflow/leadflow/definitions"
	"github.com/leadflow/leadflow/shared/httpapi"
	"github.com/leadflow/leadflow/shared/report"
	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// ReportStore is what the reports read: the daily counters, and the
// circuit breaker's hourly window (the DynamoDB store has both).
type ReportStore interface {
	report.Reader
	report.Writer
	MailStatsSince(ctx context.Context, since, now time.Time) (dynamo.MailStats, error)
}

var _ ReportStore = (*dynamo.Store)(nil)

// OverviewView is the overview report with the circuit breaker's state.
type OverviewView struct {
	report.Overview
	Breaker BreakerView `json:"breaker"`
}

// BreakerView is the bulk-mail circuit breaker as the sender sees it now:
// its thresholds (the repo's sending settings, which the sender reads at
// cold start) and the rates over its window.
type BreakerView struct {
	State                  string  `json:"state"` // "open" or "closed"
	Reason                 string  `json:"reason,omitempty"`
	WindowHours            int     `json:"window_hours"`
	MinSends               int     `json:"min_sends"`
	BounceRateThreshold    float64 `json:"bounce_rate_threshold"`
	ComplaintRateThreshold float64 `json:"complaint_rate_threshold"`
	Sent                   int64   `json:"sent"`
	Bounces                int64   `json:"bounces"`
	Complaints             int64   `json:"complaints"`
	BounceRate             float64 `json:"bounce_rate"`
	ComplaintRate          float64 `json:"complaint_rate"`
}

// reportRoutes are the dashboard's reports, answered from counters.
func (h *Handler) reportRoutes() map[string]routeFunc {
	rs, ok := h.store.(ReportStore)
	guard := func(f func(ctx context.Context, rs ReportStore, rg report.Range) (httpapi.Response, error)) routeFunc {
		return func(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
			if !ok {
				return httpapi.Fail(http.StatusNotImplemented, "not_implemented", "this store keeps no report counters", nil), nil
			}
			q := req.QueryStringParameters
			rg, err := report.ParseRange(q["from"], q["to"])
			if errors.Is(err, report.ErrInvalidRange) {
				return httpapi.Response{}, errBadRequest{"invalid_range", err.Error()}
			}
			if err != nil {
				return httpapi.Response{}, err
			}
			return f(ctx, rs, rg)
		}
	}
	return map[string]routeFunc{
		"GET /v1/reports/overview": guard(func(ctx context.Context, rs ReportStore, rg report.Range) (httpapi.Response, error) {
			o, err := report.New(rs).Overview(ctx, rg)
			if err != nil {
				return httpapi.Response{}, err
			}
			b, err := h.breaker(ctx, rs)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, OverviewView{Overview: o, Breaker: b}, nil), nil
		}),
		"GET /v1/reports/funnel": guard(func(ctx context.Context, rs ReportStore, rg report.Range) (httpapi.Response, error) {
			f, err := report.New(rs).Funnel(ctx, rg)
			if err != nil {
				return httpapi.Response{}, err
			}
			return httpapi.JSON(http.StatusOK, f, nil), nil
		}),
	}
}

// breaker reads the circuit breaker's window the way the sender does.
func (h *Handler) breaker(ctx context.Context, rs ReportStore) (BreakerView, error) {
	settings, err := definitions.Sending()
	if err != nil {
		return BreakerView{}, err
	}
	cb := settings.CircuitBreaker
	now := h.now()
	st, err := rs.MailStatsSince(ctx, now.Add(-time.Duration(cb.WindowHours)*time.Hour), now)
	if err != nil {
		return BreakerView{}, err
	}
	v := BreakerView{
		State: "closed", WindowHours: cb.WindowHours, MinSends: cb.MinSends,
		BounceRateThreshold: cb.BounceRate, ComplaintRateThreshold: cb.ComplaintRate,
		Sent: st.Sent, Bounces: st.Bounces, Complaints: st.Complaints,
	}
	if st.Sent > 0 {
		v.BounceRate = float64(st.Bounces) / float64(st.Sent)
		v.ComplaintRate = float64(st.Complaints) / float64(st.Sent)
	}
	if open, why := cb.Open(st.Sent, st.Bounces, st.Complaints); open {
		v.State, v.Reason = "open", why
	}
	return v, nil
}

// countStageMove adds a stage moved by hand to the funnel counters. The
// move is committed; a failed count is logged (counts are at most once).
func (h *Handler) countStageMove(ctx context.Context, prior []scoring.StageChange, change scoring.StageChange) {
	rs, ok := h.store.(ReportStore)
	if !ok {
		return
	}
	t := report.Tally{}
	report.Stages(t, prior, []scoring.StageChange{change})
	if len(t) == 0 {
		return
	}
	b := report.NewBatch(rs)
	b.Add(t)
	if err := b.Flush(ctx); err != nil {
		h.log.WarnContext(ctx, "funnel count of a stage move lost", "to", change.To, "error", err)
	}
}
