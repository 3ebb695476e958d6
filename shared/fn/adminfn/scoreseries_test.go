package adminfn

import (
	"testing"
	"time"

	"github.com/leadflow/leadflow/shared/scoring"
	"github.com/leadflow/leadflow/shared/store/dynamo"
)

// TestScoreSeriesReplaysTheHistory: the chart's points are the score just
// after each scoring event, engagement decayed from each change's own time
// as the current score is, and the changes of one event make one point.
func TestScoreSeriesReplaysTheHistory(t *testing.T) {
	e, err := scoring.NewEngine(scoring.Model{HalfLifeDays: 10})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ch := func(msg, rule string, kind scoring.Kind, pts int, at time.Time) dynamo.ScoredChange {
		return dynamo.ScoredChange{Change: scoring.Change{MessageID: msg, RuleID: rule, Kind: kind, Points: pts, At: at}, Event: msg}
	}
	// As stored: newest first.
	hist := []dynamo.ScoredChange{
		ch("m3", "demo", scoring.KindEngagement, 20, t0.Add(20*24*time.Hour)),
		ch("m2", "pricing", scoring.KindEngagement, 10, t0.Add(10*24*time.Hour)),
		ch("m1", "title", scoring.KindFit, 15, t0),
		ch("m1", "visit", scoring.KindEngagement, 8, t0),
	}
	got := scoreSeries(e, hist)
	if len(got) != 3 {
		t.Fatalf("%d points, want 3 (m1's two changes are one point): %+v", len(got), got)
	}
	want := []struct{ total, fit, changes int }{
		{15 + 8, 15, 2},          // fit 15 + visit 8
		{15 + 4 + 10, 15, 1},     // visit halved after 10 days, + pricing 10
		{15 + 2 + 5 + 20, 15, 1}, // visit quartered, pricing halved, + demo 20
	}
	for i, w := range want {
		if got[i].Total != w.total || got[i].Fit != w.fit || len(got[i].Changes) != w.changes {
			t.Errorf("point %d: total %d fit %d with %d changes, want %d %d %d", i, got[i].Total, got[i].Fit, len(got[i].Changes), w.total, w.fit, w.changes)
		}
	}
	if !got[0].At.Equal(t0) || got[2].Event != "m3" || got[2].Changes[0].RuleID != "demo" {
		t.Errorf("points %+v", got)
	}
	// Two events of the same instant are two points, the second counting
	// the first.
	same := scoreSeries(e, []dynamo.ScoredChange{ch("m5", "pricing", scoring.KindEngagement, 10, t0), ch("m4", "title", scoring.KindFit, 30, t0)})
	if len(same) != 2 || same[0].Total != 30 || same[1].Total != 40 {
		t.Errorf("same-instant events: %+v, want totals 30 then 40", same)
	}
	if s := scoreSeries(e, nil); s == nil || len(s) != 0 {
		t.Errorf("no history: %v, want an empty series", s)
	}
}
